// The public read cache: an anonymous search or service read that nothing has changed since is
// answered by the gateway itself, without asking the directory or a partner. What changed comes
// from the directory's change feed (GET /invalidations on the directory, long-polled): entries that
// read the index (search, coverage, service counts) are dropped on any change to it, a service
// read when that service changes, and everything when a partner goes down or comes back, the
// directory restarts, or the gateway cannot hear the feed (then nothing is served from cache).
//
// Rules that are never bent: only anonymous (public-role) requests read or fill it, so a
// professional's or admin's answer never reaches the public and vice versa; an operation that
// routes a child (routeChild, whose profile is in its arguments) is never a key or a value; nor is
// anything outside the allow-list below, a mutation, or an answer with errors.
import { createHash } from "node:crypto";
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import { Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValueNode } from "graphql";
import { CLAIMS_HEADER, type Claims, signClaims } from "../platform/claims.ts";
import type { Logger } from "../platform/log.ts";
import type { GatewayContext } from "./context.ts";

/** Root fields whose anonymous answers may be cached, and what they depend on. */
const CACHEABLE: Record<string, "index" | "service" | "static"> = {
  searchServices: "index",
  coverage: "index",
  localAuthority: "index",
  service: "service",
  localAuthorities: "static",
  needs: "static",
  __typename: "static",
};

/** The gateway's service identity when it reads the directory's invalidations. */
const CACHE_CLAIMS: Claims = {
  sub: "gateway",
  role: "service",
  partner: null,
  scopes: ["service:sync"],
};

export interface PublicCacheOptions {
  /** The directory subgraph's GraphQL URL; /invalidations is beside it. */
  directoryUrl: string;
  internalSecret: string;
  logger: Logger;
  /** Most entries kept (least recently used dropped first). Default 2000. */
  maxEntries?: number;
  /**
   * Longest an entry lives even if no change is reported: a safety net for changes no feed
   * carries (an organization's own details, a co-delivery accepted). Default 5 minutes.
   */
  maxAgeMs?: number;
  /** How long one long poll waits for news. Default 20 s. */
  pollWaitMs?: number;
}

interface Entry {
  /** The answer as JSON text: each hit parses its own copy. */
  json: string;
  index: boolean;
  ids: string[];
  at: number;
}

export interface PublicCache {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** True while the gateway hears the directory's invalidations (only then is the cache used). */
  readonly connected: boolean;
  stats(): { entries: number; hits: number; misses: number; connected: boolean };
  /** Cached answers as stored, for tests that check what is (never) in there. */
  values(): string[];
  clear(): void;
  close(): Promise<void>;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Fields one partner adds to another partner's service (the charity's `coDelivery` on a council
 * service): a change to them is on no feed entry of that service, so an answer holding them is
 * never cached (read from the partners each time).
 */
const CROSS_PARTNER_FIELDS = new Set(["coDelivery", "coDeliveryProposals"]);

function selects(
  set: SelectionSetNode | undefined,
  names: Set<string>,
  fragments: Record<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): boolean {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) {
      if (names.has(sel.name.value) || selects(sel.selectionSet, names, fragments, seen))
        return true;
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      if (selects(sel.selectionSet, names, fragments, seen)) return true;
    } else if (!seen.has(sel.name.value)) {
      seen.add(sel.name.value);
      if (selects(fragments[sel.name.value]?.selectionSet, names, fragments, seen)) return true;
    }
  }
  return false;
}

/** Root fields of the operation (through fragments), with `service`'s id argument resolved. */
function rootFields(
  set: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  out: { name: string; id?: unknown }[] = [],
) {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const idArg = sel.arguments?.find((a) => a.name.value === "id");
      out.push({ name: sel.name.value, id: idArg ? valueOf(idArg.value, variables) : undefined });
    } else if (sel.kind === Kind.INLINE_FRAGMENT)
      rootFields(sel.selectionSet, fragments, variables, out);
    else {
      const frag = fragments[sel.name.value];
      if (frag) rootFields(frag.selectionSet, fragments, variables, out);
    }
  }
  return out;
}

function valueOf(node: ValueNode, variables: Record<string, unknown>): unknown {
  if (node.kind === Kind.VARIABLE) return variables[node.name.value];
  if (node.kind === Kind.STRING) return node.value;
  return undefined;
}

export function createPublicCache(opts: PublicCacheOptions): PublicCache {
  const maxEntries = opts.maxEntries ?? 2000;
  const maxAgeMs = opts.maxAgeMs ?? 300_000;
  const entries = new Map<string, Entry>();
  const keys = new WeakMap<
    object,
    { key: string; index: boolean; ids: string[]; seen: number } | null
  >();
  // Bumped by every invalidation: an answer computed while one arrived may hold what it dropped,
  // so it is only stored when no invalidation came between the request's start and its answer.
  let invalidations = 0;
  let hits = 0;
  let misses = 0;
  let connected = false;
  let stopped = false;
  const abort = new AbortController();

  const clear = () => {
    invalidations++;
    entries.clear();
  };
  const invalidate = (ids: string[] | null) => {
    if (ids === null) return clear();
    if (!ids.length) return;
    invalidations++;
    const changed = new Set(ids);
    for (const [key, e] of entries)
      if (e.index || e.ids.some((id) => changed.has(id))) entries.delete(key);
  };

  /** The cache key of an anonymous, cacheable read; null for anything else. */
  function decide(rc: GraphQLRequestContext<GatewayContext>) {
    if (!connected || rc.operation?.operation !== "query") return null;
    if (rc.contextValue.claims?.role !== "public") return null;
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const d of rc.document?.definitions ?? [])
      if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
    const variables = rc.request.variables ?? {};
    if (selects(rc.operation.selectionSet, CROSS_PARTNER_FIELDS, fragments)) return null;
    const fields = rootFields(rc.operation.selectionSet, fragments, variables);
    let index = false;
    const ids: string[] = [];
    for (const f of fields) {
      const kind = CACHEABLE[f.name];
      // routeChild and anything not listed: not cached, and the key is never even computed.
      if (!kind) return null;
      if (kind === "index") index = true;
      if (kind === "service") {
        if (typeof f.id !== "string") return null;
        ids.push(f.id);
      }
    }
    const key = createHash("sha256")
      .update(stableJson([rc.source ?? "", rc.request.operationName ?? null, variables]))
      .digest("base64url");
    return { key, index, ids, seen: invalidations };
  }

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async responseForOperation(rc) {
          const d = decide(rc);
          keys.set(rc, d);
          if (!d) return null;
          const e = entries.get(d.key);
          if (!e || performance.now() - e.at > maxAgeMs) {
            if (e) entries.delete(d.key);
            misses++;
            rc.response.http.headers.set("x-wayfinder-cache", "miss");
            return null;
          }
          hits++;
          // Least recently used goes first: re-insert at the end.
          entries.delete(d.key);
          entries.set(d.key, e);
          rc.response.http.headers.set("x-wayfinder-cache", "hit");
          keys.set(rc, null);
          return {
            http: rc.response.http,
            body: { kind: "single", singleResult: JSON.parse(e.json) },
          };
        },
        async willSendResponse(rc) {
          // Any mutation may change what a cached read would show: start again.
          if (rc.operation?.operation === "mutation" && !rc.errors?.length) clear();
          const d = keys.get(rc);
          if (!d || !connected || rc.response.body.kind !== "single") return;
          if (d.seen !== invalidations) return;
          const result = rc.response.body.singleResult;
          if (result.errors?.length || !result.data) return;
          entries.set(d.key, {
            json: JSON.stringify({ data: result.data }),
            index: d.index,
            ids: d.ids,
            at: performance.now(),
          });
          while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
        },
      };
    },
  };

  // The long poll: one request waits for news; any failure drops everything and disconnects the
  // cache until the directory answers again.
  const url = new URL("/invalidations", opts.directoryUrl);
  const loop = async () => {
    let epoch: string | null = null;
    let generation = 0;
    let failures = 0;
    while (!stopped) {
      try {
        url.search = new URLSearchParams({
          epoch: epoch ?? "",
          since: String(generation),
          waitMs: String(connected ? (opts.pollWaitMs ?? 20_000) : 0),
        }).toString();
        const res = await fetch(url, {
          headers: {
            [CLAIMS_HEADER]: await signClaims(CACHE_CLAIMS, opts.internalSecret, {
              audience: "directory",
              body: "",
            }),
          },
          signal: AbortSignal.any([
            abort.signal,
            AbortSignal.timeout((opts.pollWaitMs ?? 20_000) + 5_000),
          ]),
        });
        if (!res.ok) throw new Error(`directory invalidations answered ${res.status}`);
        const inv = (await res.json()) as {
          epoch: string;
          generation: number;
          ids: string[] | null;
        };
        invalidate(inv.epoch === epoch ? inv.ids : null);
        epoch = inv.epoch;
        generation = inv.generation;
        connected = true;
        failures = 0;
      } catch (err) {
        if (stopped) return;
        if (connected)
          opts.logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            "public_cache_disconnected",
          );
        connected = false;
        clear();
        failures++;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(250 * 2 ** Math.min(failures, 4), 4000));
          abort.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), {
            once: true,
          });
        });
      }
    }
  };
  const running = loop();

  return {
    plugin,
    get connected() {
      return connected;
    },
    stats: () => ({ entries: entries.size, hits, misses, connected }),
    values: () => [...entries.values()].map((e) => e.json),
    clear,
    async close() {
      stopped = true;
      abort.abort();
      await running;
    },
  };
}
