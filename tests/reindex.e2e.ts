// npm run reindex against a running stack: rebuilds the index from the partners' feeds, with
// progress, while search keeps answering; fails clearly when a partner is down.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gql, startTestStack } from "./helpers/stack.ts";

const run = promisify(execFile);
let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack("pglite", { syncIntervalMs: 60_000 });
});
afterAll(async () => {
  await stack?.close();
});

async function reindex() {
  return run(process.execPath, ["scripts/launch.mjs", "scripts/reindex.ts"], {
    env: { ...process.env, DIRECTORY_URL: stack.directory.http.url },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
}

describe("npm run reindex", () => {
  it("rebuilds every partner's services from scratch and swaps the new index in", async () => {
    const before = stack.directory.sync.backend;
    // Something the periodic sync (every 60 s here) has not picked up yet must appear after reindex.
    await stack.dbs.health.query(
      `UPDATE service SET name = 'CAMHS Norwich (renamed)', change_seq = nextval('change_seq') WHERE id = 'camhs-norwich'`,
    );
    const out = await reindex();
    expect(out.stderr).toContain("12/12 services");
    expect(out.stdout).toContain("Reindexed 12 services.");
    expect(out.code).toBe(0);
    expect(stack.directory.sync.backend).not.toBe(before);
    const res = await gql(
      stack.gatewayUrl,
      `{ searchServices(query: "renamed") { edges { node { id } } } }`,
    );
    expect(res.data.searchServices.edges.map((e: any) => e.node.id)).toEqual([
      "health:camhs-norwich",
    ]);
  });

  it("fails with a clear message and keeps the live index when a partner is down", async () => {
    await stack.stopPartner("charity");
    try {
      const out = await reindex();
      expect(out.code).toBe(1);
      expect(out.stderr).toMatch(/Reindex failed: charity/);
      const res = await gql(
        stack.gatewayUrl,
        `{ searchServices(filter: { partners: [CHARITY] }) { totalCount } }`,
      );
      expect(res.data.searchServices.totalCount).toBe(4);
    } finally {
      await stack.startPartner("charity");
    }
  });
});
