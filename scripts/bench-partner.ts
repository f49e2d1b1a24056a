// npm run bench -- partner [--services 2000] [--requests 2000] [--concurrency 10] [--profile file]
//   [--postgres postgres://…/db]
// One partner subgraph alone (council, in-memory PGlite, generated data) serving the `_entities`
// fetch the gateway sends it for service(id) (name, needs, status, ages, organization, locations,
// capacity of one CouncilService), each with its own claims header signed over its body, as the
// gateway signs them. Reports fetches per second, CPU per fetch (this process: the client's
// signing and fetch are in it too) and the load average; --profile writes a V8 CPU profile of the
// measured part. --postgres runs it on PostgreSQL instead, in a schema of its own that is dropped
// at the end (the server's CPU is then not all in this process). Prints only: the figures go to
// BENCHMARKS.md by hand, with this command.
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import os from "node:os";
import { openDb } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { validateHsds } from "../subgraphs/kit/hsds/validate.ts";
import { createServer } from "../subgraphs/council/server.ts";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims } from "../platform/claims.ts";
import { configureLogging } from "../platform/log.ts";
import { generateDataset } from "./generate/dataset.ts";

configureLogging({ service: "bench", level: "warn" });
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const services = Number(flag("services", "2000"));
const requests = Number(flag("requests", "2000"));
const concurrency = Number(flag("concurrency", "10"));
const profileFile = argv.includes("--profile") ? flag("profile", "partner.cpuprofile") : null;
const postgres = argv.includes("--postgres") ? flag("postgres", "") : null;
const SECRET = "bench-partner-internal-secret-0123456789";

const schema = `bench_partner_${process.pid}`;
const db = await openDb(postgres ? { url: `${postgres}?schema=${schema}` } : {});
await importHsds(db, validateHsds(generateDataset({ services }).council));
const ids = (
  await db.query<{ id: string }>("SELECT id FROM service WHERE deleted_at IS NULL ORDER BY id")
).map((r) => r.id);
const http = await (
  await createServer(db)
).start({
  host: "127.0.0.1",
  port: 0,
  internalSecret: SECRET,
});
const QUERY = /* GraphQL */ `
  query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on CouncilService {
        name
        needs
        status
        ageRange {
          minimumAge
          maximumAge
        }
        organization {
          __typename
          name
        }
        locations {
          name
          area
        }
        capacity {
          acceptingReferrals
          typicalWaitWeeks
        }
      }
    }
  }
`;
let next = 0;
async function fetchOne() {
  const id = ids[next++ % ids.length]!;
  const body = JSON.stringify({
    query: QUERY,
    variables: { representations: [{ __typename: "CouncilService", id: `council:${id}` }] },
  });
  const res = await fetch(http.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      [CLAIMS_HEADER]: await signClaims(PUBLIC_CLAIMS, SECRET, { audience: "council", body }),
    },
    body,
  });
  const answer = (await res.json()) as { errors?: unknown[]; data?: { _entities: unknown[] } };
  if (answer.errors || !answer.data?._entities[0])
    throw new Error(`unexpected answer: ${JSON.stringify(answer).slice(0, 300)}`);
}

for (let i = 0; i < 200; i++) await fetchOne();
const session = new Session();
if (profileFile) {
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
}
const load0 = os.loadavg()[0]!;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = next + requests;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < end) await fetchOne();
  }),
);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
if (profileFile) {
  const { profile } = await session.post("Profiler.stop");
  await writeFile(profileFile, JSON.stringify(profile));
}
console.log(
  `council _entities (one service, ${ids.length} in ${db.kind}): ${requests} fetches, ${concurrency} at a time: ${((requests * 1000) / wall).toFixed(0)}/s, ${((cpu.user + cpu.system) / 1000 / requests).toFixed(2)} ms CPU per fetch (client included); load ${load0.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`,
);
await http.close();
if (postgres) await db.query(`DROP SCHEMA ${schema} CASCADE`);
await db.close();
process.exit(0);
