// The directory's search backend, chosen by configuration: Meilisearch when a URL is configured,
// otherwise an in-process index (no server needed): the embedded index, or Orama when asked for.
import { createEmbeddedBackend } from "./embedded.ts";
import { createMeiliBackend } from "./meilisearch.ts";
import { createOramaBackend } from "./orama.ts";
import type { SearchBackend } from "./types.ts";

/** The in-process backends SEARCH_BACKEND chooses between. */
export type InProcessBackend = "embedded" | "orama";

export interface SearchConfig {
  /** In-process backend when no Meilisearch URL is set. Default "embedded". */
  searchBackend?: InProcessBackend;
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
  if (cfg.searchBackend === "orama") return createOramaBackend();
  return createEmbeddedBackend();
}

export { createEmbeddedBackend } from "./embedded.ts";
export { createOramaBackend } from "./orama.ts";
export { createMeiliBackend } from "./meilisearch.ts";
export { SearchRequestError } from "./request.ts";
export * from "./types.ts";
