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
// - the replica has read every partner's feed at least once;
// - the local answer has no errors (a bad profile is answered by the directory, in its words).
// The answer is the API schema executed over planRoute's result (the operation compiled once to a
// function by graphql-jit, as Hive Gateway's JIT option does), with the directory's own scalar and
// enum serialisers and type resolution, so it is the answer the directory would give from the
// same copy (tests/route-replica.e2e.ts compares them field by field on random profiles).
//
// Consistency: a plan's filters and the values it shows come from one copy, the replica's. That
// copy follows the same feeds as the directory's, at the same interval, so the two can differ for
// up to one sync interval after a change; `directoryCopy.syncedAt` and `stale` report the
// replica's own view. Cost: a second index in the gateway's memory (about the directory's; see
// BENCHMARKS.md). GATEWAY_ROUTE_REPLICA=false turns it off.
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import { QueryPlanner } from "@apollo/query-planner";
import { createRequire } from "node:module";
import type { CompiledQuery } from "graphql-jit";
import type { DocumentNode, GraphQLSchema } from "graphql";
import { PARTNERS, type PartnerId } from "../schema/vocabulary.ts";
import type { Logger } from "../platform/log.ts";
import { DirectorySync } from "../subgraphs/directory/sync.ts";
import { createEmbeddedBackend } from "../subgraphs/directory/search/embedded.ts";
import { createPostcodeResolver } from "../subgraphs/directory/postcodes.ts";
import { buildDirectorySchema } from "../subgraphs/directory/server.ts";
import { planRoute, type RouteContext } from "../subgraphs/directory/route/route.resolver.ts";
import { resolveByIdPrefix } from "../subgraphs/directory/types/entities.ts";
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
  /** True once every partner's feed has been read. */
  readonly ready: boolean;
  readonly sync: DirectorySync;
  /** Plans answered here, and eligible ones left to the directory (errors). */
  stats(): { ready: boolean; answered: number; federated: number };
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
  isEnumType,
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

/**
 * The API schema to execute locally, with the directory's own serialisers for every scalar and enum
 * it shares (a date printed as the directory prints it, an enum's internal value turned into its
 * name) and its type resolution for its entities (a service's type from its id's partner).
 */
function localSchema(
  supergraph: Supergraph,
  directory: GraphQLSchema,
  routeChild: (args: { profile: never; options?: never }) => Promise<unknown>,
): GraphQLSchema {
  const schema = supergraph.apiSchema().toGraphQLJSSchema();
  schema.getQueryType()!.getFields().routeChild!.resolve = (_root, args) =>
    routeChild(args as never);
  for (const [name, type] of Object.entries(schema.getTypeMap())) {
    const own = directory.getType(name);
    if (!own || name.startsWith("__")) continue;
    if (isScalarType(type) && isScalarType(own) && !isSpecifiedScalarType(type)) {
      type.serialize = own.serialize.bind(own);
      type.parseValue = own.parseValue.bind(own);
      type.parseLiteral = own.parseLiteral.bind(own);
    } else if (isEnumType(type) && isEnumType(own)) {
      type.serialize = own.serialize.bind(own);
      type.parseValue = own.parseValue.bind(own);
      type.parseLiteral = own.parseLiteral.bind(own);
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
  let compiled: { sdl: string; ready: Promise<Compiled> } | null = null;
  let directorySchema: Promise<GraphQLSchema> | null = null;
  let answered = 0;
  let federated = 0;

  const isReady = () => PARTNERS.every((p) => sync.status.get(p)!.lastSyncAt !== null);

  function compile(): Promise<Compiled> | null {
    if (!supergraphSdl) return null;
    if (compiled?.sdl !== supergraphSdl) {
      const sdl = supergraphSdl;
      directorySchema ??= buildDirectorySchema();
      const ready = directorySchema.then((directory) => {
        const supergraph = Supergraph.build(sdl);
        return {
          schema: localSchema(supergraph, directory, (args) =>
            planRoute(ctx, args.profile, args.options),
          ),
          supergraph,
          planner: new QueryPlanner(supergraph),
          decisions: new WeakMap(),
        };
      });
      // A supergraph that cannot be planned here is served the federated way; said once.
      ready.catch((err: unknown) =>
        opts.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "route_replica_unavailable",
        ),
      );
      compiled = { sdl, ready };
    }
    return compiled.ready;
  }

  /**
   * routeChild alone, planned as one fetch from the directory, with no field under an access rule:
   * the operation compiled; otherwise null.
   */
  function eligible(c: Compiled, rc: GraphQLRequestContext<GatewayContext>): CompiledQuery | null {
    const op = rc.operation;
    const document = rc.document;
    if (!op || !document || op.operation !== "query") return null;
    const roots = op.selectionSet.selections;
    if (
      !roots.length ||
      !roots.every(
        (s) =>
          s.kind === Kind.FIELD &&
          (s.name.value === "routeChild" || s.name.value === "__typename") &&
          !s.directives?.length,
      ) ||
      !roots.some((s) => s.kind === Kind.FIELD && s.name.value === "routeChild")
    )
      return null;
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
          if (!rc.operation || rc.operation.operation !== "query") return null;
          const pending = compile();
          if (!pending || !isReady()) return null;
          const c = await pending.catch(() => null);
          const query = c && eligible(c, rc);
          if (!query) return null;
          const result = await query.query(undefined, {}, rc.request.variables ?? {});
          // Errors (a bad profile, say) are left to the directory, which words them.
          if (result.errors?.length || !result.data) {
            federated++;
            return null;
          }
          answered++;
          rc.response.http.headers.set("x-wayfinder-route", "replica");
          return { http: rc.response.http, body: { kind: "single", singleResult: result } };
        },
      };
    },
  };

  // Read the partners as the directory does; the gateway does not wait for it to start.
  sync.start();

  return {
    plugin,
    useSupergraph(sdl) {
      supergraphSdl = sdl;
    },
    get ready() {
      return isReady();
    },
    sync,
    stats: () => ({ ready: isReady(), answered, federated }),
    async close() {
      await sync.stop();
      await sync.backend.close();
    },
  };
}
