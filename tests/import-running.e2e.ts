// `npm run import` into a partner whose subgraph is running, as separate processes: the CLI sends the
// file through the subgraph (one writer per embedded database), and the change shows in search,
// routing and service(id) through the gateway within seconds, without a restart. Opening the
// database a second time is refused with a message that says what to do. Cumbria data.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { openTestPglite } from "./helpers/fixture-dbs.ts";
import { DatabaseInUseError } from "../subgraphs/kit/db/lock.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { PARTNER_MODULES } from "../subgraphs/partners.ts";
import { startDirectory, type RunningDirectory } from "../subgraphs/directory/start.ts";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import type { RunningHttp } from "../platform/http.ts";
import { eventually, gql, testStackConfig } from "./helpers/stack.ts";
import { listenPartner } from "../subgraphs/kit/run.ts";
import { CUMBERLAND, CUMBRIA, cumbriaBundle } from "./fixtures/cumbria.ts";

const run = promisify(execFile);
let dataDir: string;
let council: ChildProcess;
let councilUrl: string;
const local = {} as Record<Exclude<PartnerId, "council">, { db: Db; http: RunningHttp }>;
let directory: RunningDirectory;
let gateway: RunningGateway;

function startCouncilProcess(): Promise<string> {
  council = spawn(
    process.execPath,
    ["scripts/launch.mjs", "scripts/start-subgraph.ts", "council"],
    {
      env: { ...process.env, DATA_DIR: dataDir, COUNCIL_PORT: "0", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    // A deadline for a hung start only, generous for a loaded machine.
    const timer = setTimeout(
      () => reject(new Error(`no ready line within 240 s:\n${out}`)),
      240_000,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ready at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    council.stdout!.on("data", onData);
    council.stderr!.on("data", onData);
    council.once("exit", (code) =>
      reject(new Error(`council exited ${code} before ready:\n${out}`)),
    );
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "wayfinder-import-running-"));
  councilUrl = await startCouncilProcess();
  // The rest in this process, configured as `npm start` would be (free ports).
  const cfg = testStackConfig({ syncIntervalMs: 300 });
  for (const p of ["charity", "health"] as const) {
    const db = await openTestPglite();
    await importHsds(db, validateHsds(CUMBRIA[p]));
    local[p] = {
      db,
      http: await listenPartner(await PARTNER_MODULES[p]!.createServer(db), cfg.partners[p]!),
    };
  }
  const partnerUrls = {
    council: councilUrl,
    charity: local.charity.http.url,
    health: local.health.http.url,
  };
  directory = await startDirectory({ ...cfg.directory, partnerUrls });
  gateway = await startGateway({
    ...cfg.gateway,
    subgraphUrls: { ...partnerUrls, directory: directory.http.url },
  });
}, 480_000);

afterAll(async () => {
  await gateway?.close();
  await directory?.close();
  for (const p of Object.values(local)) {
    await p.http.close();
    await p.db.close();
  }
  if (council && council.exitCode === null) {
    const exited = new Promise((r) => council.once("exit", r));
    council.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function importCli(file: string) {
  return run(
    process.execPath,
    ["scripts/launch.mjs", "scripts/import.ts", "--partner", "council", file],
    {
      env: { ...process.env, DATA_DIR: dataDir },
    },
  ).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
  );
}

async function writeBundle(name: string, services: Parameters<typeof cumbriaBundle>[1]) {
  const file = path.join(dataDir, name);
  await writeFile(file, JSON.stringify(cumbriaBundle("council", services)));
  return file;
}

const search = async (q: string) => {
  const res = await gql(
    gateway.url,
    `query($q: String!) { searchServices(query: $q) { edges { node { id name } } } }`,
    { q },
  );
  expect(res.errors).toBeUndefined();
  return res.data.searchServices.edges.map((e: any) => e.node);
};
const serviceName = async (id: string) =>
  (await gql(gateway.url, `query($id: ID!) { service(id: $id) { name } }`, { id })).data?.service
    ?.name ?? null;
const routedFor = async (need: string) => {
  const res = await gql(
    gateway.url,
    `query($p: ChildProfileInput!) { routeChild(profile: $p) { needs { status services { service { id name } } } } }`,
    {
      p: { age: 6, needs: [need], localAuthority: CUMBERLAND },
    },
  );
  expect(res.errors).toBeUndefined();
  return res.data.routeChild.needs[0];
};

describe("npm run import into a running partner", () => {
  it("goes through the partner's process and shows in search, routing and service(id) within seconds", async () => {
    const first = await writeBundle("first.json", [
      { id: "fh-maryport", name: "Maryport Family Hub", needs: ["PARENTING"] },
    ]);
    const out = await importCli(first);
    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`through the running subgraph at ${councilUrl}`);

    await eventually(async () => {
      expect(await search("Maryport")).toEqual([
        { id: "council:fh-maryport", name: "Maryport Family Hub" },
      ]);
    });
    expect(await serviceName("council:fh-maryport")).toBe("Maryport Family Hub");
    expect(await routedFor("PARENTING")).toMatchObject({
      status: "COVERED",
      services: [{ service: { id: "council:fh-maryport" } }],
    });

    // A second import changes what the running partner serves, with no restart.
    const second = await writeBundle("second.json", [
      { id: "fh-maryport", name: "Maryport Family Centre", needs: ["PARENTING", "FAMILY_STRESS"] },
    ]);
    expect((await importCli(second)).code).toBe(0);
    // service(id) asks the partner, but an anonymous read may be answered by the gateway's public
    // cache until the directory's change feed reports the change (one sync, SYNC_INTERVAL_MS).
    await eventually(async () => {
      expect(await serviceName("council:fh-maryport")).toBe("Maryport Family Centre");
      expect(await search("Maryport Centre")).toEqual([
        { id: "council:fh-maryport", name: "Maryport Family Centre" },
      ]);
      expect(await routedFor("FAMILY_STRESS")).toMatchObject({
        status: "COVERED",
        services: [{ service: { id: "council:fh-maryport", name: "Maryport Family Centre" } }],
      });
    });
  });

  it("reports a bad file the same way, and the running partner's data is untouched", async () => {
    const bad = path.join(dataDir, "bad.json");
    const bundle = cumbriaBundle("council", [
      { id: "fh-maryport", name: "Maryport Broken", needs: ["NOT_A_NEED"] },
    ]);
    await writeFile(bad, JSON.stringify(bundle));
    const out = await importCli(bad);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain("NOT_A_NEED");
    expect(out.stderr).toContain("Nothing was imported.");
    expect(await serviceName("council:fh-maryport")).toBe("Maryport Family Centre");
  });

  it("refuses to open the partner's embedded database a second time, saying which process holds it", async () => {
    const err = await openDb({ dataDir: path.join(dataDir, "council") }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseInUseError);
    expect(err.message).toContain(`process ${council.pid} (council subgraph at ${councilUrl})`);
    expect(err.message).toContain("one writer");
  });
});
