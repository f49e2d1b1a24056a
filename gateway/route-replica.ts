// The route replica: routeChild answered by the gateway itself, from its own copy of the
// directory's index, without a hop to the directory.
//
// Why: a route plan cannot be cached (the child's profile is its argument, and a profile is never
// a cache key or value), so every plan used to cost a gateway execution, an HTTP call, and the
// directory's own GraphQL execution of a 15 KB answer, about three quarters of its CPU. The replica
// follows the partners' change feeds exactly as the directory does (the same DirectorySync, into
// an embedded index held in memory) and runs the directory's own planner (planRoute) over it.
//
// When it answers (everything else goes the federated way, unchanged):
// - the operation is a query whose only root field is routeChild;
// - its query plan is one fetch from the directory: every field it selects is the directory's, or
//   provided by it (@provides), so no partner is asked, and no field carries an access rule
//   (@requiresScopes etc.: the subgraphs enforce those, so such a query always goes to them);
// - routeChild's arguments are variables (a profile written into the query text would be kept in
//   the compiled query; a profile is never kept);
// - the replica has read every partner's feed at least once (a gateway started while a partner is
//   down leaves plans to the directory, which may hold that partner's stored copies, until it
//   comes back);
// - the local answer has no errors (a bad profile is answered by the directory, in its words).
// The answer is the API schema executed over planRoute's result (the operation compiled once to a
// function by graphql-jit, as Hive Gateway's JIT option does), with the directory's own scalar
// serialisers, its field resolvers (a local authority's county, its service count …) and its type
// resolution, so it is the answer the directory would give from the same copy
// (tests/route-replica.e2e.ts compares them field by field on random profiles). The replica uses
// the directory's code through subgraphs/directory/follower.ts only.
//
// Consistency: a plan's filters and the values it shows come from one copy, the replica's. That
// copy follows the same feeds as the directory's, at the same interval, so the two can differ for
// up to one sync interval after a change; `directoryCopy.syncedAt` and `stale` report the
// replica's own view. Cost: a second copy in the gateway's memory (the index and the documents; see
// BENCHMARKS.md), and the gateway's own feed reads and liveness probes at the partners.
// GATEWAY_ROUTE_REPLICA=false turns it off.
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import { QueryPlanner } from "@apollo/query-planner";
import { createRequire } from "node:module";
import type { CompiledQuery } from "graphql-jit";
import type { DocumentNode, GraphQLSchema } from "graphql";
import type { PartnerId } from "../schema/vocabulary.ts";
import type { Logger } from "../platform/log.ts";
import { getMetadataStorage } from "type-graphql";
import {
  DirectorySync,
  buildDirectorySchema,
  createEmbeddedBackend,
  createPostcodeResolver,
  planRoute,
  resolveByIdPrefix,
  type RouteContext,
} from "../subgraphs/directory/follower.ts";
import type { GatewayContext } from "./context.ts";

export interface RouteReplicaOptions {
  /** Each partner's GraphQL URL; its change feed is beside it. */
  partnerUrls: Record<PartnerId, string>;
  internalSecret: string;
  /** SYNC_INTERVAL_MS, as the directory's. */
  syncIntervalMs: number;
  /** RECONCILE_INTERVAL_MS, as the directory's. */
  reconcileIntervalMs?: number;
  /** POSTCODES_URL, as the directory's, so both place a postcode alike. */
  postcodesUrl?: string;
  logger: Logger;
}

export interface RouteReplica {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** Each supergraph the gateway loads (its planner and API schema are rebuilt on first use). */
  useSupergraph(supergraphSdl: string): void;
  /** Starts following the partners' feeds (once the gateway is listening). */
  start(): void;
  /** True once every partner's feed has been read and the supergraph is compiled: plans are local. */
  readonly ready: boolean;
  readonly sync: DirectorySync;
  /** Plans answered here, and eligible ones left to the directory, by error code. */
  stats(): { ready: boolean; answered: number; federated: Record<string, number> };
  close(): Promise<void>;
}

// graphql-js checks its classes across module instances, so a schema is inspected with the graphql
// that built it: @apollo/federation-internals' (the CommonJS entry). Loaded the same way here, and
// graphql-jit with it, whatever entry a loader would pick for this file (vitest picks the ES one).
const require = createRequire(import.meta.url);
const {
  Kind,
  TypeInfo,
  getNamedType,
  isAbstractType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  visit,
  visitWithTypeInfo,
} = require("graphql") as typeof import("graphql");
const { compileQuery, isCompiledQuery } = require("graphql-jit") as typeof import("graphql-jit");

/** Directives that restrict who may read a field; a query selecting one always goes to the subgraphs. */
const ACCESS_RULES = new Set(["requiresScopes", "authenticated", "policy"]);

interface Compiled {
  schema: GraphQLSchema;
  supergraph: Supergraph;
  planner: QueryPlanner;
  /**
   * Per parsed document (Apollo Server reuses one per query text) and operation name: the query
   * compiled to a function (graphql-jit), or null when it is not the replica's to answer.
   */
  decisions: WeakMap<DocumentNode, Map<string, CompiledQuery | null>>;
}

/** The directory's field resolvers ("LocalAuthority.county" …), from type-graphql's metadata. */
function fieldResolvers(): Set<string> {
  const storage = getMetadataStorage();
  const names = new Map(storage.objectTypes.map((o) => [o.target, o.name]));
  return new Set(
    storage.fieldResolvers.map((f) => `${names.get(f.getObjectType?.() as never)}.${f.schemaName}`),
  );
}

/**
 * The API schema to execute locally, with the directory's own serialisers for every custom scalar
 * it shares (a date printed as the directory prints it), its field resolvers (run with the
 * replica's context, so a service count counts the replica's copy), and its type resolution for
 * its entities (a service's type from its id's partner). Enums need nothing: every value's
 * internal value is its name on both sides.
 */
export function localSchema(
  supergraph: Supergraph,
  directory: GraphQLSchema,
  routeChild: (args: { profile: never; options?: never }) => Promise<unknown>,
): GraphQLSchema {
  const schema = supergraph.apiSchema().toGraphQLJSSchema();
  schema.getQueryType()!.getFields().routeChild!.resolve = (_root, args) =>
    routeChild(args as never);
  const resolvers = fieldResolvers();
  for (const [name, type] of Object.entries(schema.getTypeMap())) {
    const own = directory.getType(name);
    if (!own || name.startsWith("__")) continue;
    if (isScalarType(type) && isScalarType(own) && !isSpecifiedScalarType(type)) {
      type.serialize = own.serialize.bind(own);
      type.parseValue = own.parseValue.bind(own);
      type.parseLiteral = own.parseLiteral.bind(own);
    } else if (isObjectType(type) && isObjectType(own) && name !== "Query") {
      const ownFields = own.getFields();
      for (const field of Object.values(type.getFields())) {
        const resolve = ownFields[field.name]?.resolve;
        if (resolve && resolvers.has(`${name}.${field.name}`)) field.resolve = resolve;
      }
    }
  }
  // The directory's entities, by their ids' partner prefix, as the directory resolves them (its
  // schema's own resolveType is asynchronous, which compiled execution does not await).
  for (const entity of ["Service", "Organization"] as const) {
    const type = schema.getType(entity);
    if (type && isAbstractType(type)) type.resolveType = resolveByIdPrefix(entity);
  }
  return schema;
}

/**
 * A query whose root fields are routeChild (with variables for arguments, never a literal profile)
 * and __typename, without directives: one the replica may answer, if its plan agrees.
 */
function routesOnly(rc: GraphQLRequestContext<GatewayContext>): boolean {
  const op = rc.operation;
  if (!op || !rc.document || op.operation !== "query") return false;
  let route = false;
  for (const s of op.selectionSet.selections) {
    if (s.kind !== Kind.FIELD || s.directives?.length) return false;
    if (s.name.value === "routeChild") {
      if (!s.arguments?.every((a) => a.value.kind === Kind.VARIABLE)) return false;
      route = true;
    } else if (s.name.value !== "__typename") return false;
  }
  return route;
}

export function createRouteReplica(opts: RouteReplicaOptions): RouteReplica {
  const sync = new DirectorySync({
    backend: createEmbeddedBackend(),
    partnerUrls: opts.partnerUrls,
    intervalMs: opts.syncIntervalMs,
    reconcileIntervalMs: opts.reconcileIntervalMs,
    internalSecret: opts.internalSecret,
  });
  const postcodes = createPostcodeResolver({
    postcodesUrl: opts.postcodesUrl ?? null,
    centroidsFrom: () => sync.knownPostcodes(),
  });
  const ctx: RouteContext = {
    get backend() {
      return sync.backend;
    },
    sync,
    postcodes,
  };
  let supergraphSdl: string | null = null;
  /** Every partner's feed read once: from then on, the replica's copy is whole. */
  let synced = false;
  let closed = false;
  /** The loaded supergraph compiled for local plans; null until built. */
  let current: (Compiled & { sdl: string }) | null = null;
  let directorySchema: Promise<GraphQLSchema> | null = null;
  let answered = 0;
  /** Eligible plans left to the directory, by the local answer's error code. */
  const federated = new Map<string, number>();

  /**
   * Builds the local schema and planner for the loaded supergraph (half a second of CPU), once the
   * replica has synced and again after a supergraph reload: never on a request, never before the
   * gateway's start is over. Until it is built, plans go the federated way.
   */
  async function build(): Promise<void> {
    const sdl = supergraphSdl;
    if (!synced || closed || !sdl || current?.sdl === sdl) return;
    try {
      directorySchema ??= buildDirectorySchema();
      const directory = await directorySchema;
      const supergraph = Supergraph.build(sdl);
      const next = {
        sdl,
        schema: localSchema(supergraph, directory, (args) =>
          planRoute(ctx, args.profile, args.options),
        ),
        supergraph,
        planner: new QueryPlanner(supergraph),
        decisions: new WeakMap(),
      };
      if (supergraphSdl !== sdl) return;
      if (!current) opts.logger.info({}, "route_replica_ready");
      current = next;
    } catch (err) {
      // A supergraph that cannot be planned here is served the federated way.
      opts.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "route_replica_unavailable",
      );
    }
  }

  /** Synced with every partner, and the loaded supergraph compiled for local plans. */
  const answering = () => !!current && current.sdl === supergraphSdl;

  /**
   * routeChild alone, planned as one fetch from the directory, with no field under an access rule:
   * the operation compiled; otherwise null.
   */
  function eligible(c: Compiled, rc: GraphQLRequestContext<GatewayContext>): CompiledQuery | null {
    const op = rc.operation!;
    const document = rc.document!;
    const name = op.name?.value ?? "";
    let byName = c.decisions.get(document);
    if (!byName) c.decisions.set(document, (byName = new Map()));
    let compiledQuery = byName.get(name);
    if (compiledQuery === undefined) {
      compiledQuery = null;
      if (decide(c, document, op.name?.value)) {
        const q = compileQuery(c.schema, document, op.name?.value);
        if (isCompiledQuery(q)) compiledQuery = q;
      }
      byName.set(name, compiledQuery);
    }
    return compiledQuery;
  }

  function decide(c: Compiled, document: DocumentNode, operationName?: string): boolean {
    try {
      const plan = c.planner.buildQueryPlan(
        operationFromDocument(c.supergraph.schema, document, { operationName }),
      );
      if (plan.node?.kind !== "Fetch" || plan.node.serviceName !== "directory") return false;
      let restricted = false;
      const typeInfo = new TypeInfo(c.schema);
      visit(
        document,
        visitWithTypeInfo(typeInfo, {
          Field() {
            const parent = typeInfo.getParentType();
            const field = typeInfo.getFieldDef();
            if (!parent || !field) return;
            const owner = c.supergraph.schema.type(parent.name);
            const def = owner && "field" in owner ? owner.field(field.name) : undefined;
            const target = c.supergraph.schema.type(getNamedType(field.type).name);
            const rules = [
              ...(owner?.appliedDirectives ?? []),
              ...(def?.appliedDirectives ?? []),
              ...(target?.appliedDirectives ?? []),
            ].filter((d) => ACCESS_RULES.has(d.name));
            if (rules.length) restricted = true;
          },
        }),
      );
      return !restricted;
    } catch {
      return false;
    }
  }

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async responseForOperation(rc) {
          if (!routesOnly(rc) || !answering()) return null;
          const query = eligible(current!, rc);
          if (!query) return null;
          const result = await query.query(undefined, ctx, rc.request.variables ?? {});
          // Errors (a bad profile, say) are left to the directory, which words them; counted by
          // code, so a replica's own failure is told apart from a caller's mistake.
          if (result.errors?.length || !result.data) {
            for (const e of result.errors ?? []) {
              const code = String(e.extensions?.code ?? "INTERNAL");
              federated.set(code, (federated.get(code) ?? 0) + 1);
            }
            return null;
          }
          answered++;
          rc.response.http.headers.set("x-wayfinder-route", "replica");
          return { http: rc.response.http, body: { kind: "single", singleResult: result } };
        },
      };
    },
  };

  return {
    plugin,
    useSupergraph(sdl) {
      supergraphSdl = sdl;
      void build();
    },
    start() {
      sync.start();
      void sync.synced.then(() => {
        synced = true;
        return build();
      });
    },
    get ready() {
      return answering();
    },
    sync,
    stats: () => ({ ready: answering(), answered, federated: Object.fromEntries(federated) }),
    async close() {
      closed = true;
      await sync.stop();
      await sync.backend.close();
    },
  };
}
