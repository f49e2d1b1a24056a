// npm run bench -- side-by-side [--services 2000] [--duration 5] [--rounds 2] [--connections 10]
//   [--cases abcd] [--no-write]
// The same subgraphs behind Wayfinder's gateway (public read cache on, and off) and behind a stock
// @apollo/gateway started here (with the signed claims header the subgraphs require), under
// autocannon load: (a) the README's first search, (b) a text search returning 20–50 services with
// organization and locations, (c) routeChild with 4 needs, (d) service(id), each with fixed and
// with varied variables, in interleaved rounds. Reports requests/s and p50/p95/p99 as ratios to
// stock, and writes them with the command and the load average to BENCHMARKS.md.
import "../platform/no-phone-home.ts";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import { openDb, type Db } from "../subgraphs/kit/db/db.ts";
import { importHsds } from "../subgraphs/kit/hsds/import.ts";
import { generateDataset } from "./generate/dataset.ts";
import { startStack } from "./stack.ts";
import { startGateway } from "../gateway/server.ts";
import { forGateway } from "../gateway/supergraph.ts";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims } from "../platform/claims.ts";
import { configureLogging } from "../platform/log.ts";
import { benchConfig } from "./config.ts";
import { writeBenchSection } from "./bench/report.ts";
import { underLoad } from "./bench/load.ts";

const cfg = benchConfig({ syncIntervalMs: 2000, rateLimit: false });
configureLogging({ service: "bench", level: cfg.logLevel });
const argv = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const services = Number(flag("services", "2000"));
const duration = Number(flag("duration", "5"));
const rounds = Number(flag("rounds", "2"));
const connections = Number(flag("connections", "10"));
/** `--cases c` or `--cases a,d`: run only those of (a)–(d). */
const only = flag("cases", "abcd").split(",").join("");

const README_SEARCH = /* GraphQL */ `
  query ReadmeSearch($la: [String!]) {
    searchServices(filter: { localAuthorities: $la }, first: 5) {
      totalCount
      facets {
        partner {
          value
          count
        }
      }
      edges {
        node {
          name
          partner
          needs
          ageRange {
            minimumAge
            maximumAge
          }
          organization {
            name
          }
          locations {
            area
          }
        }
      }
    }
  }
`;
const TEXT_SEARCH = /* GraphQL */ `
  query TextSearch($q: String!) {
    searchServices(query: $q, first: 50) {
      totalCount
      edges {
        distanceKm
        node {
          id
          name
          partner
          organization {
            name
          }
          locations {
            name
            area
          }
        }
      }
    }
  }
`;
const ROUTE = /* GraphQL */ `
  query Route($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
            partner
            organization {
              name
            }
          }
          coversNeeds
          reasons
          distanceKm
          typicalWaitWeeks
        }
        gaps {
          kind
          message
        }
      }
      level {
        level
        reason
      }
      leadAgency {
        partner
        reason
      }
    }
  }
`;
const SERVICE = /* GraphQL */ `
  query Service($id: ID!) {
    service(id: $id) {
      id
      name
      description
      funding {
        contractEndDate
      }
      serviceAreas {
        name
      }
      organization {
        name
      }
      locations {
        name
        area
      }
    }
  }
`;
const NEEDS4 = [
  ["MENTAL_HEALTH", "YOUNG_CARERS", "FAMILY_STRESS", "ADHD"],
  ["SAFEGUARDING", "MENTAL_HEALTH", "LEARNING_DIFFICULTY", "EDUCATION"],
  ["SPEECH_LANGUAGE", "AUTISM", "PARENTING", "FINANCIAL_HARDSHIP"],
  ["SUBSTANCE_MISUSE", "YOUTH_JUSTICE", "HOUSING", "MENTAL_HEALTH"],
];
const PLACES = [
  { postcode: "NR2 4AB" },
  { postcode: "NP20 1AA" },
  { postcode: "BS5 0AA" },
  { localAuthority: "E10000020" },
];
const WORDS = [
  "family support",
  "mental health",
  "parenting",
  "young carers",
  "bereavement",
  "autism",
  "speech",
  "early help",
  "counselling",
  "short breaks",
  "youth",
  "housing",
];

type Body = { query: string; variables: Record<string, unknown> };
interface Case {
  name: string;
  fixed: Body;
  varied: () => Body;
  pool: string;
}

async function post(url: string, body: Body) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "1" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}

/**
 * One run from a load process of its own (scripts/bench/load.ts), so the client's work (autocannon
 * parses every answer) is not charged to the gateways: requests/s, latency percentiles from each
 * response's own time, and this process's CPU per answered request.
 */
async function load(url: string, bodies: Body[]) {
  const m = await underLoad({
    url,
    bodies: bodies.map((b) => JSON.stringify(b)),
    connections,
    seconds: duration,
  });
  return {
    rps: m.r.perSecond,
    p50: m.r.p50,
    p95: m.r.p95,
    p99: m.r.p99,
    cpuMs: m.cpuMs,
    bad: m.r.bad,
    n: m.r.requests,
  };
}

const t0 = performance.now();
const data = generateDataset({ services });
const dbs = {} as Record<PartnerId, Db>;
for (const p of PARTNERS) {
  dbs[p] = await openDb({});
  await importHsds(dbs[p], data[p]);
}
const stack = await startStack(cfg.stack, { dbs });
const subgraphUrls: Record<string, string> = {
  ...Object.fromEntries(PARTNERS.map((p) => [p, stack.partners[p].url])),
  directory: stack.directory.http.url,
};
// The route replica reads every partner's feed before it answers (until then the directory does).
for (let i = 0; stack.gateway.routeReplica && !stack.gateway.routeReplica.ready; i++) {
  if (i > 1200) throw new Error("the route replica did not get ready within 2 minutes");
  await new Promise((r) => setTimeout(r, 100));
}
console.log(
  `stack ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${services} services)`,
);

// Wayfinder's gateway without its public read cache or route replica, on the same subgraphs: every
// answer planned and fetched the federated way, as stock does.
const nocache = await startGateway({
  ...cfg.stack.gateway,
  subgraphUrls,
  publicCache: false,
  routeReplica: false,
  host: "127.0.0.1",
  port: 0,
});

// Stock @apollo/gateway: the committed supergraph (SECURITY links loaded as plain ones, as
// Wayfinder's gateway does), each subgraph call signed for its audience and exact body, as public.
const stockGateway = new ApolloGateway({
  supergraphSdl: forGateway(await readFile("schema/supergraph.graphql", "utf8")),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource({
      url: subgraphUrls[name!] ?? url,
      fetcher: (async (
        input: string,
        init?: { body?: unknown; headers?: Record<string, string> },
      ) => {
        const body = String(init?.body ?? "");
        const claims = await signClaims(PUBLIC_CLAIMS, cfg.stack.gateway.internalSecret, {
          audience: name!,
          body,
        });
        return fetch(input, {
          ...(init as RequestInit),
          body,
          headers: { ...init?.headers, [CLAIMS_HEADER]: claims },
        });
      }) as never,
    }),
});
const stockServer = new ApolloServer({ gateway: stockGateway, csrfPrevention: false });
const { url: stockUrl } = await startStandaloneServer(stockServer, {
  listen: { host: "127.0.0.1", port: 0 },
});

// Pools for varied variables, from the data itself.
const la = [
  "E10000020",
  "W06000022",
  "E06000023",
  "E07000148",
  "E07000146",
  "E07000143",
  "E07000144",
  "E07000145",
  "E07000147",
  "E07000149",
];
const ids = (
  (
    await post(stack.gatewayUrl, {
      query: `{ searchServices(first: 100, sort: NAME) { edges { node { id } } } }`,
      variables: {},
    })
  ).data?.searchServices.edges ?? []
).map((e: any) => e.node.id);
let n = 0;
const CASES: Case[] = [
  {
    name: "(a) README first search",
    fixed: { query: README_SEARCH, variables: { la: ["E10000020"] } },
    varied: () => ({ query: README_SEARCH, variables: { la: [la[n++ % la.length]] } }),
    pool: `${la.length} authorities`,
  },
  {
    name: "(b) text search, 50 with organization and locations",
    fixed: { query: TEXT_SEARCH, variables: { q: "family support" } },
    varied: () => ({ query: TEXT_SEARCH, variables: { q: WORDS[n++ % WORDS.length] } }),
    pool: `${WORDS.length} phrases`,
  },
  {
    name: "(c) routeChild, 4 needs",
    fixed: { query: ROUTE, variables: { profile: { age: 9, needs: NEEDS4[0], ...PLACES[0] } } },
    varied: () => {
      const i = n++;
      return {
        query: ROUTE,
        variables: {
          profile: { age: 3 + (i % 14), needs: NEEDS4[i % 4], ...PLACES[(i >> 2) % 4] },
        },
      };
    },
    pool: "56 profiles",
  },
  {
    name: "(d) service(id)",
    fixed: { query: SERVICE, variables: { id: ids[0] } },
    varied: () => ({ query: SERVICE, variables: { id: ids[n++ % ids.length] } }),
    pool: `${ids.length} ids`,
  },
];

const RUN = CASES.filter((c) => only.includes(c.name[1]!));

const TARGETS = {
  wayfinder: stack.gatewayUrl,
  "wayfinder, federated": nocache.url,
  stock: stockUrl,
} as const;
type Who = keyof typeof TARGETS;
// Sanity: every gateway answers every case without errors, and the same data as stock.
for (const c of RUN) {
  const answers = await Promise.all(
    (Object.keys(TARGETS) as Who[]).map((w) => post(TARGETS[w], c.fixed)),
  );
  for (const [i, a] of answers.entries())
    if (a.errors || !a.data)
      throw new Error(`${c.name} on ${Object.keys(TARGETS)[i]}: ${JSON.stringify(a.errors)}`);
  if (JSON.stringify(answers[0]!.data) !== JSON.stringify(answers[2]!.data))
    console.warn(`note: ${c.name}: Wayfinder and stock answers differ`);
}

/** The bodies a run sends in turn: the fixed one, or enough varied ones to go round every pool. */
const bodies = (c: Case, variant: "fixed" | "varied") =>
  variant === "fixed" ? [c.fixed] : Array.from({ length: 400 }, () => c.varied());

type Figures = Awaited<ReturnType<typeof load>>;
const results = new Map<string, Figures[]>();
const loadBefore = os.loadavg();
for (let r = 0; r < rounds; r++) {
  for (const c of RUN) {
    for (const variant of ["fixed", "varied"] as const) {
      // Interleaved, and the order turns each round, so drift in machine load hits everyone alike.
      const order = (Object.keys(TARGETS) as Who[]).slice();
      if (r % 2) order.reverse();
      for (const who of order) {
        const f = await load(TARGETS[who], bodies(c, variant));
        const key = `${c.name}|${variant}|${who}`;
        results.set(key, [...(results.get(key) ?? []), f]);
        console.log(
          `round ${r + 1} ${c.name} ${variant} ${who}: ${f.rps.toFixed(0)} req/s p50 ${f.p50.toFixed(1)} p95 ${f.p95.toFixed(1)} p99 ${f.p99.toFixed(1)} ms${f.bad ? ` (${f.bad} bad)` : ""}`,
        );
      }
    }
  }
}
const loadAfter = os.loadavg();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const agg = (key: string) => {
  const fs = results.get(key)!;
  return {
    rps: mean(fs.map((f) => f.rps)),
    p50: mean(fs.map((f) => f.p50)),
    p95: mean(fs.map((f) => f.p95)),
    p99: mean(fs.map((f) => f.p99)),
    cpuMs: mean(fs.map((f) => f.cpuMs)),
    bad: fs.reduce((a, f) => a + f.bad, 0),
  };
};
const x = (v: number) => `${v.toFixed(2)}×`;
const rows: string[] = [];
const verdicts: string[] = [];
for (const c of RUN) {
  for (const variant of ["fixed", "varied"] as const) {
    const stock = agg(`${c.name}|${variant}|stock`);
    for (const who of ["wayfinder", "wayfinder, federated", "stock"] as Who[]) {
      const a = agg(`${c.name}|${variant}|${who}`);
      rows.push(
        `| ${c.name} | ${variant}${variant === "varied" ? ` (${c.pool})` : ""} | ${who} | ${a.rps.toFixed(0)} | ${x(a.rps / stock.rps)} | ${a.p50.toFixed(1)} (${x(a.p50 / stock.p50)}) | ${a.p95.toFixed(1)} (${x(a.p95 / stock.p95)}) | ${a.p99.toFixed(1)} (${x(a.p99 / stock.p99)}) | ${a.cpuMs.toFixed(2)} |${a.bad ? ` ${a.bad} non-200/errors` : ""}`,
      );
    }
    if (variant === "varied") {
      const ratio = agg(`${c.name}|varied|wayfinder`).rps / stock.rps;
      verdicts.push(
        `- ${c.name}, varied: ${x(ratio)} stock requests/s — target ≥ 3×: ${ratio >= 3 ? "met" : "NOT met"}`,
      );
    }
  }
}

const command = `npm run bench -- ${argv.join(" ")}`.trim();
const fmtLoad = (l: number[]) => l.map((v) => v.toFixed(2)).join(", ");
const section = [
  `## Side by side with stock @apollo/gateway — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`,
  "",
  `Command: \`${command}\` (${services} generated services on PGlite; ${rounds} interleaved rounds of ${duration} s per gateway, query and variant; autocannon in a process of its own, ${connections} connections; latencies in ms from each response's own time; requests/s and percentiles are means over rounds; ratios are to stock, so above 1× is better for requests/s and below 1× is better for latency; CPU ms per request is the stack process's CPU time, user + system, over the run divided by the answers: gateways and subgraphs, not the client).`,
  `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}; load average (1, 5, 15 min) ${fmtLoad(loadBefore)} before, ${fmtLoad(loadAfter)} after; all subgraphs and the gateways in one process over loopback HTTP, the load generator in another (the machine is shared with other engineers' test runs).`,
  `"wayfinder" is the product as configured by default (public read cache and route replica on); "wayfinder, federated" is the same gateway with both off, so every answer is planned and fetched as stock does; all three call the same subgraphs. The varied pools are small, so after the first pass the cached reads (a, b, d) are cache hits. routeChild is never cached: the product answers it from the gateway's route replica (its own copy of the index, following the partners' feeds), so no subgraph is called for it.`,
  "",
  "| query | variables | gateway | req/s | vs stock | p50 | p95 | p99 | CPU ms per request |",
  "|---|---|---|---:|---:|---:|---:|---:|---:|",
  ...rows,
  "",
  ...verdicts,
  "",
].join("\n");
console.log(section);

if (!argv.includes("--no-write"))
  console.log(`Wrote ${await writeBenchSection("side-by-side", section)}`);

await stockServer.stop();
await nocache.close();
await stack.close();
for (const p of PARTNERS) await dbs[p].close();
process.exit(0);
