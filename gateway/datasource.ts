// How the gateway talks to one subgraph: keep-alive connections, the signed claims header that is
// the only thing subgraphs trust, and what happens when the partner is slow or down (a timeout per
// attempt, one retry for reads, a circuit breaker), so one failing partner costs the others nothing.
import {
  HEALTH_CHECK_QUERY,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from "@apollo/gateway";
import type { Fetcher, FetcherResponse } from "@apollo/utils.fetcher";
import http from "node:http";
import https from "node:https";
import { GraphQLError } from "graphql";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims, type Claims } from "../platform/claims.ts";
import { REQUEST_ID_HEADER, requestScope } from "../platform/request.ts";
import { SpanKind, SpanStatusCode, inSpan, injectContext } from "../platform/tracing.ts";
import { BREAKER_DEFAULTS, CircuitBreaker } from "./breaker.ts";
import type { GatewayContext } from "./context.ts";
import type { Logger } from "../platform/log.ts";

export interface PartnerPolicy {
  /** Longest one attempt may take, response body included, in ms. */
  timeoutMs: number;
  /** Extra attempts for reads (queries and `_entities` fetches); mutations are never retried. */
  retries: number;
  /** Base pause before a retry, in ms; each pause is jittered to between 0.5× and 1.5× of it. */
  retryDelayMs: number;
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit fails fast before letting one trial through, in ms. */
  coolDownMs: number;
}

export const PARTNER_POLICY_DEFAULTS: PartnerPolicy = {
  timeoutMs: 3_000,
  retries: 1,
  retryDelayMs: 50,
  failureThreshold: BREAKER_DEFAULTS.failureThreshold,
  coolDownMs: BREAKER_DEFAULTS.coolDownMs,
};

/**
 * Time as a data source sees it (the breaker's cool-down, each attempt's timeout): real time unless
 * a test drives a clock of its own, so that no test depends on how fast the machine is.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DataSourceOptions extends Partial<PartnerPolicy> {
  name: string;
  url: string;
  internalSecret: string;
  /**
   * The HTTP client: node:http with keep-alive unless a test injects a fetch. (Node's fetch, undici,
   * was about 10 % of a routeChild plan's CPU through the gateway: web streams, Request and
   * Response objects for a body read whole anyway.)
   */
  fetch?: typeof fetch;
  /** Where breaker transitions are reported. */
  logger?: Pick<Logger, "info" | "warn">;
  /** Called once per attempt with its outcome ("ok" or a reason code) and duration. */
  observe?: (partner: string, outcome: string, seconds: number) => void;
  /** Real time unless a test gives its own. */
  clock?: Clock;
}

/** Carries a request's verified claims from willSendRequest to the fetcher; never sent. */
const PENDING_CLAIMS = "x-wayfinder-claims-pending";

export type UnavailableReason = "TIMEOUT" | "UNREACHABLE" | "HTTP_ERROR" | "CIRCUIT_OPEN";

/**
 * What a readiness probe found. UNAUTHORIZED: the partner answers but refuses the gateway's signed
 * calls (a different INTERNAL_SECRET), so every real call fails too. BAD_RESPONSE: it answered
 * something that is not a GraphQL result.
 */
export type ProbeReason =
  Exclude<UnavailableReason, "CIRCUIT_OPEN"> | "UNAUTHORIZED" | "BAD_RESPONSE";

export interface ProbeResult {
  up: boolean;
  reason: ProbeReason | null;
  /** For operators only: the raw cause (it may name hosts). */
  error: string | null;
  latencyMs: number;
  checkedAt: string;
}

/** A partner did not answer usefully: timed out, refused or dropped the connection, or sent 5xx. */
export class PartnerFetchError extends Error {
  constructor(
    readonly reason: Exclude<UnavailableReason, "CIRCUIT_OPEN">,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PartnerFetchError";
  }
}

/**
 * Whether a subgraph operation is a mutation. The gateway sends the operation first, then its
 * fragments; a false positive only costs a retry, so anything that looks like one counts.
 */
export function isMutation(query: string | undefined): boolean {
  return query !== undefined && /(?:^|\})\s*mutation\b/.test(query);
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (err as { code?: string })?.code;
  const message = cause?.message ?? (err instanceof Error ? err.message : String(err));
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
  return code ? `${message} (${code})` : message;
}

/** What one HTTP exchange with a subgraph gave: the status line, headers and the whole body. */
interface Exchange {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  headers: Headers;
}

/** Subgraphs' keep-alive connections, one pool per scheme for the whole process. */
const AGENTS = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/**
 * One POST (or GET) over node:http with a keep-alive agent, the body read whole. An abort destroys
 * the request, so the caller's timeout covers connecting, the answer and its last body byte.
 */
function httpExchange(
  url: string,
  init: Parameters<Fetcher>[1],
  signal: AbortSignal,
): Promise<{ res: Exchange; text: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const scheme = target.protocol === "https:" ? https : http;
    const agent = AGENTS[target.protocol as keyof typeof AGENTS];
    if (!agent) return reject(new Error(`unsupported subgraph URL scheme ${target.protocol}`));
    const body = typeof init?.body === "string" ? init.body : undefined;
    const headers: Record<string, string> = {
      ...(init?.headers as Record<string, string> | undefined),
    };
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const req = scheme.request(
      target,
      { method: init?.method ?? (body === undefined ? "GET" : "POST"), headers, agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const h = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
            h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          resolve({
            res: {
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? "",
              url,
              redirected: false,
              headers: h,
            },
            text: Buffer.concat(chunks).toString("utf8"),
          });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The subgraph's answer with its body already read, so the timeout also covers the body. */
function bufferedResponse(res: Exchange, text: string): FetcherResponse {
  return {
    ok: res.status >= 200 && res.status < 300,
    status: res.status,
    statusText: res.statusText,
    url: res.url,
    redirected: res.redirected,
    headers: res.headers,
    bodyUsed: false,
    text: async () => text,
    json: async () => JSON.parse(text),
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    clone() {
      return bufferedResponse(res, text);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class PartnerDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly name: string;
  readonly policy: PartnerPolicy;
  readonly breaker: CircuitBreaker;
  private readonly secret: string;
  private readonly transport: typeof fetch | null;
  private readonly logger: DataSourceOptions["logger"];
  private readonly observe: DataSourceOptions["observe"];
  private readonly clock: Clock;
  private readonly counts = { attempts: 0, retries: 0, failures: 0, failedFast: 0 };

  constructor(opts: DataSourceOptions) {
    super({ url: opts.url });
    this.name = opts.name;
    this.secret = opts.internalSecret;
    this.transport = opts.fetch ?? null;
    this.logger = opts.logger;
    this.observe = opts.observe;
    this.clock = opts.clock ?? REAL_CLOCK;
    this.policy = {
      timeoutMs: opts.timeoutMs ?? PARTNER_POLICY_DEFAULTS.timeoutMs,
      retries: opts.retries ?? PARTNER_POLICY_DEFAULTS.retries,
      retryDelayMs: opts.retryDelayMs ?? PARTNER_POLICY_DEFAULTS.retryDelayMs,
      failureThreshold: opts.failureThreshold ?? PARTNER_POLICY_DEFAULTS.failureThreshold,
      coolDownMs: opts.coolDownMs ?? PARTNER_POLICY_DEFAULTS.coolDownMs,
    };
    this.breaker = new CircuitBreaker({
      failureThreshold: this.policy.failureThreshold,
      coolDownMs: this.policy.coolDownMs,
      now: () => this.clock.now(),
    });
    this.fetcher = this.attempt;
  }

  /** What /ready reports about the gateway's link to this subgraph. */
  status(): Record<string, unknown> {
    const b = this.breaker.snapshot();
    return {
      url: this.url,
      breaker: b.state,
      consecutiveFailures: b.consecutiveFailures,
      lastError: b.lastError,
      openUntil: b.openUntil,
      timeoutMs: this.policy.timeoutMs,
      policy: {
        timeoutMs: this.policy.timeoutMs,
        retries: this.policy.retries,
        failureThreshold: this.policy.failureThreshold,
        coolDownMs: this.policy.coolDownMs,
      },
      ...this.counts,
    };
  }

  override async willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // Gateway-internal requests (health checks, live composition) carry no user: public claims.
    const claims = (context as Partial<GatewayContext> | undefined)?.claims ?? PUBLIC_CLAIMS;
    // The token is bound to the body, which the base class serialises after this hook; the claims
    // ride to the fetcher (this process only) and are signed there, over the body as sent.
    request.http?.headers.set(PENDING_CLAIMS, JSON.stringify(claims));
    // The subgraph logs under the gateway's request id, so one id finds every line of a request.
    const requestId =
      (context as Partial<GatewayContext> | undefined)?.requestId ?? requestScope()?.requestId;
    if (requestId) request.http?.headers.set(REQUEST_ID_HEADER, requestId);
  }

  /**
   * Calls the subgraph the way real requests go (signed by willSendRequest, through the same
   * fetcher and timeout) but outside the breaker and the counters, and says whether it answered.
   */
  async probe(): Promise<ProbeResult> {
    const started = performance.now();
    const done = (reason: ProbeReason | null, error: string | null): ProbeResult => ({
      up: reason === null,
      reason,
      error,
      latencyMs: Math.round(performance.now() - started),
      checkedAt: new Date().toISOString(),
    });
    try {
      // The enum GraphQLDataSourceRequestKind is not exported; its HEALTH_CHECK value is this string.
      const response = await super.process({
        kind: "health check",
        request: { query: HEALTH_CHECK_QUERY },
        context: {},
      } as unknown as GraphQLDataSourceProcessOptions<GatewayContext>);
      if (response.errors?.length || !response.data)
        return done("BAD_RESPONSE", response.errors?.[0]?.message ?? "no data");
      return done(null, null);
    } catch (err) {
      if (err instanceof PartnerFetchError) return done(err.reason, err.message);
      const status = (err as GraphQLError).extensions?.response as { status?: number } | undefined;
      if (status?.status === 401 || status?.status === 403)
        return done("UNAUTHORIZED", `HTTP ${status.status}`);
      return done("BAD_RESPONSE", err instanceof Error ? err.message : String(err));
    }
  }

  /**
   * One subgraph fetch as the gateway sees it: through the breaker, retried once when it is a
   * read, and turned into a PARTNER_UNAVAILABLE error naming the partner when it cannot be had.
   * The gateway adds a thrown GraphQLError to the response as it is and carries on with the
   * other partners' fetches, so clients get everyone else's data and this error.
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const maxAttempts = 1 + (isMutation(options.request.query) ? 0 : this.policy.retries);
    let lastFailure: PartnerFetchError | undefined;
    for (let attempt = 1; ; attempt++) {
      if (!this.breaker.tryAcquire()) {
        this.counts.failedFast++;
        this.observe?.(this.name, "CIRCUIT_OPEN", 0);
        throw lastFailure ? this.unavailable(lastFailure) : this.circuitOpen();
      }
      this.counts.attempts++;
      const trial = this.breaker.state === "half-open";
      try {
        const response = await super.process(options);
        this.succeeded(trial);
        return response;
      } catch (err) {
        if (!(err instanceof PartnerFetchError)) {
          // A 4xx (the base class's GraphQLError carrying `response`) still proves the partner
          // answers; anything else, such as a signing failure, says nothing about it.
          if (err instanceof GraphQLError && err.extensions.response) this.succeeded(trial);
          else this.breaker.release();
          throw err;
        }
        this.counts.failures++;
        lastFailure = err;
        this.failed(err);
        if (attempt >= maxAttempts) throw this.unavailable(err);
        this.counts.retries++;
        await sleep(this.policy.retryDelayMs * (0.5 + Math.random()));
      }
    }
  }

  /** The gateway's fetcher: one attempt, bounded by the timeout from request to last body byte. */
  private readonly attempt: Fetcher = (url, init) =>
    // One client span per attempt (retries show as siblings); its context goes out as traceparent.
    inSpan(
      `${this.name} POST`,
      {
        kind: SpanKind.CLIENT,
        attributes: { "wayfinder.partner": this.name, "server.address": this.name },
      },
      async (span, ctx) => {
        const headers = { ...(init?.headers as Record<string, string> | undefined) };
        const pending = headers[PENDING_CLAIMS];
        delete headers[PENDING_CLAIMS];
        const claims = pending ? (JSON.parse(pending) as Claims) : PUBLIC_CLAIMS;
        headers[CLAIMS_HEADER] = await signClaims(claims, this.secret, {
          audience: this.name,
          body: typeof init?.body === "string" ? init.body : "",
        });
        injectContext(ctx, headers);
        const started = performance.now();
        let outcome = "ok";
        try {
          const res = await this.send(url, { ...init, headers });
          span.setAttribute("http.response.status_code", res.status);
          if (res.status === 401 || res.status === 403) outcome = "UNAUTHORIZED";
          else if (res.status >= 400) outcome = "HTTP_4XX";
          return res;
        } catch (err) {
          outcome = err instanceof PartnerFetchError ? err.reason : "ERROR";
          span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
          throw err;
        } finally {
          this.observe?.(this.name, outcome, (performance.now() - started) / 1000);
        }
      },
    );

  /** One HTTP exchange, bounded by the timeout from request to last body byte. */
  private async send(url: string, init: Parameters<Fetcher>[1]): Promise<FetcherResponse> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.policy.timeoutMs);
    try {
      const { res, text } = this.transport
        ? await this.transport(url, { ...init, signal: controller.signal } as RequestInit).then(
            async (r) => ({ res: r, text: await r.text() }),
          )
        : await httpExchange(url, init, controller.signal);
      if (res.status >= 500) {
        throw new PartnerFetchError(
          "HTTP_ERROR",
          `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`,
        );
      }
      return bufferedResponse(res, text);
    } catch (err) {
      if (err instanceof PartnerFetchError) throw err;
      if (timedOut)
        throw new PartnerFetchError("TIMEOUT", `timed out after ${this.policy.timeoutMs} ms`, {
          cause: err,
        });
      throw new PartnerFetchError("UNREACHABLE", describeNetworkError(err), { cause: err });
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private succeeded(trial: boolean) {
    this.breaker.success();
    if (trial) this.logger?.info({ partner: this.name }, "partner reachable again; circuit closed");
  }

  private failed(err: PartnerFetchError) {
    const before = this.breaker.state;
    this.breaker.failure(err.message);
    if (before !== "open" && this.breaker.state === "open") {
      this.logger?.warn(
        {
          partner: this.name,
          consecutiveFailures: this.breaker.snapshot().consecutiveFailures,
          lastError: err.message,
        },
        "partner failing; circuit open",
      );
    }
  }

  // The client learns which partner and why (a reason code), never the raw network message: it
  // holds internal host names and ports ("getaddrinfo ENOTFOUND charity.internal"). The detail is
  // logged, and /ready shows it to operators.
  private unavailable(err: PartnerFetchError): GraphQLError {
    this.logger?.warn(
      { partner: this.name, reason: err.reason, error: err.message },
      "partner unavailable",
    );
    const why =
      err.reason === "TIMEOUT"
        ? `timed out after ${this.policy.timeoutMs} ms`
        : err.reason === "HTTP_ERROR"
          ? "it answered with a server error"
          : "it could not be reached";
    return new GraphQLError(`Partner "${this.name}" is unavailable: ${why}`, {
      extensions: {
        code: "PARTNER_UNAVAILABLE",
        partner: this.name,
        serviceName: this.name,
        reason: err.reason,
      },
    });
  }

  private circuitOpen(): GraphQLError {
    return new GraphQLError(
      `Partner "${this.name}" is unavailable (CIRCUIT_OPEN); next try in ${Math.ceil(this.breaker.retryAfterMs() / 1000)} s.`,
      {
        extensions: {
          code: "PARTNER_UNAVAILABLE",
          partner: this.name,
          serviceName: this.name,
          reason: "CIRCUIT_OPEN",
          retryAfterMs: this.breaker.retryAfterMs(),
        },
      },
    );
  }
}
