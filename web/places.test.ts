// Place names in search text, against every UK authority in data/areas.
import { describe, expect, it } from "vitest";
import { allAreas } from "../schema/areas.ts";
import { Gazetteer, aliasesOf, normalisePlace } from "./places.ts";

const gazetteer = new Gazetteer(
  allAreas().map((a) => ({ code: a.code, name: a.name, nameWelsh: a.nameWelsh })),
);
const found = (q: string) => {
  const m = gazetteer.find(q);
  return m && { code: m.area.code, matched: m.matched, rest: m.rest };
};

describe("place names", () => {
  it("finds an authority named anywhere in the words, and what is left", () => {
    expect(found("norwich family hub")).toEqual({
      code: "E07000148",
      matched: "norwich",
      rest: "family hub",
    });
    expect(found("Family hub in Great Yarmouth")).toEqual({
      code: "E07000145",
      matched: "Great Yarmouth",
      rest: "Family hub",
    });
    expect(found("young carers Casnewydd")?.code).toBe("W06000022");
  });

  it("knows the short names people use", () => {
    expect(found("camhs in king's lynn")).toMatchObject({ code: "E07000146", rest: "camhs" });
    expect(found("kings lynn")?.code).toBe("E07000146");
    expect(found("bristol sen")?.code).toBe("E06000023");
    expect(found("stockton parenting")?.code).toBe("E06000004");
    expect(found("hull")?.code).toBe("E06000010");
    expect(found("durham")?.code).toBe("E06000047");
    expect(found("edinburgh")?.code).toBe("S12000036");
    expect(aliasesOf({ code: "E06000043", name: "Brighton and Hove" })).toEqual(
      expect.arrayContaining(["brighton and hove", "brighton", "hove"]),
    );
  });

  it("leaves out names two authorities share, and generic words", () => {
    expect(found("kingston")).toBeNull();
    expect(found("london")).toBeNull();
    expect(found("north east")).toBeNull();
    expect(found("family hub")).toBeNull();
  });

  it("takes an everyday word as a place only after in or near", () => {
    expect(found("reading support")).toBeNull();
    expect(found("rugby club")).toBeNull();
    expect(found("reading support in reading")).toEqual({
      code: "E06000038",
      matched: "reading",
      rest: "reading support",
    });
    // The where box is a place by definition.
    expect(gazetteer.lookup("Reading")?.code).toBe("E06000038");
  });

  it("looks up a whole where-box value, ignoring case, accents and apostrophes", () => {
    expect(gazetteer.lookup("KINGS LYNN")?.code).toBe("E07000146");
    expect(gazetteer.lookup("Ynys Mon")?.code).toBe(gazetteer.lookup("Isle of Anglesey")?.code);
    expect(gazetteer.lookup("norwich family hub")).toBeNull();
    expect(normalisePlace("King’s Lynn & West-Norfolk")).toBe("kings lynn west norfolk");
  });
});
