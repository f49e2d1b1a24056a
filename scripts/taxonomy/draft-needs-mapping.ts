// Drafts schema/taxonomy-needs.csv, the reviewable map from the vocabularies councils tag services
// with to Wayfinder's needs. DfE family hubs categories are mapped by hand below; esd service types
// and OpenActive activities by whole-word keywords (need labels and synonyms), recorded in the
// `why` column so a reviewer can strike a bad match. Re-run after changing the keywords:
//   npx tsx scripts/taxonomy/draft-needs-mapping.ts ../shared/data
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { NEEDS } from "../../schema/vocabulary.ts";

const data = path.resolve(process.argv[2] ?? "../shared/data");
const out = path.resolve(import.meta.dirname, "../../schema/taxonomy-needs.csv");

// DfE "Find support for your family" service categories (DFE-Digital/fh-services seed data).
const DFE: Record<string, string[]> = {
  "fh-cat-2": ["FAMILY_STRESS"],
  "fh-cat-1-5": ["EARLY_YEARS"],
  "fh-cat-1-6": ["EARLY_YEARS"],
  "fh-cat-2-1": ["MENTAL_HEALTH"],
  "fh-cat-2-2": ["FINANCIAL_HARDSHIP"],
  "fh-cat-2-3": ["DOMESTIC_ABUSE"],
  "fh-cat-2-4": ["FAMILY_STRESS"],
  "fh-cat-2-5": ["FINANCIAL_HARDSHIP", "HOUSING"],
  "fh-cat-2-6": ["PARENTING"],
  "fh-cat-2-7": ["PARENTING"],
  "fh-cat-2-8": ["PARENTING"],
  "fh-cat-2-9": ["PHYSICAL_HEALTH"],
  "fh-cat-2-10": ["SUBSTANCE_MISUSE"],
  "fh-cat-2-11": ["YOUTH_JUSTICE"],
  "fh-cat-2-12": ["YOUTH_JUSTICE"],
  "fh-cat-3": ["PHYSICAL_HEALTH"],
  "fh-cat-3-1": ["SENSORY_IMPAIRMENT"],
  "fh-cat-3-2": ["MENTAL_HEALTH"],
  "fh-cat-3-3": ["PHYSICAL_HEALTH"],
  "fh-cat-3-4": ["PHYSICAL_HEALTH"],
  "fh-cat-3-5": ["PHYSICAL_HEALTH"],
  "fh-cat-4": ["EARLY_YEARS"],
  "fh-cat-4-2": ["EARLY_YEARS", "SPEECH_LANGUAGE"],
  "fh-cat-4-3": ["EARLY_YEARS"],
  "fh-cat-4-4": ["PERINATAL"],
  "fh-cat-4-5": ["PERINATAL"],
  "fh-cat-4-6": ["PERINATAL", "MENTAL_HEALTH"],
  "fh-cat-5": ["SEND_SUPPORT"],
  "fh-cat-5-1": ["AUTISM"],
  "fh-cat-5-2": ["SHORT_BREAKS"],
  "fh-cat-5-3": ["SEND_SUPPORT", "EARLY_YEARS"],
  "fh-cat-5-4": ["SEND_SUPPORT"],
  "fh-cat-5-5": ["SENSORY_IMPAIRMENT"],
  "fh-cat-5-6": ["LEARNING_DIFFICULTY"],
  "fh-cat-5-7": ["SENSORY_IMPAIRMENT"],
  "fh-cat-5-8": ["SEND_SUPPORT"],
  "fh-cat-5-9": ["PHYSICAL_DISABILITY"],
  "fh-cat-5-10": ["MENTAL_HEALTH"],
  "fh-cat-5-11": ["SPEECH_LANGUAGE"],
  "fh-cat-5-12": ["SENSORY_IMPAIRMENT"],
};

// Keywords per need, matched as whole words in the term's label, case-insensitively. The needs'
// own synonyms are too loose here ("school", "weight", "adoption" would catch road adoption).
const EXTRA: Record<string, string[]> = {
  SAFEGUARDING: [
    "child protection",
    "safeguarding",
    "children in need",
    "looked after children",
    "fostering",
    "child adoption",
    "adoption support",
    "care leavers",
  ],
  EXPLOITATION: ["exploitation", "missing children", "trafficking"],
  DOMESTIC_ABUSE: ["domestic abuse", "domestic violence", "refuge", "refuges"],
  MENTAL_HEALTH: ["mental health", "counselling", "emotional wellbeing", "self harm", "bullying"],
  BEREAVEMENT: ["bereavement"],
  PHYSICAL_HEALTH: [
    "stop smoking",
    "smoking cessation",
    "sexual health",
    "healthy eating",
    "immunisation",
    "school nursing",
  ],
  EARLY_YEARS: [
    "childcare",
    "nursery",
    "nurseries",
    "children's centres",
    "sure start",
    "playgroups",
    "early years",
    "toddler",
  ],
  PERINATAL: ["breastfeeding", "maternity", "pregnancy", "midwife"],
  SPEECH_LANGUAGE: ["speech and language"],
  AUTISM: ["autism", "autistic"],
  LEARNING_DIFFICULTY: [
    "learning disabilities",
    "learning disability",
    "learning difficulties",
    "dyslexia",
  ],
  SENSORY_IMPAIRMENT: [
    "deaf",
    "blind",
    "hearing impairment",
    "visual impairment",
    "sensory impairment",
  ],
  PHYSICAL_DISABILITY: [
    "disabled children",
    "disability",
    "disabilities",
    "wheelchair",
    "occupational therapy",
    "disabled facilities",
  ],
  SHORT_BREAKS: ["short breaks", "respite"],
  SEND_SUPPORT: [
    "special educational needs",
    "sen",
    "send",
    "education health and care",
    "local offer",
  ],
  YOUNG_CARERS: ["young carers"],
  PARENTING: ["parenting", "family mediation", "relationship support"],
  FAMILY_STRESS: ["early help", "family support", "troubled families", "family intervention"],
  SUBSTANCE_MISUSE: ["drug", "drugs", "alcohol", "substance misuse"],
  YOUTH_JUSTICE: [
    "youth offending",
    "youth justice",
    "youth service",
    "youth services",
    "youth clubs",
  ],
  EDUCATION: [
    "school attendance",
    "exclusions",
    "education welfare",
    "home schooling",
    "school admissions",
    "free school meals",
    "school transport",
    "pupil",
  ],
  HOUSING: [
    "homelessness",
    "homeless",
    "housing advice",
    "housing register",
    "temporary accommodation",
  ],
  FINANCIAL_HARDSHIP: [
    "debt",
    "benefits",
    "welfare rights",
    "food bank",
    "food banks",
    "council tax reduction",
    "crisis loans",
    "hardship",
    "clothing grants",
  ],
};
const keywords = NEEDS.map((n) => ({
  code: n.code,
  words: EXTRA[n.code] ?? [],
}));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// esd also lists what councils regulate and run internally (licences, registrations, staff
// policies): none of that is a service a family uses.
const NOT_A_FAMILY_SERVICE =
  /\b(licen[cs]e|registration|inspections?|enforcement|insurance|strategy|plan|sufficiency|approval|policy|grants?|adults)\b|^Staff -/i;
function match(label: string): { needs: string[]; why: string } {
  if (NOT_A_FAMILY_SERVICE.test(label)) return { needs: [], why: "" };
  const hits = keywords
    .map((k) => ({
      code: k.code,
      word: k.words.find((w) => new RegExp(`\\b${escape(w)}\\b`, "i").test(label)),
    }))
    .filter((h) => h.word);
  return { needs: hits.map((h) => h.code), why: hits.map((h) => `keyword "${h.word}"`).join("; ") };
}

// Keyword matches struck or corrected in review (esd id → needs and why).
const ESD_REVIEWED: Record<string, { needs: string[]; why: string }> = {
  "15": {
    needs: [],
    why: 'reviewed by hand: records administration, not help for a need (drafted EDUCATION from "pupil")',
  },
  "651": {
    needs: ["FINANCIAL_HARDSHIP"],
    why: 'reviewed by hand: money advice; "counselling" here is not MENTAL_HEALTH',
  },
  "1281": {
    needs: ["EDUCATION"],
    why: 'reviewed by hand: employment and training for care leavers, not protection (drafted SAFEGUARDING from "looked after children")',
  },
};
const DFE_WHY: Record<string, string> = {
  "fh-cat-2":
    "reviewed by hand: the parent category of family support (was left without a need as if it were an activity)",
};

const rows: string[][] = [["taxonomy", "code", "label", "uri", "needs", "why"]];
const dfe = JSON.parse(
  readFileSync(path.join(data, "dfe-family-hubs-service-categories.json"), "utf8"),
);
for (const parent of dfe.taxonomy as {
  id: string;
  name: string;
  children?: { id: string; name: string }[];
}[])
  for (const t of [parent, ...(parent.children ?? [])])
    rows.push([
      "DfE family hubs service categories",
      t.id,
      t.name,
      "",
      (DFE[t.id] ?? []).join(" "),
      DFE_WHY[t.id] ??
        (DFE[t.id]
          ? "reviewed by hand"
          : "no Wayfinder need (activities, transport, registration)"),
    ]);

const esd = parse(readFileSync(path.join(data, "uk-areas/esd-services-2015.csv"), "utf8"), {
  columns: true,
}) as Record<string, string>[];
for (const s of esd) {
  const m = ESD_REVIEWED[s.id] ?? match(s.label);
  if (m.needs.length || ESD_REVIEWED[s.id])
    rows.push(["esdServiceTypes", s.id, s.label, s.uri, m.needs.join(" "), m.why]);
}
const oa = parse(readFileSync(path.join(data, "uk-areas/openactive-activity-list.csv"), "utf8"), {
  columns: true,
}) as Record<string, string>[];
for (const a of oa) {
  const m = match(`${a.pref_label} ${a.alt_labels}`);
  if (m.needs.length)
    rows.push([
      "OpenActive activity list",
      a.identifier,
      a.pref_label,
      a.uri,
      m.needs.join(" "),
      m.why,
    ]);
}
// The HSDS 3.0 / ORUK examples tag their one service ("Community Counselling") with a placeholder
// term; mapping it lets the official examples route end to end.
rows.push([
  "taxonomy",
  "3f7b145d-84af-42d7-8fae-eaca714b02b2",
  "name",
  "http://example.com",
  "MENTAL_HEALTH",
  "HSDS examples' placeholder term on Community Counselling",
]);

const csv = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
writeFileSync(out, rows.map((r) => r.map(csv).join(",")).join("\n") + "\n");
console.log(`wrote ${rows.length - 1} rows to ${out}`);
