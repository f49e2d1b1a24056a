import { describe, expect, it } from "vitest";
import { searchContract } from "./contract.ts";
import { EmbeddedIndex, createEmbeddedBackend } from "./embedded.ts";
import { FIXTURE } from "./fixture.ts";
import { SearchRequestError } from "./request.ts";
import { SearchBackendError } from "./types.ts";

searchContract("embedded", async () => createEmbeddedBackend());

describe("embedded backend", () => {
  it("compacts after many removals and keeps answering the same", async () => {
    const index = new EmbeddedIndex(8);
    const copies = Array.from({ length: 60 }, (_, i) =>
      FIXTURE.map((d) => ({ ...d, id: `${d.id}-${i}` })),
    ).flat();
    index.upsert(copies);
    index.upsert(FIXTURE);
    const req = { query: "bereavement", limit: 100, offset: 0, facets: true };
    expect(index.search(req).totalCount).toBe(2 * 61);
    index.remove(copies.map((d) => d.id)); // 1,800 removals: enough to trigger compaction
    expect(index.stats()).toMatchObject({ live: 30, dead: 0, slots: 30 });
    const after = index.search(req);
    expect(after.hits.map((h) => h.id).sort()).toEqual(["charity:h01", "health:n10"]);
    expect(after.facets!.partner).toEqual([
      { value: "charity", count: 1 },
      { value: "health", count: 1 },
    ]);
    index.remove(["charity:h01"]);
    expect(index.stats()).toMatchObject({ live: 29, dead: 1 });
    expect(index.search(req).hits.map((h) => h.id)).toEqual(["health:n10"]);
  });

  it("replaces duplicates within one upsert with the last copy", async () => {
    const backend = createEmbeddedBackend();
    await backend.upsert([FIXTURE[0]!, { ...FIXTURE[0]!, name: "Renamed Hub" }]);
    expect(await backend.count()).toBe(1);
    expect((await backend.get([FIXTURE[0]!.id]))[0]!.name).toBe("Renamed Hub");
  });

  it("rejects numbers a client could fix, and refuses work once closed", async () => {
    const backend = createEmbeddedBackend();
    await expect(
      backend.search({ limit: 10, offset: 0, filter: { age: Number.NaN } }),
    ).rejects.toBeInstanceOf(SearchRequestError);
    await expect(
      backend.search({ limit: 10, offset: 0, near: { lat: 95, lng: 0, radiusKm: 5 } }),
    ).rejects.toBeInstanceOf(SearchRequestError);
    await expect(backend.search({ limit: 10, offset: 9_995 })).rejects.toBeInstanceOf(
      SearchRequestError,
    );
    await backend.close();
    await expect(backend.count()).rejects.toBeInstanceOf(SearchBackendError);
  });

  it("hands out copies, so callers cannot change the index by accident", async () => {
    const backend = createEmbeddedBackend();
    await backend.upsert([FIXTURE[0]!]);
    const [doc] = await backend.get([FIXTURE[0]!.id]);
    doc!.needs.push("HOUSING");
    expect(
      (await backend.search({ limit: 5, offset: 0, filter: { needs: ["HOUSING"] } })).totalCount,
    ).toBe(0);
  });
});
