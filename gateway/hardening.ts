// Operation limits, rate limits, request logs and error masking for the public gateway.
//
// Limit errors (all HTTP 400 except where noted) carry a stable `extensions.code`:
//   DEPTH_LIMIT_EXCEEDED, ALIAS_LIMIT_EXCEEDED, COST_LIMIT_EXCEEDED, TOKEN_LIMIT_EXCEEDED,
//   DIRECTIVE_LIMIT_EXCEEDED, BATCH_LIMIT_EXCEEDED (subgraphs/kit/http.ts),
//   PAYLOAD_TOO_LARGE (413, http.ts), RATE_LIMITED (429 with Retry-After, ./ratelimit.ts).
import { randomUUID } from "node:crypto";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { ApolloServerPlugin, GraphQLRequestContext } from "@apollo/server";
import {
  GraphQLError,
  Kind,
  TokenKind,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
  type ParseOptions,
  type Token,
  type ValidationContext,
  type ValidationRule,
} from "graphql";
import pino from "pino";
import type { Route } from "../platform/http.ts";
import type { GatewayContext } from "./context.ts";
import type { Logger } from "../platform/log.ts";
import { operationCost } from "./cost.ts";
import { RATE_LIMIT_DEFAULTS, rateLimitGuard, type RateLimitOptions } from "./ratelimit.ts";

export interface Limits {
  /** Deepest field nesting; fragments do not add a level (they add no work). */
  maxDepth: number;
  /** Aliased fields per operation (`__typename` aliases are free). */
  maxAliases: number;
  /**
   * Most objects a response may hold, as bounded by ./cost.ts from the request's arguments with
   * variables resolved: every list counts at its `first` or its declared assumed size. A page of
   * 100 services with organisation, locations and areas costs about 2,400; every field of a
   * service about 9,600 for a page of 100.
   */
  maxCost: number;
  /** Lexical tokens in the document (a large real query is a few hundred). */
  maxTokens: number;
  /** Directives per operation. */
  maxDirectives: number;
  /** Operations in one batched (JSON array) request. */
  maxBatch: number;
  /** Largest request body, in bytes. */
  bodyLimit: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 15,
  maxCost: 5_000,
  maxTokens: 2_000,
  maxDirectives: 20,
  maxBatch: 5,
  bodyLimit: 100 * 1024,
};

export const LIMIT_CODES = {
  depth: "DEPTH_LIMIT_EXCEEDED",
  aliases: "ALIAS_LIMIT_EXCEEDED",
  cost: "COST_LIMIT_EXCEEDED",
  tokens: "TOKEN_LIMIT_EXCEEDED",
  directives: "DIRECTIVE_LIMIT_EXCEEDED",
} as const;
export type LimitCode = (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];

/**
 * Codes a client can act on, kept as they are in production. Everything else is masked: its
 * message may hold SQL, hostnames or a subgraph's stack.
 */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "BAD_USER_INPUT",
  "BAD_REQUEST",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PARTNER_UNAVAILABLE",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "BATCH_LIMIT_EXCEEDED",
  "PAYLOAD_TOO_LARGE",
  "RATE_LIMITED",
  ...Object.values(LIMIT_CODES),
]);

/**
 * Extensions that describe our internals, never sent to clients in production (`response` is a
 * subgraph's HTTP answer, with its internal URL).
 */
const INTERNAL_EXTENSIONS = ["exception", "stacktrace", "serviceName", "http", "response"];

/** A request refused by an operation limit; Apollo wraps it, formatError restores its code. */
export class LimitError extends GraphQLError {
  constructor(
    readonly limitCode: LimitCode,
    message: string,
  ) {
    // `http` gives the status when a plugin throws it (validation errors are 400 anyway).
    super(message, { extensions: { code: limitCode, http: { status: 400 } } });
    this.name = "LimitError";
  }
}

export interface HardeningOptions {
  production: boolean;
  logger: Logger;
  limits?: Partial<Limits>;
  /**
   * Per-client token bucket (defaults: 20 requests/s, bursts of 60); `false` turns it off
   * (benchmarks). GATEWAY_RATE_LIMIT_RPS / GATEWAY_RATE_LIMIT_BURST belong in gateway/config.ts,
   * which hands them to startGateway and on to here. `now` is for tests (a clock they move).
   */
  rateLimit?: Partial<RateLimitOptions> | false;
}

export interface Hardening {
  plugins: ApolloServerPlugin<GatewayContext>[];
  validationRules: ValidationRule[];
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Runs before GraphQL on every request (rate limits); a non-null answer is sent instead. */
  guard: Route;
  /** Releases the rate limiter's Redis connection, if any. */
  close(): Promise<void>;
  bodyLimit: number;
  maxBatch: number;
  /**
   * For ApolloServer `parseOptions`: aborts parsing past maxTokens, before any validation work
   * (the validation rule below enforces the same limit when these options are not passed).
   */
  parseOptions: ParseOptions;
  limits: Limits;
}

/** Counts a parsed document's tokens (comments excluded, as graphql-js's maxTokens does). */
export function maxTokensRule(max: number): ValidationRule {
  return (context: ValidationContext) => {
    let count = 0;
    for (let t: Token | null | undefined = context.getDocument().loc?.startToken; t; t = t.next) {
      if (
        t.kind !== TokenKind.SOF &&
        t.kind !== TokenKind.EOF &&
        t.kind !== TokenKind.COMMENT &&
        ++count > max
      ) {
        context.reportError(new LimitError(LIMIT_CODES.tokens, `Token limit of ${max} exceeded.`));
        break;
      }
    }
    return {};
  };
}

/** graphql-js's own message when `parseOptions.maxTokens` aborts a parse. */
const PARSE_TOKEN_LIMIT =
  /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;

/** The limit code behind an error Apollo has wrapped (as GRAPHQL_VALIDATION_FAILED or _PARSE_FAILED). */
function limitOf(
  error: unknown,
  formatted: GraphQLFormattedError,
): { code: LimitCode; message: string } | null {
  for (let e: unknown = error, i = 0; e && i < 5; e = (e as GraphQLError).originalError, i++) {
    if (e instanceof LimitError) return { code: e.limitCode, message: e.message };
  }
  const m = PARSE_TOKEN_LIMIT.exec(formatted.message);
  if (m && formatted.extensions?.code === "GRAPHQL_PARSE_FAILED")
    return { code: LIMIT_CODES.tokens, message: `Token limit of ${m[1]} exceeded.` };
  return null;
}

/**
 * A subgraph that refuses the client's input with HTTP 400 reaches us as "400: Bad Request" with no
 * code, which would read (and be masked) as an internal error. Custom scalars such as Date are only
 * checked there (the gateway passes them through), so a bad date is such a refusal. The subgraph's
 * own error is the client's answer. (401/403 keep the gateway's UNAUTHENTICATED/FORBIDDEN.)
 */
const DOWNSTREAM_INPUT_CODES = new Set(["BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"]);

function downstreamClientError(formatted: GraphQLFormattedError): GraphQLFormattedError | null {
  const response = formatted.extensions?.response as
    { status?: unknown; body?: { errors?: unknown } } | undefined;
  if (response?.status !== 400 || !Array.isArray(response.body?.errors)) return null;
  const first = response.body.errors[0] as GraphQLFormattedError | undefined;
  const code = first?.extensions?.code;
  if (
    typeof first?.message !== "string" ||
    typeof code !== "string" ||
    !DOWNSTREAM_INPUT_CODES.has(code)
  )
    return null;
  return {
    message: first.message,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { ...formatted.extensions, ...first.extensions, code },
  };
}

/**
 * graphql-js's own argument coercion errors, raised while a subgraph executes (e.g. a nullable
 * `$first` sent as null into `first: Int! = 20`). They carry no code, so they would be masked as
 * internal, but they describe the client's input.
 */
const ARGUMENT_ERRORS = [
  /^Argument "\w+" of required type "[^"]+" was not provided\.$/,
  /^Argument "\w+" of non-null type "[^"]+" must not be null\.$/,
  /^Argument "\w+" has invalid value /,
];

function argumentError(formatted: GraphQLFormattedError): GraphQLFormattedError | null {
  const code = formatted.extensions?.code;
  if (code !== undefined && code !== "INTERNAL_SERVER_ERROR") return null;
  if (!ARGUMENT_ERRORS.some((re) => re.test(formatted.message))) return null;
  return { ...formatted, extensions: { ...formatted.extensions, code: "BAD_USER_INPUT" } };
}

/** Apollo answers a persisted-query hash that does not match its query with 400 but no code. */
function apqError(formatted: GraphQLFormattedError): GraphQLFormattedError | null {
  const code = formatted.extensions?.code;
  if (
    (code !== undefined && code !== "INTERNAL_SERVER_ERROR") ||
    formatted.message !== "provided sha does not match query"
  )
    return null;
  return { ...formatted, extensions: { ...formatted.extensions, code: "BAD_REQUEST" } };
}

/** graphql-armor reports `Syntax Error: <limit message>`; these are not syntax errors. */
function armorReject(code: LimitCode) {
  return {
    propagateOnRejection: false,
    onAccept: [],
    onReject: [
      (ctx: ValidationContext | null, err: GraphQLError) =>
        ctx?.reportError(new LimitError(code, err.message.replace(/^Syntax Error: /, ""))),
    ],
  };
}

/** What a masked error needs from its request: the id, and the strings to keep out of the log. */
interface ErrorOrigin {
  requestId: string;
  scrub: (text: string) => string;
}

/**
 * Variable values (a child's postcode, date of birth …) can echo back in an internal error's
 * message. The masked error's log line is scrubbed of every string the request sent as a variable.
 */
function scrubberFor(variables: unknown): (text: string) => string {
  const secrets = new Set<string>();
  const visit = (v: unknown, depth: number) => {
    if (secrets.size >= 200 || depth > 8) return;
    if (typeof v === "string" && v.trim().length >= 2) secrets.add(v.trim());
    else if (Array.isArray(v)) v.forEach((x) => visit(x, depth + 1));
    else if (v && typeof v === "object") Object.values(v).forEach((x) => visit(x, depth + 1));
  };
  visit(variables, 0);
  const list = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of list) out = out.split(s).join("[redacted]");
    return out;
  };
}

function scrubDeep(value: unknown, scrub: (s: string) => string, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, scrubDeep(v, scrub, depth + 1)]),
  );
}

/**
 * graphql-js's suggestion sentences ("Did you mean the enum value "X"?", "… "A" or "B"?"), and
 * what armor leaves of the ones it hides ("[Suggestion hidden]?").
 */
const SUGGESTION = /\s*(?:Did you mean [^?]*\?|\[Suggestion hidden\]\??)/g;

/** A request id safe to echo in a response header (server.ts takes it from the client). */

function responseErrors(
  ctx: GraphQLRequestContext<GatewayContext>,
): readonly GraphQLFormattedError[] {
  const body = ctx.response.body;
  if (!body) return [];
  return (body.kind === "single" ? body.singleResult.errors : body.initialResult.errors) ?? [];
}

export function createHardening(opts: HardeningOptions): Hardening {
  const limits: Limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { logger, production } = opts;

  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...armorReject(LIMIT_CODES.depth) },
    maxAliases: { n: limits.maxAliases, ...armorReject(LIMIT_CODES.aliases) },
    // Armor's cost counts an unpaginated list as one item and ignores variables; ./cost.ts
    // replaces it (costPlugin below).
    costLimit: { enabled: false },
    maxDirectives: { n: limits.maxDirectives, ...armorReject(LIMIT_CODES.directives) },
    // Armor's token plugin throws from parsingDidStart, which Apollo answers with a 500; the
    // validation rule (and parseOptions.maxTokens) give a proper 400 instead.
    maxTokens: { enabled: false },
    // "Did you mean …" would let anyone map the schema with introspection off.
    blockFieldSuggestion: { enabled: production },
  }).protect();

  // Errors are tagged with their request as plugins see them (didEncounterErrors runs just before
  // formatError, with the same error objects), because formatError gets no context.
  const origins = new WeakMap<object, ErrorOrigin>();

  const requestPlugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart(start) {
      const startedAt = performance.now();
      const requestId = start.contextValue?.requestId ?? randomUUID();
      let origin: ErrorOrigin | null = null;
      return {
        async didEncounterErrors(ctx) {
          origin ??= { requestId, scrub: scrubberFor(ctx.request.variables) };
          for (const e of ctx.errors) origins.set(e, origin);
        },
        async willSendResponse(ctx) {
          // server.ts only ever sets a safe id (the caller's, if plain, or a UUID).
          ctx.response.http.headers.set("x-request-id", requestId);
          const errors = responseErrors(ctx);
          const codes = [
            ...new Set(errors.map((e) => String(e.extensions?.code ?? "INTERNAL_SERVER_ERROR"))),
          ];
          const rootFields =
            ctx.operation?.selectionSet.selections
              .flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []))
              .slice(0, 20) ?? [];
          // Names and counts only: never the query text, variables or headers (a routeChild
          // profile is a child's needs, age and postcode).
          logger.info(
            {
              event: "graphql_request",
              requestId,
              operationName:
                (ctx.operationName ?? ctx.request.operationName ?? null)?.slice(0, 100) ?? null,
              operationType: ctx.operation?.operation ?? null,
              rootFields,
              role: ctx.contextValue?.claims?.role ?? "public",
              status: ctx.response.http.status ?? 200,
              durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
              errorCount: errors.length,
              ...(codes.length ? { errorCodes: codes } : {}),
              ...(ctx.requestIsBatched ? { batched: true } : {}),
            },
            "graphql request",
          );
        },
      };
    },
  };

  function mask(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const origin = error && typeof error === "object" ? origins.get(error) : undefined;
    // An error outside a request's pipeline (context creation, a broken batch) has no request to
    // name; it gets its own id, logged the same way.
    const requestId = origin?.requestId ?? randomUUID();
    const scrub = origin?.scrub ?? ((s: string) => s);
    const gqlError = error instanceof GraphQLError ? error : null;
    const original =
      gqlError?.originalError ?? (error instanceof Error && !gqlError ? error : undefined);
    logger.error(
      {
        event: "graphql_error",
        requestId,
        code: formatted.extensions?.code ?? null,
        message: scrub(formatted.message),
        path: formatted.path,
        extensions: scrubDeep(formatted.extensions, scrub),
        stack: gqlError?.stack ? scrub(gqlError.stack) : undefined,
        cause: original ? scrubDeep(pino.stdSerializers.err(original), scrub) : undefined,
      },
      "internal error (masked for the client)",
    );
    return {
      message: "Internal server error",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR", requestId },
    };
  }

  const formatError = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = limitOf(error, formatted);
    const out = limit
      ? {
          ...formatted,
          message: limit.message,
          extensions: { ...formatted.extensions, code: limit.code },
        }
      : (downstreamClientError(formatted) ??
        argumentError(formatted) ??
        apqError(formatted) ??
        formatted);
    if (!production) return out;
    const code = out.extensions?.code;
    if (typeof code !== "string" || !CLIENT_ERROR_CODES.has(code)) return mask(out, error);
    // Armor hides `Did you mean "field"`; graphql-js words enum suggestions differently.
    const message = out.message.replace(SUGGESTION, "");
    const extensions = { ...out.extensions };
    for (const k of INTERNAL_EXTENSIONS) delete extensions[k];
    return { ...out, message, extensions };
  };

  // Runs once the operation is known and before any partner is called, with the request's
  // variables: a `first: $n` counts as n.
  const costPlugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation(ctx) {
          // Apollo hands an unresolvable operation to the gateway, whose planner answers 500
          // INVALID_GRAPHQL: refuse it here as the client's mistake it is.
          if (!ctx.operation) {
            throw new GraphQLError(
              ctx.request.operationName
                ? `Unknown operation named "${String(ctx.request.operationName).slice(0, 100)}".`
                : "Must provide operation name if query contains multiple operations.",
              { extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } } },
            );
          }
          if (ctx.operation.operation === "subscription" && !ctx.schema.getSubscriptionType()) {
            throw new GraphQLError("Subscriptions are not supported.", {
              extensions: { code: "BAD_REQUEST", http: { status: 400 } },
            });
          }
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const d of ctx.document.definitions)
            if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
          const cost = ctx.operation
            ? operationCost(ctx.schema, ctx.operation, fragments, ctx.request.variables)
            : 0;
          if (cost > limits.maxCost) {
            throw new LimitError(
              LIMIT_CODES.cost,
              `Query Cost limit of ${limits.maxCost} exceeded, found ${cost}.`,
            );
          }
        },
      };
    },
  };

  const rateLimit = opts.rateLimit === false ? null : { ...RATE_LIMIT_DEFAULTS, ...opts.rateLimit };
  // The same bound during validation, with each variable page size at 1 (the request's values
  // are not known yet; the plugin above re-checks with them). An over-budget document is refused
  // as that, not as whichever structural limit its shape also breaks.
  const overBudget = new WeakMap<object, boolean>();
  const costOf = (ctx: ValidationContext): boolean => {
    const doc = ctx.getDocument();
    let over = overBudget.get(doc);
    if (over === undefined) {
      const fragments: Record<string, FragmentDefinitionNode> = {};
      for (const d of doc.definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
      let worst = 0;
      for (const d of doc.definitions) {
        if (d.kind === Kind.OPERATION_DEFINITION)
          worst = Math.max(worst, operationCost(ctx.getSchema(), d, fragments, null));
      }
      over = worst > limits.maxCost;
      overBudget.set(doc, over);
      if (over) {
        ctx.reportError(
          new LimitError(
            LIMIT_CODES.cost,
            `Query Cost limit of ${limits.maxCost} exceeded, found ${worst}.`,
          ),
        );
      }
    }
    return over;
  };
  const costRule: ValidationRule = (ctx) => {
    costOf(ctx);
    return {};
  };
  const unlessOverBudget =
    (rule: ValidationRule): ValidationRule =>
    (ctx) =>
      costOf(ctx) ? {} : rule(ctx);

  const guard = rateLimit ? rateLimitGuard(rateLimit, logger) : null;
  return {
    plugins: [
      requestPlugin,
      costPlugin,
      ...(armor.plugins as ApolloServerPlugin<GatewayContext>[]),
    ],
    validationRules: [
      maxTokensRule(limits.maxTokens),
      costRule,
      ...armor.validationRules.map(unlessOverBudget),
    ],
    formatError,
    guard: guard ?? (async () => null),
    close: async () => guard?.close(),
    bodyLimit: limits.bodyLimit,
    maxBatch: limits.maxBatch,
    parseOptions: { maxTokens: limits.maxTokens },
    limits,
  };
}
