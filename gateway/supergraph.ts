// Where the gateway's supergraph comes from: the committed file (hot-reloaded when it changes), or,
// in development, composed live from the running subgraphs.
import { readFile } from "node:fs/promises";
import { watch, type FSWatcher } from "node:fs";
import { dirname } from "node:path";
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";
import type { SupergraphSdlHook } from "@apollo/gateway";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims } from "../platform/claims.ts";

/**
 * The supergraph declares @requiresScopes as a SECURITY feature so the rules are visible to every
 * consumer. @apollo/gateway refuses SECURITY features it does not enforce itself; in Wayfinder the
 * subgraphs enforce them (subgraphs/kit/scopes.ts), so the gateway loads the links as plain ones.
 */
export function forGateway(supergraphSdl: string): string {
  return supergraphSdl.replace(
    /(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:requiresScopes|authenticated|policy)\/v[\d.]+"), for: SECURITY\)/g,
    "$1)",
  );
}

/** Reads the supergraph file and calls update() whenever it changes on disk. */
export function fileSupergraph(path: string): SupergraphSdlHook {
  return async ({ update }) => {
    const supergraphSdl = forGateway(await readFile(path, "utf8"));
    let last = supergraphSdl;
    let timer: NodeJS.Timeout | null = null;
    let watcher: FSWatcher | null = null;
    try {
      // Watch the directory, not the file: a deploy that replaces the file by rename (or swaps a
      // ConfigMap symlink) gives it a new inode, which a watcher on the old file would never see
      // again. Any event triggers a re-read; unchanged content is ignored below.
      watcher = watch(dirname(path), () => {
        // Editors and `mv` fire several events; wait for the write to settle, then reload once.
        if (timer) clearTimeout(timer);
        timer = setTimeout(async () => {
          try {
            const next = forGateway(await readFile(path, "utf8"));
            if (next !== last && next.trim()) {
              last = next;
              update(next);
            }
          } catch {
            // A half-written or missing file keeps the current supergraph in service.
          }
        }, 100);
      });
    } catch {
      watcher = null;
    }
    return {
      supergraphSdl,
      async cleanup() {
        if (timer) clearTimeout(timer);
        watcher?.close();
      },
    };
  };
}

/** Development: composes from each running subgraph's SDL, recomposing when any changes. */
export function liveSupergraph(
  subgraphUrls: Record<string, string>,
  secret: string,
  pollMs = 5000,
): SupergraphSdlHook {
  const compose = async () => {
    const request = JSON.stringify({ query: "{ _service { sdl } }" });
    const subgraphs = await Promise.all(
      Object.entries(subgraphUrls).map(async ([name, url]) => {
        const headers = {
          "content-type": "application/json",
          [CLAIMS_HEADER]: await signClaims(PUBLIC_CLAIMS, secret, {
            audience: name,
            body: request,
          }),
        };
        const res = await fetch(url, { method: "POST", headers, body: request });
        const body = (await res.json()) as { data?: { _service: { sdl: string } } };
        if (!body.data)
          throw new Error(`${name} at ${url} did not return its SDL (HTTP ${res.status})`);
        return { name, url, typeDefs: parse(body.data._service.sdl) };
      }),
    );
    const result = composeServices(subgraphs);
    if (result.errors)
      throw new Error(
        `live composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join("\n")}`,
      );
    return forGateway(result.supergraphSdl);
  };
  return async ({ update }) => {
    let last = await compose();
    const timer = setInterval(async () => {
      try {
        const next = await compose();
        if (next !== last) {
          last = next;
          update(next);
        }
      } catch {
        // A subgraph restarting keeps the last good composition in service.
      }
    }, pollMs);
    timer.unref();
    return { supergraphSdl: last, cleanup: async () => clearInterval(timer) };
  };
}
