// Text analysis both backends share: folding and tokenising, stop words, the acronym table, need
// synonyms, the hidden "terms" text each document carries, and bounded Damerau distance.
import { NEEDS, needInfo } from "../../../schema/vocabulary.ts";

/** Words dropped from queries and documents (Meilisearch gets the same list as stopWords). */
export const STOP_WORDS: readonly string[] = [
  "a",
  "an",
  "and",
  "are",
  "as",
  "at",
  "be",
  "by",
  "for",
  "from",
  "in",
  "into",
  "is",
  "it",
  "its",
  "of",
  "on",
  "or",
  "our",
  "s",
  "t",
  "that",
  "the",
  "their",
  "this",
  "to",
  "we",
  "with",
  "you",
  "your",
  "my",
  "me",
  "i",
];
const STOP = new Set(STOP_WORDS);

/** Longest query we analyse; the rest of a pasted essay is ignored. */
export const MAX_QUERY_CHARS = 200;
/** Most query words that take part in matching (Meilisearch also stops at 10). */
export const MAX_QUERY_TOKENS = 10;
const MAX_TOKEN_CHARS = 40;

const WORD = /[\p{L}\p{N}]+/gu;

/** Lower case, compatibility-decomposed, combining marks removed: "Café" → "cafe". */
export function fold(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** Folded words in order. Zero-width characters, punctuation and symbols separate words. */
export function words(text: string): string[] {
  return fold(text).match(WORD) ?? [];
}

/** Folded words without stop words: what both backends index and match. */
export function tokenize(text: string): string[] {
  return words(text).filter((w) => !STOP.has(w));
}

export function isStopWord(word: string): boolean {
  return STOP.has(word);
}

/**
 * Acronyms professionals and parents type, with the phrases they stand for. Query phrases are
 * rewritten to the acronym; documents that contain either form carry both in their terms.
 */
export const ACRONYMS: readonly { acronym: string; phrases: string[] }[] = [
  {
    acronym: "camhs",
    phrases: ["child and adolescent mental health services", "child and adolescent mental health"],
  },
  { acronym: "salt", phrases: ["speech and language therapy", "speech and language therapist"] },
  { acronym: "slcn", phrases: ["speech language and communication needs"] },
  {
    acronym: "sendiass",
    phrases: ["send information advice and support service", "send information advice and support"],
  },
  { acronym: "iass", phrases: ["information advice and support service"] },
  { acronym: "ehcp", phrases: ["education health and care plan", "ehc plan"] },
  {
    acronym: "send",
    phrases: [
      "special educational needs and disabilities",
      "special educational needs and disability",
    ],
  },
  { acronym: "asd", phrases: ["autism spectrum disorder"] },
  { acronym: "asc", phrases: ["autism spectrum condition"] },
  { acronym: "adhd", phrases: ["attention deficit hyperactivity disorder"] },
  { acronym: "cse", phrases: ["child sexual exploitation"] },
  { acronym: "cce", phrases: ["child criminal exploitation"] },
  { acronym: "yot", phrases: ["youth offending team", "youth offending service"] },
  { acronym: "neet", phrases: ["not in education employment or training"] },
  { acronym: "dv", phrases: ["domestic violence"] },
];

interface PhraseRule {
  tokens: string[];
  acronym: string;
}
// Phrase rules by first token, longest first, for a single left-to-right scan.
const PHRASES_BY_FIRST = new Map<string, PhraseRule[]>();
const ACRONYM_PHRASE_TOKENS = new Map<string, string[]>();
for (const { acronym, phrases } of ACRONYMS) {
  const all = new Set<string>();
  for (const phrase of phrases) {
    const tokens = tokenize(phrase);
    tokens.forEach((t) => all.add(t));
    const list = PHRASES_BY_FIRST.get(tokens[0]!) ?? [];
    list.push({ tokens, acronym });
    list.sort((a, b) => b.tokens.length - a.tokens.length);
    PHRASES_BY_FIRST.set(tokens[0]!, list);
  }
  ACRONYM_PHRASE_TOKENS.set(acronym, [...all]);
}

function phraseAt(tokens: string[], i: number): PhraseRule | undefined {
  for (const rule of PHRASES_BY_FIRST.get(tokens[i]!) ?? []) {
    if (rule.tokens.every((t, k) => tokens[i + k] === t)) return rule;
  }
  return undefined;
}

/** Phrase words an acronym stands for ("camhs" → child, adolescent, mental, health, services). */
export function acronymPhraseTokens(acronym: string): readonly string[] {
  return ACRONYM_PHRASE_TOKENS.get(acronym) ?? [];
}

export interface AnalysedQuery {
  /** Tokens to match, all required: folded, stop words gone, known phrases → acronyms. */
  tokens: string[];
  /** Words worth marking in a snippet: the tokens, the words they replaced, acronym phrases. */
  highlightWords: string[];
}

export function analyseQuery(query: string | undefined | null): AnalysedQuery {
  if (!query) return { tokens: [], highlightWords: [] };
  const raw = tokenize(query.slice(0, MAX_QUERY_CHARS)).filter((t) => t.length <= MAX_TOKEN_CHARS);
  const tokens: string[] = [];
  const highlight = new Set<string>(raw);
  for (let i = 0; i < raw.length;) {
    const rule = phraseAt(raw, i);
    if (rule) {
      tokens.push(rule.acronym);
      i += rule.tokens.length;
    } else {
      tokens.push(raw[i]!);
      i += 1;
    }
  }
  const unique = [...new Set(tokens)].slice(0, MAX_QUERY_TOKENS);
  for (const t of unique) acronymPhraseTokens(t).forEach((w) => highlight.add(w));
  return { tokens: unique, highlightWords: [...highlight] };
}

/**
 * The hidden text a document is also found by: its needs' labels and synonyms, and for every
 * acronym table entry it mentions in either form, the other form. Searched at low weight.
 */
export function expansionTerms(doc: {
  name: string;
  description: string;
  organizationName: string;
  needs: string[];
}): string {
  return expansionFromTokens(
    doc.needs,
    tokenize(`${doc.name} ${doc.organizationName} ${doc.description}`),
  );
}

/** expansionTerms for a document already tokenised (name, organisation, description in order). */
export function expansionFromTokens(needs: string[], tokens: string[]): string {
  const out = new Set<string>();
  for (const code of needs) {
    const need = needInfo(code);
    if (!need) continue;
    out.add(need.label);
    need.synonyms.forEach((s) => out.add(s));
  }
  const seen = new Set(tokens);
  for (const { acronym } of ACRONYMS) {
    if (seen.has(acronym)) out.add(ACRONYM_PHRASE_TOKENS.get(acronym)!.join(" "));
  }
  for (let i = 0; i < tokens.length; i++) {
    const rule = phraseAt(tokens, i);
    if (rule) out.add(rule.acronym);
  }
  return [...out].join(" ");
}

/**
 * Meilisearch synonyms: each acronym ↔ its phrases, and each need's label ↔ its synonyms
 * (mutual, as Meilisearch wants both directions spelled out). Keys are folded.
 */
export function meiliSynonyms(): Record<string, string[]> {
  const groups: string[][] = [];
  for (const { acronym, phrases } of ACRONYMS) groups.push([acronym, ...phrases]);
  for (const need of NEEDS) groups.push([need.label, ...need.synonyms]);
  const out: Record<string, Set<string>> = {};
  for (const group of groups) {
    const members = [...new Set(group.map((g) => words(g).join(" ")).filter(Boolean))];
    for (const m of members) {
      out[m] ??= new Set();
      for (const other of members) if (other !== m) out[m]!.add(other);
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
}

/** Typos a query word may carry, as Meilisearch's defaults: 1 from 5 letters, 2 from 9. */
export function typoBudget(token: string): 0 | 1 | 2 {
  return token.length >= 9 ? 2 : token.length >= 5 ? 1 : 0;
}

// Scratch rows for damerauWithin, grown on demand.
let rows: Int32Array[] = [0, 1, 2].map(() => new Int32Array(64));

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transposition = 1 edit), or
 * max + 1 as soon as it must exceed max. "cahms" → "camhs" is 1, where plain Levenshtein says 2.
 */
export function damerauWithin(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (a === b) return 0;
  // Three reused rows: typo lookups call this for thousands of words per query.
  if (rows[0]!.length <= lb) rows = [0, 1, 2].map(() => new Int32Array(lb + 1));
  let [prev2, prev, cur] = rows as [Int32Array, Int32Array, Int32Array];
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[lb]!, max + 1);
}

/** Simple plural/singular variants looked up as near-exact matches ("groups" ↔ "group"). */
export function pluralVariants(token: string): string[] {
  if (token.length < 3 || /\d/.test(token)) return [];
  const out: string[] = [];
  if (token.endsWith("ies") && token.length > 4) out.push(`${token.slice(0, -3)}y`);
  else if (token.endsWith("s") && !token.endsWith("ss")) out.push(token.slice(0, -1));
  else out.push(`${token}s`);
  if (token.endsWith("y") && token.length > 3) out.push(`${token.slice(0, -1)}ies`);
  return out;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Private-use characters that mark highlights until the text is escaped. Stripped from input. */
export const MARK_OPEN = "\uE000";
export const MARK_CLOSE = "\uE001";
const SENTINELS = /[\uE000\uE001]/g;
export function stripSentinels(text: string): string {
  return text.replace(SENTINELS, "");
}

/** Text with sentinel-delimited matches → escaped HTML with <mark> tags. */
export function sentinelsToHtml(text: string): string {
  return escapeHtml(text).replaceAll(MARK_OPEN, "<mark>").replaceAll(MARK_CLOSE, "</mark>");
}

const SNIPPET_CHARS = 180;
const LEAD_CHARS = 50;

/**
 * A snippet of `text` around the first word in `marks` (folded words), matched words wrapped in
 * <mark>, everything else HTML-escaped. Returns null when no word matches.
 */
export function highlightText(
  text: string,
  marks: ReadonlySet<string>,
  whole = false,
): string | null {
  const found: { start: number; end: number }[] = [];
  const limit = whole ? text.length : Math.min(text.length, 20_000);
  for (const m of text.slice(0, limit).matchAll(WORD)) {
    if (marks.has(fold(m[0]))) found.push({ start: m.index, end: m.index + m[0].length });
  }
  if (found.length === 0) return null;
  let start = 0;
  let end = text.length;
  if (!whole && text.length > SNIPPET_CHARS) {
    start = Math.max(0, found[0]!.start - LEAD_CHARS);
    if (start > 0) {
      const space = text.indexOf(" ", start);
      start = space >= 0 && space < found[0]!.start ? space + 1 : start;
    }
    end = Math.min(text.length, start + SNIPPET_CHARS);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > found[0]!.end) end = space;
    }
  }
  let out = start > 0 ? "…" : "";
  let pos = start;
  for (const f of found) {
    if (f.start < start || f.end > end) continue;
    out +=
      escapeHtml(text.slice(pos, f.start)) +
      "<mark>" +
      escapeHtml(text.slice(f.start, f.end)) +
      "</mark>";
    pos = f.end;
  }
  out += escapeHtml(text.slice(pos, end));
  if (end < text.length) out += "…";
  return out;
}

/** Plain escaped opening of a text, for hits found only through hidden terms. */
export function plainSnippet(text: string): string {
  if (text.length <= SNIPPET_CHARS) return escapeHtml(text);
  const space = text.lastIndexOf(" ", SNIPPET_CHARS);
  return `${escapeHtml(text.slice(0, space > 40 ? space : SNIPPET_CHARS))}…`;
}
