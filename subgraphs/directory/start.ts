// Wires the directory from config: search backend (Meilisearch when MEILI_URL is set, else embedded
// Orama), postcode lookup, partner sync, server.
import type { DirectoryConfig } from "../kit/config.ts";
import type { RunningHttp } from "../kit/http.ts";
import { createSearchBackend } from "./search/index.ts";
import type { SearchBackend } from "./search/types.ts";
import { createPostcodeResolver } from "./postcodes.ts";
import { DirectorySync, createServer } from "./server.ts";

export interface RunningDirectory {
  http: RunningHttp;
  backend: SearchBackend;
  sync: DirectorySync;
  close(): Promise<void>;
}

export async function startDirectory(
  cfg: Pick<DirectoryConfig, "host" | "port" | "partnerUrls" | "meiliUrl" | "meiliApiKey" | "meiliIndex" | "postcodesUrl" | "syncIntervalMs">,
  opts: { backend?: SearchBackend } = {},
): Promise<RunningDirectory> {
  const backend = opts.backend ?? (await createSearchBackend(cfg));
  const sync = new DirectorySync({ backend, partnerUrls: cfg.partnerUrls, intervalMs: cfg.syncIntervalMs });
  const postcodes = createPostcodeResolver({
    postcodesUrl: cfg.postcodesUrl,
    centroidsFrom: () => sync.knownPostcodes(),
  });
  await sync.syncOnce();
  sync.start();
  const server = await createServer({ backend, sync, postcodes });
  const http = await server.start({ host: cfg.host, port: cfg.port });
  return {
    http,
    backend,
    sync,
    async close() {
      await sync.stop();
      await http.close();
      await backend.close();
    },
  };
}
