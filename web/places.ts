// Place names in what people type: "norwich family hub", "camhs in king's lynn", "Casnewydd". The
// gazetteer is every UK local authority the directory knows (its `localAuthorities`, from
// data/areas/: official and Welsh names), with the short names people use for them ("Bristol" for
// "Bristol, City of", "King's Lynn" for "King's Lynn and West Norfolk", "Stockton" for
// "Stockton-on-Tees"). Kept apart from the search page so the rules can be read and tested alone.

export interface PlaceArea {
  code: string;
  name: string;
  nameWelsh?: string | null;
}

export interface PlaceInQuery {
  area: PlaceArea;
  /** The words of the query that named the place, as typed. */
  matched: string;
  /** The query without the place (and without an "in"/"near" before it). */
  rest: string;
}

/**
 * Authority names that are also everyday words in a search for children's services ("reading
 * support", "rugby club", "bath time"): a place only after "in", "near", "around" or "at", or on its
 * own in the where box.
 */
const EVERYDAY_WORDS = new Set([
  "reading",
  "rugby",
  "hart",
  "bury",
  "bath",
  "barking",
  "down",
  "angus",
  "highland",
  "glens",
]);
const PREPOSITIONS = new Set(["in", "near", "around", "at", "within"]);
/** Short names that no rule derives from the official one. */
const SHORT_NAMES: Record<string, string> = { E06000010: "Hull" };
/** Parts of a split name too generic to be a place on their own. */
const GENERIC = new Set([
  "city",
  "county",
  "north",
  "south",
  "east",
  "west",
  "mid",
  "central",
  "greater",
  "vale",
  "forest",
  "isle",
  "isles",
  "islands",
  "borough",
  "london",
]);

/** Lower case, accents and apostrophes dropped, anything else that is not a letter or digit a space. */
export function normalisePlace(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’‘`]/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** The names people use for an authority, normalised: its official and Welsh names and short forms. */
export function aliasesOf(area: PlaceArea): string[] {
  const out = new Set<string>();
  const add = (s: string | null | undefined) => {
    const n = normalisePlace(s ?? "");
    if (n && !GENERIC.has(n) && n.length >= 3) out.add(n);
  };
  add(area.name);
  add(area.nameWelsh);
  add(SHORT_NAMES[area.code]);
  // "Bristol, City of", "Herefordshire, County of", "City of Edinburgh", "Glasgow City", "County Durham".
  const plain = area.name
    .replace(/,\s*(City|County) of$/i, "")
    .replace(/^(City|County) of /i, "")
    .replace(/^County /i, "")
    .replace(/ City$/i, "");
  add(plain);
  // "Brighton and Hove", "Blackburn with Darwen", "Bournemouth, Christchurch and Poole".
  const parts = plain.split(/,\s*| and | with /i).map((p) => p.replace(/ City$/i, "").trim());
  if (parts.length > 1) for (const p of parts) if (p.length >= 4) add(p);
  // "Stockton-on-Tees", "Newcastle upon Tyne", "Richmond upon Thames", "Southend-on-Sea".
  for (const p of [plain, ...parts]) {
    const m = /^(.+?)[\s-](?:upon|on)[\s-]\S+$/i.exec(p);
    if (m) add(m[1]);
  }
  return [...out];
}

export class Gazetteer {
  /** Normalised alias → the areas it names (a name two areas share names neither). */
  private readonly byAlias = new Map<string, PlaceArea[]>();
  private readonly longest: number;

  constructor(areas: readonly PlaceArea[]) {
    for (const area of areas)
      for (const alias of aliasesOf(area)) {
        const list = this.byAlias.get(alias) ?? [];
        if (!list.some((a) => a.code === area.code)) list.push(area);
        this.byAlias.set(alias, list);
      }
    this.longest = Math.max(1, ...[...this.byAlias.keys()].map((k) => k.split(" ").length));
  }

  /** The one area a whole where-box value names ("norwich", "Kings Lynn", "Casnewydd"), if any. */
  lookup(text: string): PlaceArea | null {
    const hits = this.byAlias.get(normalisePlace(text));
    return hits?.length === 1 ? hits[0]! : null;
  }

  /**
   * The place a free-text query names, the longest name first ("great yarmouth" before
   * "yarmouth"), then the earliest. Null when it names none, or only an everyday word without
   * "in"/"near" before it.
   */
  find(query: string): PlaceInQuery | null {
    // Words as typed, each with its normalised form (a word may normalise to several: "king's-lynn").
    const typed = query.split(/\s+/).filter(Boolean);
    const words: { norm: string; at: number }[] = [];
    typed.forEach((w, at) => {
      for (const n of normalisePlace(w).split(" ").filter(Boolean)) words.push({ norm: n, at });
    });
    for (let len = Math.min(this.longest, words.length); len >= 1; len--) {
      for (let i = 0; i + len <= words.length; i++) {
        const alias = words
          .slice(i, i + len)
          .map((w) => w.norm)
          .join(" ");
        const hits = this.byAlias.get(alias);
        if (hits?.length !== 1) continue;
        const before = i > 0 ? words[i - 1]!.norm : undefined;
        const afterPreposition = before !== undefined && PREPOSITIONS.has(before);
        if (EVERYDAY_WORDS.has(alias) && !afterPreposition) continue;
        const first = words[i]!.at;
        const last = words[i + len - 1]!.at;
        const from = afterPreposition && words[i - 1]!.at < first ? words[i - 1]!.at : first;
        return {
          area: hits[0]!,
          matched: typed.slice(first, last + 1).join(" "),
          rest: [...typed.slice(0, from), ...typed.slice(last + 1)].join(" "),
        };
      }
    }
    return null;
  }
}
