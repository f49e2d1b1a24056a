// Redis for tests: used whenever one is reachable; mandatory when WAYFINDER_REQUIRE_REDIS=1 (set by
// .ci/run, whose machine has Redis), skipped otherwise. Each run uses its own key prefix.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const required = process.env.WAYFINDER_REQUIRE_REDIS === "1";

async function reachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch (err) {
    if (required)
      throw new Error(
        `Redis is required (WAYFINDER_REQUIRE_REDIS=1) but ${REDIS_URL} is unreachable: ${String(err)}`,
        { cause: err },
      );
    return false;
  } finally {
    client.disconnect();
  }
}

/** Resolved once per test file: true when the Redis tests should run. */
export const hasRedis: boolean = await reachable();

/** A key prefix no other test run uses. */
export const freshPrefix = (label: string) => `wayfinder-test:${label}:${randomUUID().slice(0, 8)}`;

/** Deletes every key under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

export async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}
