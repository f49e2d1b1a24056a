// npm run reindex — rebuilds the directory's search index from every partner's change feed, from
// scratch, with a progress bar. Talks to the running directory (DIRECTORY_URL), which owns the index:
// the embedded index is rebuilt beside the live one and swapped in; Meilisearch is rebuilt in place.
import { loadConfig } from "../platform/process.ts";
import { reindexConfig } from "./config.ts";
import { CLAIMS_HEADER, signClaims } from "../platform/claims.ts";
import type { ReindexProgress } from "../subgraphs/directory/sync.ts";

const cfg = loadConfig(() => reindexConfig());
const endpoint = new URL("/reindex", cfg.directoryUrl);
// An operator's service token, signed with the shared internal secret the directory trusts.
const headers = {
  [CLAIMS_HEADER]: await signClaims(
    { sub: "reindex", role: "service", partner: null, scopes: ["service:admin"] },
    cfg.internalSecret,
    { audience: "directory", body: "" },
    600,
  ),
};

function bar(p: ReindexProgress): string {
  const width = 30;
  const frac = p.total ? Math.min(1, p.done / p.total) : 0;
  const filled = Math.round(frac * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.done}/${p.total || "?"} services`;
}

try {
  const start = await fetch(endpoint, {
    method: "POST",
    headers,
    signal: AbortSignal.timeout(5000),
  });
  if (!start.ok) throw new Error(`directory answered ${start.status}`);
} catch (err) {
  console.error(
    `Cannot reach the directory at ${endpoint.origin} (${(err as Error).message}). Start the stack first (npm start), or set DIRECTORY_URL.`,
  );
  process.exit(1);
}

const tty = process.stderr.isTTY;
for (;;) {
  const p = (await (await fetch(endpoint, { headers })).json()) as ReindexProgress;
  if (tty) process.stderr.write(`\r${bar(p)}`);
  if (p.state === "done" || p.state === "failed") {
    process.stderr.write(`${tty ? "\n" : ""}${bar(p)}\n`);
    if (p.state === "failed") {
      console.error(`Reindex failed: ${p.error}. The previous index is still serving.`);
      process.exit(1);
    }
    console.log(`Reindexed ${p.done} services.`);
    break;
  }
  await new Promise((r) => setTimeout(r, 200));
}
