// The container stack: docker-compose.yml passes dclint cleanly, only sets env vars the code reads,
// and wires the services together on the ports and URLs the code uses. No Docker engine is needed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// `yaml` comes with dclint, which parses compose files with it.
import { parse } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { SUBGRAPHS, subgraphPort } from "../platform/config.ts";
import { PARTNERS } from "../schema/vocabulary.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const COMPOSE_FILE = path.join(ROOT, "docker-compose.yml");
const DCLINT = path.join(ROOT, "node_modules", ".bin", "dclint");
const KIT_CONFIG = path.join(ROOT, "platform", "config.ts");
const GATEWAY_CONFIG = path.join(ROOT, "gateway", "config.ts");

/**
 * Runs dclint on one file. Every rule stays on; none is disabled, because the compose file meets
 * them all: it has a project `name`, services and keys in dclint's order, pinned image tags, the
 * one published port bound to 127.0.0.1 (long syntax, so there is no quoting for Prettier and
 * require-quotes-in-ports to disagree about), and no `build` beside an `image`. `--max-warnings 0`
 * makes warnings (the style rules) fail the run too, not only errors.
 */
function dclint(file: string) {
  return spawnSync(DCLINT, [file, "--max-warnings", "0", "--no-color"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
  });
}

type Env = Record<string, string>;
interface Service {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Env | string[];
  ports?: unknown[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string };
}

const compose = parse(readFileSync(COMPOSE_FILE, "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

function envOf(service: Service): Env {
  const env = service.environment ?? {};
  if (!Array.isArray(env))
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(
    env.map((entry) => {
      const i = entry.indexOf("=");
      return i === -1 ? [entry, ""] : [entry.slice(0, i), entry.slice(i + 1)];
    }),
  );
}

/** Our own services: the ones built from this repository's Dockerfile. */
const appServices = Object.keys(services).filter((name) => services[name].build !== undefined);

/**
 * Env var names a config module reads, found in its source: `env.NAME` / `process.env.NAME`,
 * quoted ALL_CAPS literals (`env["NAME"]`, `str(env, "NAME", …)`), and templated names such as
 * `${upper(name)}_PORT`, expanded for every subgraph.
 */
function envNamesIn(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)) names.add(m[1]);
  for (const m of source.matchAll(/["'`]([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)["'`]/g)) names.add(m[1]);
  for (const m of source.matchAll(/`\$\{[^}`]+\}(_[A-Z][A-Z0-9_]*)`/g)) {
    for (const name of SUBGRAPHS) names.add(name.toUpperCase() + m[1]);
  }
  return names;
}

const kitNames = envNamesIn(readFileSync(KIT_CONFIG, "utf8"));
const hasGatewayConfig = existsSync(GATEWAY_CONFIG);
// The gateway reads its token settings in gateway/auth.ts (authConfig), called from gateway/config.ts.
const GATEWAY_AUTH = path.join(ROOT, "gateway", "auth.ts");
const gatewayNames = hasGatewayConfig
  ? new Set([
      ...envNamesIn(readFileSync(GATEWAY_CONFIG, "utf8")),
      ...(existsSync(GATEWAY_AUTH) ? envNamesIn(readFileSync(GATEWAY_AUTH, "utf8")) : []),
    ])
  : new Set<string>();

describe("docker-compose.yml lint", () => {
  const tmp = mkdtempSync(path.join(tmpdir(), "wayfinder-compose-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("passes dclint with no errors and no warnings", () => {
    const run = dclint(COMPOSE_FILE);
    expect(run.error).toBeUndefined();
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
  });

  it("fails dclint on a broken compose file", () => {
    const broken = path.join(tmp, "docker-compose.yml");
    // An untagged image and a port published on every interface: both are dclint errors.
    writeFileSync(broken, "services:\n  web:\n    image: nginx\n    ports:\n      - 8080:80\n");
    const run = dclint(broken);
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(1);
    // It really linted the file (a missing file also exits 1): the rules it broke are named.
    expect(run.stdout).toContain("service-image-require-explicit-tag");
    expect(run.stdout).toContain("no-unbound-port-interfaces");
  });

  it("fails dclint on warnings alone", () => {
    const warnsOnly = path.join(tmp, "warnings.yml");
    // Valid and error-free, but without a project `name` (a warning).
    writeFileSync(warnsOnly, "services:\n  web:\n    image: nginx:1.27\n");
    const run = dclint(warnsOnly);
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(1);
    expect(run.stdout).toContain("require-project-name-field");
  });
});

describe("docker-compose.yml env vars", () => {
  it("finds the documented names in platform/config.ts (the scan itself works)", () => {
    for (const name of [
      "HOST",
      "DATA_DIR",
      "NODE_ENV",
      "LOG_LEVEL",
      "COUNCIL_PORT",
      "DIRECTORY_PORT",
      "HEALTH_DATABASE_URL",
      "CHARITY_URL",
      "MEILI_URL",
      "MEILI_API_KEY",
      "MEILI_INDEX",
      "POSTCODES_URL",
      "SYNC_INTERVAL_MS",
    ]) {
      expect(kitNames, name).toContain(name);
    }
  });

  it("has the five app services, all from this repository's image", () => {
    expect([...appServices].sort()).toEqual([...SUBGRAPHS, "gateway"].sort());
  });

  it.each([...SUBGRAPHS])("%s only sets env vars platform/config.ts reads", (name) => {
    const unknown = Object.keys(envOf(services[name])).filter((key) => !kitNames.has(key));
    expect(unknown).toEqual([]);
  });

  it.skipIf(!hasGatewayConfig)(
    "gateway only sets env vars gateway/config.ts or the kit reads",
    () => {
      const unknown = Object.keys(envOf(services.gateway)).filter(
        (key) => !gatewayNames.has(key) && !kitNames.has(key),
      );
      expect(unknown).toEqual([]);
    },
  );
});

describe("docker-compose.yml wiring", () => {
  const portOf = (name: (typeof SUBGRAPHS)[number]) => subgraphPort(name, envOf(services[name]));

  it.each([...SUBGRAPHS])("%s starts as that subgraph, reachable and health-checked", (name) => {
    const service = services[name];
    expect(service.command).toEqual(["npm", "run", "start:subgraph", "--", name]);
    expect(envOf(service).HOST).toBe("0.0.0.0");
    expect(service.ports).toBeUndefined();
    expect(JSON.stringify(service.healthcheck?.test)).toContain(
      `http://127.0.0.1:${portOf(name)}/health`,
    );
  });

  it.each([...PARTNERS])(
    "%s uses its own PostgreSQL database, which the init script creates",
    (partner) => {
      const url = envOf(services[partner])[`${partner.toUpperCase()}_DATABASE_URL`];
      expect(url).toBe(`postgres://wayfinder:\${POSTGRES_PASSWORD}@postgres:5432/${partner}`);
      const init = readFileSync(path.join(ROOT, "docker", "postgres-init.sql"), "utf8");
      expect(init).toMatch(new RegExp(`^CREATE DATABASE ${partner};$`, "m"));
    },
  );

  it("gateway and directory reach each subgraph on its service name and port", () => {
    const gateway = envOf(services.gateway);
    const directory = envOf(services.directory);
    for (const name of SUBGRAPHS) {
      const url = `http://${name}:${portOf(name)}/graphql`;
      expect(gateway[`${name.toUpperCase()}_URL`], `gateway ${name}`).toBe(url);
      if (name !== "directory")
        expect(directory[`${name.toUpperCase()}_URL`], `directory ${name}`).toBe(url);
    }
    expect(directory.MEILI_URL).toBe("http://meilisearch:7700");
  });

  it("gateway listens on every interface and is published on its port, loopback only", () => {
    const env = envOf(services.gateway);
    expect(env.GATEWAY_HOST).toBe("0.0.0.0");
    expect(services.gateway.command).toEqual(["npm", "run", "start:gateway"]);
    expect(services.gateway.ports).toEqual([
      {
        target: Number(env.GATEWAY_PORT ?? 4000),
        published: "4000",
        host_ip: "127.0.0.1",
        protocol: "tcp",
      },
    ]);
  });

  it("every dependency waits for a health-checked service", () => {
    for (const [name, service] of Object.entries(services)) {
      const deps = service.depends_on ?? {};
      expect(Array.isArray(deps), `${name} depends_on needs conditions`).toBe(false);
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(condition, `${name} -> ${dep}`).toBe("service_healthy");
        expect(services[dep]?.healthcheck, `${dep} healthcheck`).toBeDefined();
      }
    }
  });
});
