// More than one gateway serving the web app: with REDIS_URL the web sessions live in the real Redis
// on 127.0.0.1:6379, so a visitor signed in through one replica is signed in at the other, and
// signing out at either ends the session everywhere. The pages used need no subgraph (sign-in and
// the 404 page, which shows who is signed in).
import { afterAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../gateway/server.ts";
import { createWeb } from "../web/server.ts";
import { webConfig } from "../web/config.ts";
import { testGatewayConfig } from "./helpers/stack.ts";
import { REDIS_URL, dropPrefix, freshPrefix, hasRedis, keysUnder } from "./helpers/redis.ts";

const gateways: RunningGateway[] = [];
const prefix = freshPrefix("web-session");
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  if (hasRedis) await dropPrefix(prefix);
});

async function replica(env: Record<string, string>) {
  const cfg = webConfig(env);
  const gw = await startGateway({
    ...testGatewayConfig(),
    host: "127.0.0.1",
    port: 0,
    subgraphUrls: {
      council: "http://127.0.0.1:9/graphql",
      charity: "http://127.0.0.1:9/graphql",
      health: "http://127.0.0.1:9/graphql",
      directory: "http://127.0.0.1:9/graphql",
    },
    web: (graphqlUrl) =>
      createWeb({
        ...cfg,
        // This run's own keys, under the key prefix the loader's settings would use otherwise.
        sessionRedis: cfg.sessionRedis && { ...cfg.sessionRedis, keyPrefix: `${prefix}:` },
        graphqlUrl,
      }),
  });
  gateways.push(gw);
  return gw.url.replace(/\/graphql$/, "");
}

async function signIn(base: string): Promise<string> {
  const res = await fetch(`${base}/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
    body: "role=professional&returnTo=%2F",
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  // The old session's cookie is cleared first, then the new one set.
  const cookie = res.headers.getSetCookie().find((c) => /^wayfinder_session=[^;]+/.test(c))!;
  return cookie.split(";")[0]!;
}

const whoIs = async (base: string, cookie: string) => {
  const html = await (await fetch(`${base}/no-such-page`, { headers: { cookie } })).text();
  return /data-testid="signed-in-as">([^<]*)</.exec(html)?.[1] ?? null;
};

describe.skipIf(!hasRedis)("web sessions in Redis (REDIS_URL)", () => {
  it("a session made by one replica is known to the other, and signing out at either ends it", async () => {
    const a = await replica({ REDIS_URL });
    const b = await replica({ REDIS_URL });
    const cookie = await signIn(a);
    expect(await whoIs(a, cookie)).toBe("Signed in as dev-web-professional (professional)");
    expect(await whoIs(b, cookie)).toBe("Signed in as dev-web-professional (professional)");
    // One key, expiring with the session; the token is in Redis, never in the cookie.
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toBe(`${prefix}:${cookie.split("=")[1]}`);

    const out = await fetch(`${b}/sign-out`, {
      method: "POST",
      headers: { cookie, origin: b },
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    expect(await whoIs(a, cookie)).toBeNull();
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("without REDIS_URL each replica keeps its own sessions", async () => {
    const a = await replica({});
    const b = await replica({});
    const cookie = await signIn(a);
    expect(await whoIs(a, cookie)).toBe("Signed in as dev-web-professional (professional)");
    expect(await whoIs(b, cookie)).toBeNull();
  });
});
