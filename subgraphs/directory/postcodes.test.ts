import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readFileSync } from "node:fs";
import { parseCsv } from "../../schema/areas.ts";
import {
  InvalidPostcodeError,
  NorthernIrelandPostcodeError,
  UnknownPostcodeError,
  computeCentroids,
  createPostcodeResolver,
  normalisePostcode,
  parsePostcode,
  type KnownPostcode,
} from "./postcodes.ts";

describe("postcode parsing", () => {
  it("normalises case and spacing", () => {
    expect(normalisePostcode("nr24ab")).toBe("NR2 4AB");
    expect(normalisePostcode("  sw1a   2aa ")).toBe("SW1A 2AA");
    expect(parsePostcode("bs13 9xx")).toEqual({ postcode: "BS13 9XX", outwardCode: "BS13" });
  });

  it("accepts an outward code on its own", () => {
    expect(parsePostcode("nr2")).toEqual({ postcode: null, outwardCode: "NR2" });
    expect(() => normalisePostcode("NR2")).toThrow(InvalidPostcodeError);
  });

  it("rejects what is not a postcode", () => {
    for (const bad of [
      "",
      "hello",
      "NR2 4A",
      "12345",
      '" OR 1=1',
      "NR2 4AB; DROP",
      "x".repeat(10_000),
    ]) {
      expect(() => parsePostcode(bad), bad.slice(0, 20)).toThrow(InvalidPostcodeError);
    }
    const err = (() => {
      try {
        parsePostcode("nope");
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.name).toBe("InvalidPostcodeError");
  });
});

const KNOWN: KnownPostcode[] = [
  { postcode: "NR2 4AB", lat: 52.63, lng: 1.28 },
  { postcode: "nr2 3tt", lat: 52.634, lng: 1.284 },
  { postcode: "NR2 3TT", lat: 52.636, lng: 1.286 },
  { postcode: "AB1 2CD", lat: 57.1, lng: -2.1 },
  { postcode: "not a postcode", lat: 1, lng: 1 },
  { postcode: "AB1 3EF", lat: Number.NaN, lng: 0 },
];

describe("postcode resolver (local data)", () => {
  const resolver = (points: KnownPostcode[] = KNOWN) =>
    createPostcodeResolver({ centroidsFrom: () => points });

  it("places a known postcode at its own (averaged) position", async () => {
    const r = await resolver().resolve("nr23tt");
    expect(r).toMatchObject({
      postcode: "NR2 3TT",
      outwardCode: "NR2",
      precision: "postcode",
      localAuthorityCode: "E07000148",
      upperTierCode: "E10000020",
    });
    expect(r.lat).toBeCloseTo(52.635, 6);
    expect(r.lng).toBeCloseTo(1.285, 6);
  });

  it("places an unknown postcode at its outward code's Code-Point centre and main authority", async () => {
    const r = await resolver().resolve("NR2 9ZZ");
    expect(r).toMatchObject({
      precision: "outward",
      localAuthorityCode: "E07000148",
      upperTierCode: "E10000020",
    });
    expect(r.lat).toBeCloseTo(52.62916, 5);
    // An outward code Code-Point does not have ("AB1" was retired) falls back to known locations.
    expect(await resolver().resolve("AB1 9ZZ")).toEqual({
      postcode: "AB1 9ZZ",
      outwardCode: "AB1",
      lat: 57.1,
      lng: -2.1,
      precision: "outward",
    });
  });

  it("places any GB outward code: the Isles of Scilly, Rutland, King's Lynn, central London", async () => {
    expect(await resolver([]).resolve("tr21 0aa")).toMatchObject({
      localAuthorityCode: "E06000053",
      upperTierCode: "E06000053",
      lat: 49.91914,
    });
    expect(await resolver([]).resolve("LE15 6AA")).toMatchObject({
      localAuthorityCode: "E06000017",
    });
    expect(await resolver([]).resolve("PE31 6AA")).toMatchObject({
      localAuthorityCode: "E07000146",
      upperTierCode: "E10000020",
    });
    expect(await resolver([]).resolve("SW1A")).toMatchObject({
      postcode: "SW1A",
      lat: 51.50452,
      lng: -0.13225,
    });
    expect(await resolver([]).resolve("np20 1aa")).toMatchObject({
      localAuthorityCode: "W06000022",
      precision: "outward",
    });
  });

  it("places every postcode of the Code-Point sample within its outward code, near its real position", async () => {
    const [header, ...rows] = parseCsv(
      readFileSync(
        new URL("../../tests/fixtures/areas/postcodes-sample.csv", import.meta.url),
        "utf8",
      ),
    );
    const col = (name: string) => header!.indexOf(name);
    const r = resolver([]);
    let sameUpperTier = 0;
    let positioned = 0;
    let within15 = 0;
    for (const row of rows) {
      const placed = await r.resolve(row[col("postcode")]!);
      if (placed.upperTierCode === row[col("upper_tier_code")]) sameUpperTier++;
      if (!row[col("lat")]) continue;
      positioned++;
      const km = Math.hypot(
        (placed.lat - Number(row[col("lat")])) * 111,
        (placed.lng - Number(row[col("lng")])) * 111 * Math.cos((placed.lat * Math.PI) / 180),
      );
      if (km < 15) within15++;
    }
    expect(rows.length).toBeGreaterThan(8000);
    expect(positioned).toBeGreaterThan(8000);
    // A few large-user postcodes sit at a far delivery office (TR21 0PW is on the mainland).
    expect(within15 / positioned).toBeGreaterThan(0.99);
    // The outward code's main authority is the children's services authority for nearly all of them.
    expect(sameUpperTier / rows.length).toBeGreaterThan(0.97);
  });

  it("says a Northern Ireland postcode needs POSTCODES_URL", async () => {
    const err = await resolver([])
      .resolve("BT1 5GS")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NorthernIrelandPostcodeError);
    expect((err as Error).message).toMatch(/Northern Ireland.*POSTCODES_URL/);
  });

  it("says UnknownPostcodeError for a well-formed postcode it cannot place", async () => {
    await expect(resolver().resolve("ZZ1 1AA")).rejects.toBeInstanceOf(UnknownPostcodeError);
    await expect(resolver().resolve("ZZ1 1AA")).rejects.toMatchObject({
      name: "UnknownPostcodeError",
      postcode: "ZZ1 1AA",
    });
    await expect(resolver().resolve("garbage")).rejects.toBeInstanceOf(InvalidPostcodeError);
  });

  it("recomputes centroids from fresh data after the cache expires", async () => {
    let clock = 0;
    const points: KnownPostcode[] = [];
    const r = createPostcodeResolver({
      centroidsFrom: () => points,
      cacheMs: 1000,
      now: () => clock,
    });
    await expect(r.resolve("AB1 1AA")).rejects.toBeInstanceOf(UnknownPostcodeError);
    points.push({ postcode: "AB1 2CD", lat: 57.1, lng: -2.1 });
    await expect(r.resolve("AB1 1AA")).rejects.toBeInstanceOf(UnknownPostcodeError);
    clock = 1001;
    expect((await r.resolve("AB1 1AA")).lat).toBe(57.1);
  });

  it("skips bad location data when averaging", () => {
    const c = computeCentroids(KNOWN);
    expect([...c.outward.keys()].sort()).toEqual(["AB1", "NR2"]);
    expect(c.exact.get("NR2 3TT")!.lat).toBeCloseTo(52.635, 6);
  });
});

describe("postcode resolver (postcodes.io API)", () => {
  let servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    servers = [];
  });

  async function fakePostcodesIo(
    handler: (path: string) => { status: number; body?: unknown } | null,
  ) {
    const paths: string[] = [];
    /** Requests the client gave up on before an answer. */
    const abandoned: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url!);
      res.on("close", () => {
        if (!res.writableEnded) abandoned.push(req.url!);
      });
      const answer = handler(req.url!);
      if (answer === null) return; // never answer: exercises the timeout
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body ?? {}));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, paths, abandoned };
  }

  const norwich = {
    status: 200,
    body: {
      status: 200,
      result: {
        postcode: "NR2 4AB",
        latitude: 52.6301,
        longitude: 1.2799,
        codes: { admin_district: "E07000148", admin_county: "E10000020" },
      },
    },
  };

  it("asks GET /postcodes/{postcode} and reads position and the upper-tier authority", async () => {
    const api = await fakePostcodesIo(() => norwich);
    const r = await createPostcodeResolver({
      postcodesUrl: api.url,
      centroidsFrom: () => [],
    }).resolve("nr24ab");
    expect(api.paths).toEqual(["/postcodes/NR2%204AB"]);
    expect(r).toEqual({
      postcode: "NR2 4AB",
      outwardCode: "NR2",
      lat: 52.6301,
      lng: 1.2799,
      localAuthorityCode: "E07000148",
      upperTierCode: "E10000020",
      precision: "postcode",
    });
  });

  it("uses the district for unitary authorities (no county)", async () => {
    const api = await fakePostcodesIo(() => ({
      status: 200,
      body: {
        result: {
          latitude: 51.45,
          longitude: -2.59,
          codes: { admin_district: "E06000023", admin_county: "E99999999" },
        },
      },
    }));
    const r = await createPostcodeResolver({
      postcodesUrl: api.url,
      centroidsFrom: () => [],
    }).resolve("BS1 4DJ");
    expect(r.localAuthorityCode).toBe("E06000023");
  });

  it("asks /outcodes/{outcode} for an outward code", async () => {
    const api = await fakePostcodesIo(() => ({
      status: 200,
      body: { result: { outcode: "NR2", latitude: 52.63, longitude: 1.28 } },
    }));
    const r = await createPostcodeResolver({
      postcodesUrl: api.url,
      centroidsFrom: () => [],
    }).resolve("nr2");
    expect(api.paths).toEqual(["/outcodes/NR2"]);
    expect(r).toMatchObject({
      postcode: "NR2",
      lat: 52.63,
      precision: "outward",
      localAuthorityCode: "E07000148",
      upperTierCode: "E10000020",
    });
  });

  it("falls back to local centroids when the API does not know the postcode, else UnknownPostcodeError", async () => {
    const api = await fakePostcodesIo(() => ({
      status: 404,
      body: { status: 404, error: "Postcode not found" },
    }));
    const resolver = createPostcodeResolver({ postcodesUrl: api.url, centroidsFrom: () => [] });
    expect(await resolver.resolve("NR5 0ZZ")).toMatchObject({
      lat: 52.64081,
      precision: "outward",
    });
    await expect(resolver.resolve("ZZ9 9ZZ")).rejects.toBeInstanceOf(UnknownPostcodeError);
  });

  it("falls back to local centroids when the API fails or is too slow", async () => {
    const failing = await fakePostcodesIo(() => ({ status: 500 }));
    expect(
      await createPostcodeResolver({ postcodesUrl: failing.url, centroidsFrom: () => [] }).resolve(
        "NR2 4AB",
      ),
    ).toMatchObject({ lat: 52.62916 });
    const silent = await fakePostcodesIo(() => null);
    const resolver = createPostcodeResolver({
      postcodesUrl: silent.url,
      centroidsFrom: () => [],
      timeoutMs: 100,
    });
    // The API never answers: the lookup gives up on it (the server sees the request abandoned)
    // and answers from local centroids. No bound on how long that takes: the machine may be slow.
    expect(await resolver.resolve("NR2 4AB")).toMatchObject({ lat: 52.62916 });
    await vi.waitFor(() => expect(silent.abandoned).toHaveLength(1), { timeout: 30_000 });
    const err = await resolver.resolve("ZZ9 9ZZ").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownPostcodeError);
    expect((err as Error).message).toMatch(/lookup unavailable/);
  });

  it("never calls the API for an invalid postcode", async () => {
    const api = await fakePostcodesIo(() => norwich);
    await expect(
      createPostcodeResolver({ postcodesUrl: api.url, centroidsFrom: () => [] }).resolve(
        "../../admin",
      ),
    ).rejects.toBeInstanceOf(InvalidPostcodeError);
    expect(api.paths).toEqual([]);
  });
});
