// Rate-limit buckets shared by every gateway replica, in Redis (REDIS_URL), through
// rate-limiter-flexible's atomic Redis limiter. Each client may make GATEWAY_RATE_LIMIT_BURST
// requests per window of burst ÷ rps seconds (a fixed window per client, started by its first
// request): the same long-run rate and burst as the in-memory token bucket.
//
// When Redis fails (down, unreachable, slow) the gateway neither stops serving (fail-closed would
// turn a cache outage into a site outage) nor stops limiting (fail-open would hand a flood straight
// to the partners): rate-limiter-flexible's insurance limiter takes over with the same limits kept
// in this replica's memory, so each replica limits on its own until Redis is back.
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Logger } from "../platform/log.ts";
import type { TakeResult } from "./ratelimit.ts";

export interface RedisLimitOptions {
  rps: number;
  burst: number;
  url: string;
  /** Keys are `<prefix>:<client key>`; replicas sharing limits share the prefix. */
  keyPrefix?: string;
  /** Longest a Redis round trip may take before the replica's own limit answers instead (ms). */
  timeoutMs?: number;
}

/** At most one warning per interval while Redis is failing. */
const WARN_INTERVAL_MS = 30_000;

export class RedisBuckets {
  readonly rps: number;
  readonly burst: number;
  /** Fixed window length, in seconds. */
  readonly windowSeconds: number;
  private readonly client: Redis;
  private readonly limiter: RateLimiterRedis;
  private warnedAt = -Infinity;
  private readonly loggedAt = new Map<string, number>();

  constructor(
    opts: RedisLimitOptions,
    private readonly logger?: Pick<Logger, "warn">,
  ) {
    this.rps = opts.rps;
    this.burst = opts.burst;
    this.windowSeconds = Math.max(1, Math.round(opts.burst / opts.rps));
    // No offline queue: while disconnected, a command fails at once (and insurance answers)
    // instead of waiting for a reconnect that may never come.
    this.client = new Redis(opts.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      commandTimeout: opts.timeoutMs ?? 500,
      lazyConnect: false,
    });
    this.client.on("error", (err: Error) => this.warn(err));
    const limits = { points: opts.burst, duration: this.windowSeconds };
    this.limiter = new RateLimiterRedis({
      ...limits,
      storeClient: this.client,
      keyPrefix: opts.keyPrefix ?? "wayfinder:ratelimit",
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(limits),
    });
  }

  async take(key: string): Promise<TakeResult & { log?: { refused: number } }> {
    try {
      const res = await this.limiter.consume(key, 1);
      return { ok: true, remaining: res.remainingPoints };
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) {
        // Both Redis and the insurance limiter failed: serve rather than refuse everyone.
        this.warn(res as Error);
        return { ok: true, remaining: 0 };
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      const now = Date.now();
      const last = this.loggedAt.get(key) ?? -Infinity;
      if (now - last < 10_000) return { ok: false, retryAfterSeconds };
      if (this.loggedAt.size > 10_000) this.loggedAt.clear();
      this.loggedAt.set(key, now);
      return { ok: false, retryAfterSeconds, log: { refused: res.consumedPoints - this.burst } };
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private warn(err: Error) {
    const now = Date.now();
    if (now - this.warnedAt < WARN_INTERVAL_MS) return;
    this.warnedAt = now;
    this.logger?.warn(
      { event: "rate_limit_store_unavailable", error: err.message },
      "Redis unavailable: each gateway replica rate limits on its own until it is back",
    );
  }
}
