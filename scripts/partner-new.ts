// npm run partner:new -- <id> [--label "Libraries"] [--description "…"] [--prefix Library]
// Scaffolds subgraphs/<id>/: its manifest (partner.json: next free port, last in the lead-agency
// order), its Service and Organization types, resolvers, server.ts and index.ts — the same shape as
// every other partner — its PostgreSQL database in docker/postgres-init.sql, and its service in
// docker-compose.yml (like health's, wired into the gateway and the directory). Then run
// `npm run schema:compose`, which adds it to the partner registry and the supergraph.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Pair, type Scalar, type YAMLMap } from "yaml";
import { PARTNER_ID } from "../schema/partners.ts";
import { ROOT, readManifests } from "./partner-registry.ts";

const USAGE = `usage: npm run partner:new -- <id> [--label "…"] [--description "…"] [--prefix TypePrefix]
  <id>  lower-case letters and digits, e.g. library (the folder, the Partner enum value, id prefix)`;

// Ports the stack already uses besides the partners': the gateway and the directory.
const RESERVED_PORTS = new Set([4000, 4104]);

function fail(message: string): never {
  console.error(`partner:new: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const opts: { id?: string; label?: string; description?: string; prefix?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? fail(`${arg} needs a value`);
    if (arg === "--label") opts.label = value();
    else if (arg === "--description") opts.description = value();
    else if (arg === "--prefix") opts.prefix = value();
    else if (arg === "-h" || arg === "--help") {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith("-")) fail(`unknown option "${arg}"`);
    else if (opts.id === undefined) opts.id = arg;
    else fail(`one partner at a time (got "${opts.id}" and "${arg}")`);
  }
  if (!opts.id) fail("a partner id is required");
  if (!PARTNER_ID.test(opts.id)) fail(`"${opts.id}" is not a valid id (${PARTNER_ID})`);
  return opts as typeof opts & { id: string };
}

const opts = parseArgs(process.argv.slice(2));
const id = opts.id;
const Prefix = opts.prefix ?? id[0]!.toUpperCase() + id.slice(1);
const existing = readManifests(ROOT);
const dir = path.join(ROOT, "subgraphs", id);
if (existsSync(dir)) fail(`subgraphs/${id}/ already exists`);
if (existing.some((m) => m.typePrefix === Prefix))
  fail(`type prefix ${Prefix} is taken; pass --prefix`);

let port = Math.max(...existing.map((m) => m.port)) + 1;
while (RESERVED_PORTS.has(port) || existing.some((m) => m.port === port)) port++;
const manifest = {
  id,
  typePrefix: Prefix,
  label: opts.label ?? Prefix,
  description: opts.description ?? `${Prefix} services.`,
  port,
  // A newcomer leads only where no established partner covers as much.
  leadPriority: Math.max(...existing.map((m) => m.leadPriority)) + 1,
};

const files: Record<string, string> = {
  "partner.json": JSON.stringify(manifest, null, 2) + "\n",
  "index.ts": `import { runPartner } from "../kit/run.ts";
import { createServer, migrationDirs } from "./server.ts";

await runPartner("${id}", createServer, migrationDirs);
`,
  "server.ts": `// The ${id} partner subgraph: built here, listened on in index.ts.
import { createPartnerServer, type PartnerServer } from "../kit/partner.server.ts";
import type { Db } from "../kit/db/db.ts";
import type { BatchObserver } from "../kit/loaders.ts";
import { ${Prefix}ServiceResolver } from "./service/service.resolver.ts";
import { ${Prefix}ServiceMutationResolver } from "./service/service.mutation.ts";
import { ${Prefix}OrganizationResolver } from "./organization/organization.resolver.ts";

/** Extra SQL migration folders for this partner's own tables (the kit's run first). */
export const migrationDirs: string[] = [];

export function createServer(db: Db, observeBatches?: BatchObserver): Promise<PartnerServer> {
  return createPartnerServer({
    partner: "${id}",
    db,
    resolvers: [${Prefix}ServiceResolver, ${Prefix}ServiceMutationResolver, ${Prefix}OrganizationResolver],
    observeBatches,
  });
}
`,
  "base.ts": `import { createPartnerBases } from "../kit/partner.types.ts";

/** This partner's Organization interface and Service base (the shared contract). */
export const { Organization, ServiceBase } = createPartnerBases();
`,
  "service/service.type.ts": `import { Directive, ObjectType } from "type-graphql";
import { ServiceBase } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("${Prefix}Service", {
  description: ${JSON.stringify(`A service from ${manifest.label}: ${manifest.description}`)},
})
export class ${Prefix}Service extends ServiceBase {}
`,
  "service/service.resolver.ts": `import { Resolver } from "type-graphql";
import { createServiceResolverBase } from "../../kit/partner.types.ts";
import { ${Prefix}Service } from "./service.type.ts";
import { Organization } from "../base.ts";

@Resolver(() => ${Prefix}Service)
export class ${Prefix}ServiceResolver extends createServiceResolverBase(${Prefix}Service, Organization) {}
`,
  "service/service.mutation.ts": `import { Resolver } from "type-graphql";
import { createServiceUpdateResolverBase } from "../../kit/service.update.ts";
import { ${Prefix}Service } from "./service.type.ts";

/** update${Prefix}Service and ${id}ServiceAudit, for ${id} partner admins. */
@Resolver(() => ${Prefix}Service)
export class ${Prefix}ServiceMutationResolver extends createServiceUpdateResolverBase(${Prefix}Service, "${id}") {}
`,
  "organization/organization.type.ts": `import { Directive, ObjectType } from "type-graphql";
import { Organization } from "../base.ts";

// Shareable: the directory's search and route results carry the organization's name from its copy
// (@provides in subgraphs/directory/types/provided.ts); this subgraph still owns it.
@Directive("@shareable")
@Directive('@key(fields: "id")')
@ObjectType("${Prefix}Organization", {
  implements: Organization,
  description: ${JSON.stringify(`An organisation that runs ${manifest.label} services.`)},
})
export class ${Prefix}Organization extends Organization {}
`,
  "organization/organization.resolver.ts": `import { Resolver } from "type-graphql";
import { createOrganizationResolverBase } from "../../kit/partner.types.ts";
import { ${Prefix}Service } from "../service/service.type.ts";
import { ${Prefix}Organization } from "./organization.type.ts";

@Resolver(() => ${Prefix}Organization)
export class ${Prefix}OrganizationResolver extends createOrganizationResolverBase(
  ${Prefix}Organization,
  ${Prefix}Service,
  "${id}",
) {}
`,
};

for (const [rel, text] of Object.entries(files)) {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

// Its own database in the production-shaped stack (docker-compose.yml's PostgreSQL).
const init = path.join(ROOT, "docker", "postgres-init.sql");
if (
  existsSync(init) &&
  !new RegExp(`^CREATE DATABASE ${id};$`, "m").test(readFileSync(init, "utf8"))
) {
  appendFileSync(init, `CREATE DATABASE ${id};\n`);
}

const compose = path.join(ROOT, "docker-compose.yml");
const composed = existsSync(compose) && addComposeService(compose);

console.log(`Created subgraphs/${id}/ (${Prefix}Service, ${Prefix}Organization; port ${port})${composed ? `, and its "${id}" service in docker-compose.yml` : ""}.
Next:
  npm run schema:compose                          # adds ${id} to schema/partners.json and the supergraph
  npm run import -- --partner ${id} <file.json>   # load its services (HSDS / Open Referral UK)
  npm start                                       # or: npm run start:subgraph -- ${id}`);

/**
 * Adds the partner to docker-compose.yml as health is there: its own service (its PostgreSQL
 * database, port, health check) and ${ID}_URL plus a health-checked dependency on the gateway and
 * the directory. Keeps the file's comments and layout, and dclint's alphabetical order of services.
 * False when the file has no health service to copy, or already has this one.
 */
function addComposeService(file: string): boolean {
  const doc = parseDocument(readFileSync(file, "utf8"));
  const services = doc.get("services");
  if (!isMap(services) || !isMap(services.get("health")) || services.has(id)) return false;
  const ID = id.toUpperCase();
  const service = (services.get("health") as YAMLMap).clone() as YAMLMap;
  const env = service.get("environment") as YAMLMap;
  const healthPort = String(env.get("HEALTH_PORT"));
  // health's own variables, renamed in place; the rest (HOST, secrets, logging) as they are.
  for (const pair of env.items) {
    const key = pair.key as Scalar<string>;
    const value = pair.value as Scalar<string>;
    if (key.value === "HEALTH_DATABASE_URL") {
      key.value = `${ID}_DATABASE_URL`;
      value.value = value.value.replace(/\/health$/, `/${id}`);
    } else if (key.value === "HEALTH_PORT") {
      key.value = `${ID}_PORT`;
      value.value = String(port);
    }
  }
  service.set(
    "command",
    doc.createNode(["npm", "run", "start:subgraph", "--", id], { flow: true }),
  );
  const test = service.getIn(["healthcheck", "test"]);
  if (isSeq(test)) {
    for (const item of test.items as Scalar<string>[])
      item.value = String(item.value).replace(`:${healthPort}/`, `:${port}/`);
  }
  const key = doc.createNode(id);
  key.spaceBefore = true; // a blank line between services, as in the rest of the file
  insertSorted(services, doc.createPair(key, service));
  for (const consumer of ["directory", "gateway"]) {
    const target = services.get(consumer);
    if (!isMap(target)) continue;
    const consumerEnv = target.get("environment");
    if (isMap(consumerEnv))
      insertSorted(consumerEnv, doc.createPair(`${ID}_URL`, `http://${id}:${port}/graphql`));
    const deps = target.get("depends_on");
    if (isMap(deps)) insertSorted(deps, doc.createPair(id, { condition: "service_healthy" }));
  }
  // The layout the file is written in, so that only the new lines show in a diff.
  writeFileSync(file, doc.toString({ lineWidth: 0, flowCollectionPadding: false }));
  return true;
}

/** Puts the pair before the first entry whose key sorts after it (the file's lists are in key order). */
function insertSorted(map: YAMLMap, pair: Pair) {
  const keyOf = (p: Pair) => String(isScalar(p.key) ? p.key.value : p.key);
  const at = map.items.findIndex((p) => keyOf(p) > keyOf(pair));
  map.items.splice(at === -1 ? map.items.length : at, 0, pair);
}
