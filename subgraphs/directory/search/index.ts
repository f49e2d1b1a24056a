// The directory's search backend, chosen by configuration: Meilisearch when a URL is configured,
// otherwise the embedded in-process index (no server needed).
import { createEmbeddedBackend } from "./embedded.ts";
import { createMeiliBackend } from "./meilisearch.ts";
import type { SearchBackend } from "./types.ts";

export interface SearchConfig {
  /** Meilisearch URL; unset or "" selects the embedded index. */
  meiliUrl?: string | null;
  meiliApiKey?: string | null;
  /** Meilisearch index uid. */
  meiliIndex: string;
}

/** Resolves once the backend is ready (for Meilisearch: index created, settings applied). */
export async function createSearchBackend(cfg: SearchConfig): Promise<SearchBackend> {
  if (cfg.meiliUrl) {
    return createMeiliBackend({
      url: cfg.meiliUrl,
      apiKey: cfg.meiliApiKey ?? undefined,
      index: cfg.meiliIndex,
    });
  }
  return createEmbeddedBackend();
}

export { createEmbeddedBackend } from "./embedded.ts";
export { createMeiliBackend } from "./meilisearch.ts";
export { SearchRequestError } from "./request.ts";
export * from "./types.ts";
