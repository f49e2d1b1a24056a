// Per-client rate limit for the gateway: a token bucket per caller, answered with 429 and
// Retry-After before any GraphQL work is done.
import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type http from "node:http";
import type { Route } from "../platform/http.ts";
import { RedisBuckets } from "./ratelimit-redis.ts";
import type { Logger } from "../platform/log.ts";

export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  rps: number;
  /** Requests a client may make at once after being idle (bucket size). */
  burst: number;
  /**
   * Honour X-Forwarded-For. `true` trusts one proxy hop (the entry our proxy appended, i.e. the
   * rightmost); a number trusts that many hops. Off by default: the header is trivially forged.
   */
  trustProxy?: boolean | number;
  /** Most buckets kept; idle (full) buckets go first, then the least recently used. */
  maxBuckets?: number;
  /** Clock in milliseconds; tests pass a fake one. */
  now?: () => number;
  /** REDIS_URL: keep the buckets in Redis, shared by every gateway replica (ratelimit-redis.ts). */
  redis?: { url: string; keyPrefix?: string };
}

export const RATE_LIMIT_DEFAULTS = { rps: 20, burst: 60, maxBuckets: 50_000 } as const;

export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (ms). */
  at: number;
  /** When a refusal of this client was last logged, and how many were refused since. */
  loggedAt: number;
  refused: number;
}

/** At most one log line per limited client per interval: a flood must not flood the logs too. */
const LOG_INTERVAL_MS = 10_000;

/**
 * Token buckets keyed by client. The Map is kept in least-recently-used order (a hit moves the key
 * to the end), so idle buckets sit at the front and are swept from there in O(1) amortised time:
 * a bucket that has refilled completely is the same as no bucket, so dropping it changes nothing.
 */
export class TokenBuckets {
  readonly rps: number;
  readonly burst: number;
  private readonly maxBuckets: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  /** Time for an empty bucket to refill completely. */
  private readonly idleMs: number;

  constructor(opts: Omit<RateLimitOptions, "trustProxy">) {
    if (!(opts.rps > 0) || !Number.isFinite(opts.rps))
      throw new RangeError(`rate limit rps must be a positive number, got ${opts.rps}`);
    if (!(opts.burst >= 1) || !Number.isFinite(opts.burst))
      throw new RangeError(`rate limit burst must be at least 1, got ${opts.burst}`);
    this.rps = opts.rps;
    this.burst = opts.burst;
    this.maxBuckets = Math.max(1, opts.maxBuckets ?? RATE_LIMIT_DEFAULTS.maxBuckets);
    this.now = opts.now ?? (() => performance.now());
    this.idleMs = (this.burst / this.rps) * 1000;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`. */
  take(key: string): TakeResult & { log?: { refused: number } } {
    const now = this.now();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rps);
      b.at = now;
    } else {
      b = { tokens: this.burst, at: now, loggedAt: -Infinity, refused: 0 };
    }
    this.buckets.set(key, b);
    this.sweep(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens) };
    }
    b.refused++;
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - b.tokens) / this.rps));
    if (now - b.loggedAt < LOG_INTERVAL_MS) return { ok: false, retryAfterSeconds };
    const log = { refused: b.refused };
    b.loggedAt = now;
    b.refused = 0;
    return { ok: false, retryAfterSeconds, log };
  }

  private sweep(now: number) {
    for (const [key, b] of this.buckets) {
      const idle = now - b.at >= this.idleMs;
      if (!idle && this.buckets.size <= this.maxBuckets) break;
      // Over the cap with no idle bucket left: drop the least recently used one. That client
      // starts again with a full bucket, which is the price of bounded memory.
      this.buckets.delete(key);
    }
  }
}

/** IPv4-mapped IPv6 becomes plain IPv4; IPv6 is grouped by /64 (one subscriber's allocation). */
export function normaliseIp(address: string): string {
  const ip = address.trim().replace(/^\[|\]$/g, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head, tail = ""] = ip.split("::") as [string, string?];
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") && tail ? tail.split(":") : [];
  // An embedded IPv4 tail (64:ff9b::1.2.3.4) is two 16-bit groups.
  const rightGroups = right.length + (right.at(-1)?.includes(".") ? 1 : 0);
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - rightGroups)).fill("0"), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(":")}::/64`;
}

/** The client address, from the socket or (behind trusted proxies) X-Forwarded-For. */
export function clientIp(req: http.IncomingMessage, trustProxy: boolean | number = false): string {
  const hops =
    trustProxy === true ? 1 : trustProxy === false ? 0 : Math.max(0, Math.floor(trustProxy));
  const socketIp = req.socket.remoteAddress ?? "unknown";
  if (hops > 0) {
    const header = req.headers["x-forwarded-for"];
    const chain = (Array.isArray(header) ? header.join(",") : (header ?? ""))
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    // Each trusted proxy appends the address it saw; entries left of those are client-supplied.
    const candidate = chain[chain.length - hops];
    if (candidate && isIP(candidate.replace(/^\[|\]$/g, ""))) return normaliseIp(candidate);
  }
  return normaliseIp(socketIp);
}

/**
 * The bucket key. The guard runs before the token is verified, so a bearer token is keyed by a
 * hash of the header (never the token itself, which would then sit in memory dumps and logs). A
 * forged token gets its own bucket but only ever buys a 401, before any GraphQL work.
 */
export function clientKey(req: http.IncomingMessage, trustProxy: boolean | number = false): string {
  const auth = req.headers.authorization;
  if (auth) return `auth:${createHash("sha256").update(auth).digest("base64url").slice(0, 22)}`;
  return `ip:${clientIp(req, trustProxy)}`;
}

export const RATE_LIMITED = "RATE_LIMITED";

/** A guard for startHttp: 429 RATE_LIMITED with Retry-After once a client's bucket is empty. */
export function rateLimitGuard(
  opts: RateLimitOptions,
  logger?: Logger,
): Route & { buckets: TokenBuckets | RedisBuckets; close(): Promise<void> } {
  const buckets = opts.redis
    ? new RedisBuckets({ rps: opts.rps, burst: opts.burst, ...opts.redis }, logger)
    : new TokenBuckets(opts);
  const guard: Route = async (req) => {
    const key = clientKey(req, opts.trustProxy);
    const taken = await buckets.take(key);
    if (taken.ok) return null;
    if (taken.log) {
      // The key is an address or a hash of the header, never the token.
      logger?.warn(
        {
          event: "rate_limited",
          client: key,
          refused: taken.log.refused,
          retryAfter: taken.retryAfterSeconds,
        },
        "client rate limited",
      );
    }
    const retryAfter = String(taken.retryAfterSeconds);
    return {
      status: 429,
      headers: { "retry-after": retryAfter },
      body: {
        errors: [
          {
            message: `Too many requests: at most ${buckets.rps} per second (bursts of ${buckets.burst}); retry after ${retryAfter} s`,
            extensions: { code: RATE_LIMITED, retryAfter: taken.retryAfterSeconds },
          },
        ],
      },
    };
  };
  return Object.assign(guard, {
    buckets,
    close: async () => {
      if (buckets instanceof RedisBuckets) await buckets.close();
    },
  });
}
