// npm run bench -- referrals [--services 2000] [--runs 200] [--backlog 2000]
// Referral latency through the gateway: createReferral (directory relay → owner partner, sealed with
// AES-256-GCM, audited), a partner admin's inbox page (20 referrals, each opened and its history
// read) over a backlog, and myReferrals across all three partners. Partners on PGlite, and on
// PostgreSQL when BENCH_POSTGRES_URL is reachable. Writes the figures, with this command, to
// BENCHMARKS.md between <!-- bench:referrals --> and <!-- /bench -->.
import os from "node:os";
import pg from "pg";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { configureLogging } from "../platform/log.ts";
import { mintDevToken } from "../gateway/auth.ts";
import { generateDataset } from "./generate/dataset.ts";
import { startStack } from "./stack.ts";
import { benchConfig } from "./config.ts";
import { writeBenchSection } from "./bench/report.ts";
import { dropSchemas } from "./bench/pg.ts";

const cfg = benchConfig({ syncIntervalMs: 60_000, rateLimit: false });
configureLogging({ service: "bench", level: cfg.logLevel });
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const services = Number(flag("services", "2000"));
const runs = Number(flag("runs", "200"));
const backlog = Number(flag("backlog", "2000"));

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s.at(-1)! };
}
const fmt = (x: number) => x.toFixed(1);

async function time(fn: (i: number) => Promise<unknown>, n: number, warmup = 20) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    samples.push(performance.now() - t);
  }
  return stats(samples);
}

async function gql(url: string, token: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors[0]!.message);
  return body.data;
}

async function pgReachable() {
  const c = new pg.Client({ connectionString: cfg.postgresUrl, connectionTimeoutMillis: 1500 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

const CREATE = /* GraphQL */ `
  mutation Bench($input: ReferralInput!) {
    createReferral(input: $input) {
      id
      reference
      status
      dueBy
    }
  }
`;
const INBOX = /* GraphQL */ `
  query BenchInbox {
    referrals(first: 20) {
      totalCount
      edges {
        node {
          id
          reference
          status
          overdue
          version
          urgency
          needs
          createdAt
          dueBy
          reason
          service {
            id
            name
          }
          child {
            name
            dateOfBirth
            postcode
          }
          referrer {
            name
            email
          }
          history {
            at
            to
            actor
          }
        }
      }
    }
  }
`;
const MINE = /* GraphQL */ `
  query BenchMine {
    myReferrals(first: 50) {
      id
      status
      service {
        id
        name
      }
      history {
        to
        at
      }
    }
  }
`;

interface Row {
  db: string;
  what: string;
  s: ReturnType<typeof stats>;
}

async function benchOn(usePg: boolean): Promise<{ rows: Row[]; setup: string }> {
  const data = generateDataset({ services });
  const dbs = {} as Record<PartnerId, Db>;
  const urls: string[] = [];
  for (const p of PARTNERS) {
    const url = `${cfg.postgresUrl}?schema=bench_ref_${p}_${process.pid}`;
    urls.push(url);
    dbs[p] = await openDb(usePg ? { url } : {});
    await importHsds(dbs[p], data[p]);
  }
  const stack = await startStack(cfg.stack, { dbs });
  const rows: Row[] = [];
  const label = usePg ? "PostgreSQL" : "PGlite";
  try {
    // A council service that takes referrals, and a date of birth inside its ages.
    const target = (
      await dbs.council.query<{
        id: string;
        minimum_age: number | null;
        maximum_age: number | null;
      }>(
        `SELECT id, minimum_age, maximum_age FROM service WHERE status = 'active' AND accepting_referrals AND deleted_at IS NULL ORDER BY id LIMIT 1`,
      )
    )[0]!;
    const age = Math.max(0, Math.min(target.maximum_age ?? 10, (target.minimum_age ?? 0) + 1));
    const dob = new Date(Date.now() - (age + 0.5) * 365.25 * 86_400_000).toISOString().slice(0, 10);
    const professional = await mintDevToken({ role: "professional", sub: "bench@school.example" });
    const admin = await mintDevToken({
      role: "partner-admin",
      partner: "council",
      sub: "bench-admin@council.example",
    });
    const input = (i: number) => ({
      serviceId: `council:${target.id}`,
      child: { name: `Bench Child ${i}`, dateOfBirth: dob, postcode: "NR2 4AB" },
      needs: ["FAMILY_STRESS"],
      reason: "Benchmark referral: family under strain, school concerned about attendance.",
      consent: {
        givenBy: "Parent",
        givenAt: new Date().toISOString().slice(0, 10),
        sharing: "With the service only",
      },
      urgency: "SOON",
      referrer: {
        name: "Bench Referrer",
        email: "bench@school.example",
        organisation: "Bench School",
      },
    });
    rows.push({
      db: label,
      what: "createReferral (relay → council, sealed, audited)",
      s: await time((i) => gql(stack.gatewayUrl, professional, CREATE, { input: input(i) }), runs),
    });
    // Grow the inbox to the backlog before reading it.
    const have = runs + 20;
    for (let i = have; i < backlog; i++)
      await gql(stack.gatewayUrl, professional, CREATE, { input: input(i) });
    const total = (await gql(stack.gatewayUrl, admin, INBOX, {})).referrals.totalCount as number;
    rows.push({
      db: label,
      what: `inbox page: referrals(first: 20) of ${total.toLocaleString("en-GB")}, personal data opened, history`,
      s: await time(() => gql(stack.gatewayUrl, admin, INBOX, {}), runs),
    });
    rows.push({
      db: label,
      what: "myReferrals(first: 50), all three partners asked",
      s: await time(() => gql(stack.gatewayUrl, professional, MINE, {}), runs),
    });
  } finally {
    await stack.close();
    for (const p of PARTNERS) await dbs[p].close();
    if (usePg) await dropSchemas(cfg.postgresUrl, urls);
  }
  return { rows, setup: `${label}: ${services.toLocaleString("en-GB")} generated services` };
}

const results = [await benchOn(false)];
if (await pgReachable()) results.push(await benchOn(true));
for (const r of results)
  for (const row of r.rows)
    console.log(
      `${row.db}\t${row.what}\tp50 ${fmt(row.s.p50)}\tp95 ${fmt(row.s.p95)}\tp99 ${fmt(row.s.p99)} ms`,
    );

const load = os
  .loadavg()
  .map((x) => x.toFixed(2))
  .join(", ");
const command = `npm run bench -- ${argv.join(" ")}`.trim();
const section = [
  `## Referral latency — ${new Date().toISOString().slice(0, 10)}`,
  "",
  `Command: \`${command}\` (${runs} timed runs per line after 20 warm-up runs; sequential requests from one client, so these are latencies, not throughput).`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load average at the end ${load} (the machine is shared); everything in one process over loopback HTTP, through the gateway.`,
  "",
  "| partners on | what | p50 ms | p95 ms | p99 ms | max ms |",
  "|---|---|---:|---:|---:|---:|",
  ...results.flatMap((r) =>
    r.rows.map(
      (row) =>
        `| ${row.db} | ${row.what} | ${fmt(row.s.p50)} | ${fmt(row.s.p95)} | ${fmt(row.s.p99)} | ${fmt(row.s.max)} |`,
    ),
  ),
  "",
].join("\n");
console.log(`\nWrote ${await writeBenchSection("referrals", section)}`);
process.exit(0);
