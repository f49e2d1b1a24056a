// The shared vocabulary every partner subgraph, the directory and the generator use: one source.
// Needs are grounded in the UK lists in ../shared/data (DfE family hubs service categories, SEND
// primary-need codes, children-in-need codes, Supporting Families headline outcomes).

import registry from "./partners.json" with { type: "json" };
import { checkRegistry, parsePartnerManifest, type PartnerManifest } from "./partners.ts";

/** Partners, in port order, from their manifests (subgraphs/<id>/partner.json → schema/partners.json). */
const REGISTRY = checkRegistry(
  registry.map((m, i) => parsePartnerManifest(m, `schema/partners.json[${i}]`)),
);

export const PARTNERS: readonly string[] = REGISTRY.map((m) => m.id);
/** A partner id, one of PARTNERS (checked with isPartnerId where it comes from outside). */
export type PartnerId = string;

export type PartnerInfo = PartnerManifest;

export const PARTNER_INFO: Record<PartnerId, PartnerInfo> = Object.fromEntries(
  REGISTRY.map((m) => [m.id, m]),
);

/** Partners in lead-agency order: on equal coverage the first of these leads. */
export const LEAD_ORDER: readonly PartnerId[] = [...REGISTRY]
  .sort((a, b) => a.leadPriority - b.leadPriority)
  .map((m) => m.id);

export function isPartnerId(value: string): value is PartnerId {
  return (PARTNERS as readonly string[]).includes(value);
}

export interface NeedInfo {
  code: string;
  label: string;
  group: string;
  description: string;
  /** Where the need comes from in the UK code lists (for auditors and for mapping imports). */
  sources: string[];
  /** Words people type for this need; search uses them as synonyms. */
  synonyms: string[];
}

// Codes are GraphQL enum values, so UPPER_SNAKE.
export const NEEDS: NeedInfo[] = [
  need(
    "SAFEGUARDING",
    "Safeguarding and child protection",
    "Safety",
    "Children at risk of abuse or neglect; child protection and child in need support.",
    ["CIN N1", "CIN factors 16A-19A", "SF: Children safe from abuse and exploitation"],
    ["child protection", "abuse", "neglect", "social care"],
  ),
  need(
    "EXPLOITATION",
    "Exploitation and missing from home",
    "Safety",
    "Criminal and sexual exploitation, county lines, children who go missing.",
    ["SF: Children safe from abuse and exploitation"],
    ["cse", "cce", "county lines", "missing"],
  ),
  need(
    "DOMESTIC_ABUSE",
    "Domestic abuse",
    "Safety",
    "Children and parents affected by domestic abuse, including refuges.",
    ["DfE fh-cat-2-3", "SF: Safe from domestic abuse"],
    ["domestic violence", "refuge", "dv"],
  ),
  need(
    "MENTAL_HEALTH",
    "Mental health and emotional wellbeing",
    "Health",
    "Anxiety, low mood, self-harm, eating difficulties; CAMHS and early support.",
    ["DfE fh-cat-3-2", "SEND SEMH", "SF: Improved mental and physical health"],
    [
      "camhs",
      "child and adolescent mental health",
      "anxiety",
      "depression",
      "wellbeing",
      "counselling",
      "self harm",
    ],
  ),
  need(
    "BEREAVEMENT",
    "Bereavement and loss",
    "Health",
    "Support after the death of someone important.",
    ["SF: Improved mental and physical health"],
    ["grief", "loss"],
  ),
  need(
    "PHYSICAL_HEALTH",
    "Physical health",
    "Health",
    "Long-term conditions, community paediatrics, nutrition, oral health.",
    ["DfE fh-cat-3", "CIN N2"],
    ["paediatrics", "nutrition", "weight", "dental"],
  ),
  need(
    "EARLY_YEARS",
    "Early years development",
    "Early years",
    "Health visiting, early language, play and learning for under-fives.",
    ["DfE fh-cat-4", "SF: Good early years development"],
    ["health visitor", "under fives", "toddler", "baby"],
  ),
  need(
    "PERINATAL",
    "Pregnancy and perinatal support",
    "Early years",
    "Maternity, infant feeding and perinatal mental health.",
    ["DfE fh-cat-4-4", "DfE fh-cat-4-5", "DfE fh-cat-4-6"],
    ["maternity", "breastfeeding", "postnatal", "pregnancy"],
  ),
  need(
    "SPEECH_LANGUAGE",
    "Speech, language and communication",
    "SEND",
    "Speech and language therapy and communication support.",
    ["SEND SLCN", "DfE fh-cat-4-2"],
    ["slcn", "speech therapy", "salt", "communication"],
  ),
  need(
    "AUTISM",
    "Autism",
    "SEND",
    "Autism assessment, diagnosis and support.",
    ["SEND ASD", "DfE fh-cat-5-1"],
    ["asd", "autistic", "asc", "neurodevelopmental"],
  ),
  need(
    "ADHD",
    "ADHD and attention",
    "SEND",
    "Assessment and support for attention and hyperactivity difficulties.",
    ["SEND SEMH"],
    ["attention deficit", "hyperactivity", "neurodevelopmental"],
  ),
  need(
    "LEARNING_DIFFICULTY",
    "Learning difficulties",
    "SEND",
    "Specific, moderate, severe or profound and multiple learning difficulties.",
    ["SEND SPLD", "SEND MLD", "SEND SLD", "SEND PMLD", "DfE fh-cat-5-6"],
    ["dyslexia", "learning disability", "spld", "mld"],
  ),
  need(
    "SENSORY_IMPAIRMENT",
    "Hearing and vision",
    "SEND",
    "Hearing, vision and multi-sensory impairment.",
    ["SEND HI", "SEND VI", "SEND MSI", "DfE fh-cat-3-1", "DfE fh-cat-5-5"],
    ["deaf", "blind", "hearing", "sight", "visual impairment"],
  ),
  need(
    "PHYSICAL_DISABILITY",
    "Physical disability",
    "SEND",
    "Physical disability, mobility and equipment.",
    ["SEND PD", "CIN N2"],
    ["wheelchair", "mobility", "occupational therapy"],
  ),
  need(
    "SHORT_BREAKS",
    "Short breaks and respite",
    "SEND",
    "Breaks for disabled children and their carers.",
    ["DfE fh-cat-5-2"],
    ["respite", "short break"],
  ),
  need(
    "SEND_SUPPORT",
    "SEND advice and EHC plans",
    "SEND",
    "SEND information, advice, EHC needs assessments and parent carer support.",
    ["SEN provision E/K", "DfE fh-cat-5-4"],
    ["send", "ehcp", "ehc plan", "sendiass", "local offer"],
  ),
  need(
    "YOUNG_CARERS",
    "Young carers",
    "Family",
    "Support for children who care for a family member.",
    ["CIN N3"],
    ["carer", "caring"],
  ),
  need(
    "PARENTING",
    "Parenting support",
    "Family",
    "Parenting programmes and family relationships.",
    ["DfE fh-cat-2-6", "DfE fh-cat-2-7", "SF: Improved family relationships", "CIN N5"],
    ["parenting", "family relationships", "parental conflict"],
  ),
  need(
    "FAMILY_STRESS",
    "Family in acute stress",
    "Family",
    "Early help and intensive family support for families under pressure.",
    ["CIN N4", "DfE fh-cat-2-4"],
    ["early help", "family support", "team around the family"],
  ),
  need(
    "SUBSTANCE_MISUSE",
    "Substance use",
    "Family",
    "Drug and alcohol support for young people and parents.",
    ["DfE fh-cat-2-10", "SF: Better managed substance use"],
    ["drugs", "alcohol", "substance misuse"],
  ),
  need(
    "YOUTH_JUSTICE",
    "Youth justice and offending",
    "Youth",
    "Youth offending, diversion and targeted youth support.",
    ["DfE fh-cat-2-11", "DfE fh-cat-2-12", "SF: Families diverted from crime", "CIN N6"],
    ["yot", "youth offending", "crime"],
  ),
  need(
    "EDUCATION",
    "Education and attendance",
    "Education",
    "School attendance, exclusion and getting a good education.",
    ["SF: Getting a good education"],
    ["school", "attendance", "exclusion", "tuition"],
  ),
  need(
    "HOUSING",
    "Housing",
    "Money and home",
    "Homelessness and secure housing.",
    ["DfE fh-cat-2-5", "SF: Secure housing"],
    ["homeless", "accommodation"],
  ),
  need(
    "FINANCIAL_HARDSHIP",
    "Money and financial hardship",
    "Money and home",
    "Debt, benefits, food and financial stability.",
    ["DfE fh-cat-2-2", "SF: Financial stability", "CIN N7"],
    ["debt", "benefits", "food bank", "poverty"],
  ),
];

function need(
  code: string,
  label: string,
  group: string,
  description: string,
  sources: string[],
  synonyms: string[],
): NeedInfo {
  return { code, label, group, description, sources, synonyms };
}

export const NEED_CODES = NEEDS.map((n) => n.code);
const needByCode = new Map(NEEDS.map((n) => [n.code, n]));
export function needInfo(code: string): NeedInfo | undefined {
  return needByCode.get(code);
}

/** Needs that point to the SEND part of the vocabulary (used to infer a SEND profile). */
export const SEND_NEEDS = NEEDS.filter((n) => n.group === "SEND").map((n) => n.code);

export interface AgeBandInfo {
  code: string;
  label: string;
  min: number;
  max: number;
}

// Age bands follow the phases professionals use: early years, primary, secondary, post-16, SEND to 25.
export const AGE_BANDS: AgeBandInfo[] = [
  { code: "EARLY_YEARS", label: "0–4 (early years)", min: 0, max: 4 },
  { code: "PRIMARY", label: "5–11 (primary)", min: 5, max: 11 },
  { code: "SECONDARY", label: "12–15 (secondary)", min: 12, max: 15 },
  { code: "POST_16", label: "16–18 (post-16)", min: 16, max: 18 },
  { code: "YOUNG_ADULT", label: "19–25 (care leavers and SEND to 25)", min: 19, max: 25 },
];
export const AGE_BAND_CODES = AGE_BANDS.map((b) => b.code);

/** Age bands a service with the given age range overlaps. */
export function ageBandsFor(min: number | null | undefined, max: number | null | undefined) {
  const lo = min ?? 0;
  const hi = max ?? 25;
  return AGE_BANDS.filter((b) => b.max >= lo && b.min <= hi).map((b) => b.code);
}

export const REFERRAL_ROUTES = [
  { code: "SELF", label: "Self-referral by the young person" },
  { code: "PARENT", label: "Parent or carer can refer" },
  { code: "PROFESSIONAL", label: "Any professional can refer" },
  { code: "GP", label: "GP referral" },
  { code: "SCHOOL", label: "School or setting referral" },
  { code: "SOCIAL_WORKER", label: "Social worker referral" },
] as const;
export const REFERRAL_ROUTE_CODES = REFERRAL_ROUTES.map((r) => r.code);

export const SERVICE_STATUSES = ["ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE", "DEFUNCT"] as const;
export type ServiceStatusCode = (typeof SERVICE_STATUSES)[number];
/** HSDS 3.0 status strings, plus the UK "temporarily closed" that HSDS lacks. */
export const HSDS_STATUS: Record<string, ServiceStatusCode> = {
  active: "ACTIVE",
  temporarily_closed: "TEMPORARILY_CLOSED",
  inactive: "INACTIVE",
  defunct: "DEFUNCT",
};

export const DELIVERY_MODES = ["IN_PERSON", "ONLINE", "TELEPHONE", "HOME_VISIT"] as const;
/** Delivery modes that need no journey: a travel limit does not apply to services offering one. */
export const TRAVEL_FREE_DELIVERY_MODES: readonly string[] = ["ONLINE", "TELEPHONE", "HOME_VISIT"];

export const CONTINUUM_OF_NEED = [
  { level: 1, label: "Universal", description: "Needs met by universal services." },
  {
    level: 2,
    label: "Additional / early help",
    description: "Additional needs met by a single agency.",
  },
  {
    level: 3,
    label: "Targeted / integrated",
    description:
      "Multiple needs: multi-agency early help with a lead practitioner (Team Around the Family).",
  },
  {
    level: 4,
    label: "Specialist / statutory",
    description:
      "Acute or complex needs: statutory or specialist services (child protection, specialist CAMHS).",
  },
];

export interface OutwardCode {
  code: string;
  lat: number;
  lng: number;
}

/**
 * The areas the dataset generator (and the synthetic benchmark data) writes services for, with the
 * outward codes it places locations in. Every UK authority, for routing and lookups, is in
 * schema/areas.ts.
 */
export interface LocalAuthorityInfo {
  /** ONS GSS code, as HSDS service_area and ORUK feeds publish it. */
  code: string;
  name: string;
  region: string;
  lat: number;
  lng: number;
  /** Outward codes (with approximate centroids) the generator places locations in. */
  outwardCodes: OutwardCode[];
}

export const LOCAL_AUTHORITIES: LocalAuthorityInfo[] = [
  {
    code: "W06000022",
    name: "Newport",
    region: "Wales",
    lat: 51.5842,
    lng: -2.9977,
    outwardCodes: [
      { code: "NP10", lat: 51.5712, lng: -3.0571 },
      { code: "NP18", lat: 51.6092, lng: -2.9374 },
      { code: "NP19", lat: 51.5925, lng: -2.9636 },
      { code: "NP20", lat: 51.5836, lng: -3.0105 },
    ],
  },
  {
    code: "E10000020",
    name: "Norfolk",
    region: "East of England",
    lat: 52.6309,
    lng: 1.2974,
    outwardCodes: [
      { code: "NR1", lat: 52.6234, lng: 1.3054 },
      { code: "NR2", lat: 52.6322, lng: 1.2816 },
      { code: "NR3", lat: 52.6441, lng: 1.2929 },
      { code: "NR5", lat: 52.6343, lng: 1.2237 },
      { code: "NR30", lat: 52.6086, lng: 1.7298 },
      { code: "PE30", lat: 52.7544, lng: 0.4065 },
    ],
  },
  {
    code: "E06000023",
    name: "Bristol",
    region: "South West",
    lat: 51.4545,
    lng: -2.5879,
    outwardCodes: [
      { code: "BS1", lat: 51.453, lng: -2.593 },
      { code: "BS2", lat: 51.462, lng: -2.578 },
      { code: "BS3", lat: 51.44, lng: -2.602 },
      { code: "BS5", lat: 51.464, lng: -2.556 },
      { code: "BS13", lat: 51.412, lng: -2.62 },
    ],
  },
];
