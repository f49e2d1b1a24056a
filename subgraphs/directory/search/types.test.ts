import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ANY_DAY,
  dayCode,
  openSlotsFor,
  sessionKeyRanges,
  sessionKeysFor,
  sessionMatches,
  slotsForOpenAt,
  type Session,
} from "./types.ts";
import { normaliseDoc } from "./request.ts";
import { FIXTURE } from "./fixture.ts";

describe("openSlotsFor", () => {
  it("gives a day token and one token per hour open", () => {
    expect(openSlotsFor([{ byday: "MO", opensAt: "09:00", closesAt: "17:00" }])).toEqual([
      "MO",
      "MO-09",
      "MO-10",
      "MO-11",
      "MO-12",
      "MO-13",
      "MO-14",
      "MO-15",
      "MO-16",
    ]);
  });

  it("counts an hour the service is open for any part of", () => {
    expect(openSlotsFor([{ byday: "TU", opensAt: "09:30", closesAt: "11:15" }])).toEqual([
      "TU",
      "TU-09",
      "TU-10",
      "TU-11",
    ]);
  });

  it("reads day lists, RRULE ordinals, names, and treats null byday as every day", () => {
    expect(openSlotsFor([{ byday: "MO,we, Friday,1SU", opensAt: null, closesAt: null }])).toEqual([
      "FR",
      "MO",
      "SU",
      "WE",
    ]);
    expect(openSlotsFor([{ byday: null, opensAt: "10:00", closesAt: "11:00" }])).toHaveLength(14);
  });

  it("gives only day tokens when hours are unknown", () => {
    expect(openSlotsFor([{ byday: "SA", opensAt: "10:00", closesAt: null }])).toEqual(["SA"]);
  });

  it("runs past midnight into the next day, and 00:00 closing means end of day", () => {
    expect(openSlotsFor([{ byday: "SU", opensAt: "22:00", closesAt: "02:00" }])).toEqual([
      "MO",
      "MO-00",
      "MO-01",
      "SU",
      "SU-22",
      "SU-23",
    ]);
    expect(openSlotsFor([{ byday: "FR", opensAt: "23:00", closesAt: "00:00" }])).toEqual([
      "FR",
      "FR-23",
    ]);
  });

  it("merges several schedules and ignores unreadable ones", () => {
    const slots = openSlotsFor([
      { byday: "MO", opensAt: "09:00", closesAt: "10:00" },
      { byday: "MO", opensAt: "14:00", closesAt: "15:00" },
      { byday: "XX", opensAt: "09:00", closesAt: "10:00" },
      { byday: "TU", opensAt: "9am", closesAt: "5pm" },
    ]);
    expect(slots).toEqual(["MO", "MO-09", "MO-14", "TU"]);
  });
});

describe("slotsForOpenAt", () => {
  it("maps a day to its token and a day and time to the hour token", () => {
    expect(slotsForOpenAt({ day: "MO" })).toBe("MO");
    expect(slotsForOpenAt({ day: "mo", time: "09:59" })).toBe("MO-09");
    expect(slotsForOpenAt({ day: "SU", time: "00:00" })).toBe("SU-00");
  });

  it("returns null for days and times it cannot read", () => {
    expect(slotsForOpenAt({ day: "Funday" })).toBeNull();
    expect(slotsForOpenAt({ day: "MO", time: "25:00" })).toBeNull();
    expect(slotsForOpenAt({ day: "MO", time: "24:00" })).toBeNull();
    expect(slotsForOpenAt({ day: "MO", time: '" OR 1=1' })).toBeNull();
    expect(dayCode("")).toBeNull();
  });
});

describe("session keys", () => {
  const time = fc.option(
    fc
      .integer({ min: 0, max: 1440 })
      .map((m) =>
        m === 1440
          ? "24:00"
          : `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`,
      ),
  );
  const session: fc.Arbitrary<Session> = fc.record({
    byDay: fc.subarray(["MO", "TU", "WE", "TH", "FR", "SA", "SU", "2SA", "xx"]),
    opensAt: time,
    closesAt: time,
  });
  const minutes = fc.option(fc.integer({ min: 0, max: 1440 }));
  const query = fc.record({
    day: fc.integer({ min: 0, max: ANY_DAY }),
    startsAtOrAfter: minutes,
    endsAtOrBefore: minutes,
  });
  const inRanges = (keys: number[], ranges: [number, number][]) =>
    keys.some((k) => ranges.some(([lo, hi]) => k >= lo && k <= hi));

  it("say exactly what the session filter says: one session both opening and closing in bounds", () => {
    fc.assert(
      fc.property(fc.array(session, { maxLength: 4 }), query, (sessions, q) => {
        expect(inRanges(sessionKeysFor(sessions), sessionKeyRanges(q))).toBe(
          sessionMatches(sessions, q),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("do not mix two sessions of one day", () => {
    const twoMondays: Session[] = [
      { byDay: ["MO"], opensAt: "08:00", closesAt: "12:00" },
      { byDay: ["MO"], opensAt: "14:00", closesAt: "20:00" },
    ];
    const q = { day: 0, startsAtOrAfter: 9 * 60, endsAtOrBefore: 12 * 60 };
    expect(sessionMatches(twoMondays, q)).toBe(false);
    expect(inRanges(sessionKeysFor(twoMondays), sessionKeyRanges(q))).toBe(false);
    expect(sessionKeyRanges(q).length).toBeLessThanOrEqual(12);
    expect(sessionKeysFor(twoMondays)).toHaveLength(2 * 2 * 12);
  });
});

describe("normaliseDoc", () => {
  it("fills what the ORUK filters read, for copies stored before those fields, from the card", () => {
    const {
      organizationId: _o,
      maxAgeStated: _m,
      taxonomyTerms: _t,
      taxonomies: _x,
      schedules: _s,
      locationIds: _l,
      ...old
    } = FIXTURE[0]!;
    const card = {
      organizationId: "council:org-7",
      minimumAge: null,
      maximumAge: null,
      funder: null,
      capacityUpdatedAt: null,
      locations: [
        { id: "loc-1", name: null, locationType: "physical", confidential: false, area: null },
      ],
    };
    const doc = normaliseDoc({ ...old, card } as never);
    expect([doc.organizationId, doc.maxAgeStated, doc.locationIds]).toEqual([
      "council:org-7",
      false,
      ["loc-1"],
    ]);
    expect([doc.taxonomyTerms, doc.taxonomies, doc.schedules]).toEqual([[], [], []]);
    const bare = normaliseDoc(old as never);
    expect([bare.organizationId, bare.maxAgeStated, bare.locationIds]).toEqual(["", true, []]);
  });
});
