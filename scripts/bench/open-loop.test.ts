// The soak's open-loop load generator (scripts/bench/open-loop.ts): it must keep sending on its
// schedule while no answer has come (a closed loop would stop at its number of clients), count
// each latency from when the request was due, and read the error codes the gateway answers with.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { runOpenLoop } from "./open-loop.ts";

let server: http.Server | undefined;
afterEach(() => server?.close());

describe("the soak's open-loop load generator", () => {
  it("sends every request on schedule while none is answered, and times each from when it was due", async () => {
    const total = 20;
    const held: { res: http.ServerResponse; body: string; auth: string }[] = [];
    let openedAt = 0;
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        held.push({ res, body, auth: String(req.headers.authorization) });
        // Nothing is answered until every request has arrived: only an open loop gets there.
        if (held.length < total) return;
        openedAt = performance.timeOrigin + performance.now();
        held.forEach(({ res: r }, i) => {
          r.writeHead(200, { "content-type": "application/json" });
          r.end(
            JSON.stringify(
              i % 4 === 0
                ? {
                    data: null,
                    errors: [{ extensions: { code: "PARTNER_UNAVAILABLE", partner: "health" } }],
                  }
                : { data: {} },
            ),
          );
        });
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

    const { samples } = await runOpenLoop({
      url,
      rate: 200,
      seconds: total / 200,
      tokens: ["t0", "t1", "t2"],
      serviceIds: ["council:a", "charity:b"],
    });

    expect(samples).toHaveLength(total);
    expect(held).toHaveLength(total);
    // Each answer arrived after the server opened, so each latency covers the wait since it was due.
    for (const s of samples) {
      expect(s.done).toBeGreaterThanOrEqual(openedAt);
      expect(s.done - s.due).toBeGreaterThanOrEqual(openedAt - s.due);
    }
    // Due times are evenly spaced (5 ms apart at 200 a second), whatever the answers did.
    const dues = samples.map((s) => s.due).sort((a, b) => a - b);
    expect(dues.at(-1)! - dues[0]!).toBeCloseTo((total - 1) * 5, 6);
    // Clients take turns; the bodies are the soak's GraphQL mix.
    expect(new Set(held.map((h) => h.auth))).toEqual(
      new Set(["Bearer t0", "Bearer t1", "Bearer t2"]),
    );
    for (const h of held) expect(JSON.parse(h.body).query).toMatch(/query \w+/);
    // Error codes are read from the answers (every fourth was PARTNER_UNAVAILABLE).
    expect(samples.filter((s) => s.codes.length).map((s) => s.codes)).toEqual(
      Array.from({ length: total / 4 }, () => ["PARTNER_UNAVAILABLE (health)"]),
    );
  });
});
