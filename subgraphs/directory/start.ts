// Wires the directory from config: search backend (Meilisearch when MEILI_URL is set, else the
// in-process index SEARCH_BACKEND names: embedded or orama), its state store (checkpoints and service
// copies, so a restart resumes rather than starts over), postcode lookup, partner sync, server.
import type { DirectoryConfig } from "../../platform/config.ts";
import type { RunningHttp } from "../../platform/http.ts";
import { createSearchBackend } from "./search/index.ts";
import type { SearchBackend } from "./search/types.ts";
import { createPostcodeResolver } from "./postcodes.ts";
import { DirectorySync, createServer } from "./server.ts";
import { openDirectoryState, type DirectoryState } from "./state/state.ts";

export interface RunningDirectory {
  http: RunningHttp;
  backend: SearchBackend;
  sync: DirectorySync;
  close(): Promise<void>;
}

export async function startDirectory(
  cfg: Pick<
    DirectoryConfig,
    | "host"
    | "port"
    | "internalSecret"
    | "operatorToken"
    | "partnerUrls"
    | "searchBackend"
    | "meiliUrl"
    | "meiliApiKey"
    | "meiliIndex"
    | "postcodesUrl"
    | "syncIntervalMs"
  > &
    Partial<Pick<DirectoryConfig, "stateDir" | "stateUrl" | "reconcileIntervalMs">>,
  opts: {
    backend?: SearchBackend;
    /** The state store, already opened from cfg (npm start opens it beside the partners' databases); the directory closes it. */
    state?: DirectoryState;
  } = {},
): Promise<RunningDirectory> {
  const backend = opts.backend ?? (await createSearchBackend(cfg));
  const state =
    opts.state ?? (await openDirectoryState({ url: cfg.stateUrl, dataDir: cfg.stateDir }));
  const sync = new DirectorySync({
    state,
    reconcileIntervalMs: cfg.reconcileIntervalMs,
    backend,
    partnerUrls: cfg.partnerUrls,
    intervalMs: cfg.syncIntervalMs,
    // An embedded index can be rebuilt beside the live one; a Meilisearch index is rebuilt in place.
    createBackend:
      backend.name !== "meilisearch" && !opts.backend ? () => createSearchBackend(cfg) : undefined,
    internalSecret: cfg.internalSecret,
  });
  const postcodes = createPostcodeResolver({
    postcodesUrl: cfg.postcodesUrl,
    centroidsFrom: () => sync.knownPostcodes(),
  });
  await sync.restore();
  await sync.syncOnce();
  sync.start();
  const server = await createServer({ sync, postcodes, partnerUrls: cfg.partnerUrls });
  const http = await server.start({
    host: cfg.host,
    port: cfg.port,
    internalSecret: cfg.internalSecret,
    operatorToken: cfg.operatorToken,
  });
  return {
    http,
    get backend() {
      return sync.backend;
    },
    sync,
    async close() {
      await sync.stop();
      await http.close();
      await sync.backend.close();
      await state.close();
    },
  };
}
