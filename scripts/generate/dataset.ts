// Deterministic synthetic directory data for the three partners: same options → byte-identical
// files. Content is invented but shaped like real UK children's services (council family hubs and
// early help, charity young carers and refuges, NHS health visiting and CAMHS) across Newport,
// Norfolk and Bristol, with deliberate gaps that the gap-analysis features must find.
//
// Phone numbers are from Ofcom's ranges reserved for drama (never allocated); web and email
// domains end in .example (RFC 2606), so nothing here reaches a real person.
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { mkdir } from "node:fs/promises";
import {
  LOCAL_AUTHORITIES,
  NEEDS,
  PARTNERS,
  type LocalAuthorityInfo,
  type PartnerId,
} from "../../schema/vocabulary.ts";
import type {
  HsdsBundle,
  HsdsContact,
  HsdsCostOption,
  HsdsLanguage,
  HsdsLocation,
  HsdsOrganization,
  HsdsSchedule,
  HsdsService,
  WayfinderCoDelivery,
} from "../../subgraphs/kit/hsds/format.ts";

export interface GenerateOptions {
  /** Total services across the three partners (split 40% council, 35% charity, 25% health). */
  services?: number;
  seed?: number;
  /** "Today" for contract end dates and capacity timestamps, YYYY-MM-DD. */
  today?: string;
}

export const DEFAULT_SERVICES = 300;
export const DEFAULT_SEED = 1;
export const DEFAULT_TODAY = "2026-11-22";
/** Fewest services that still hold every pinned gap service. */
export const MIN_SERVICES = 10;

const PARTNER_SHARE: Record<PartnerId, number> = { council: 0.4, charity: 0.35, health: 0.25 };

// ---------------------------------------------------------------------------------------------
// Deliberate gaps

const NEWPORT = "W06000022";
const NORFOLK = "E10000020";
const BRISTOL = "E06000023";

export type GapKind =
  | "no_service"
  | "no_service_for_ages"
  | "only_provider_not_accepting"
  | "only_provider_contract_ending"
  | "only_provider_limited_languages";

export interface DeliberateGap {
  id: string;
  kind: GapKind;
  /** GSS code of the local authority (a service covers it when one of its service_areas names it). */
  localAuthority: string;
  need: string;
  /** no_service_for_ages: no service covering the authority for this need overlaps these ages. */
  ages?: { min: number; max: number };
  /** only_provider_contract_ending: the contract ends within this many days of "today". */
  withinDays?: number;
  /** only_provider_limited_languages: the only provider's languages (ISO 639-1 codes). */
  languages?: string[];
  description: string;
}

/**
 * Holes the generated directory must have at any size, so the gap reports have something true to
 * find. Every other service is generated around them: needs are stripped, ages capped, templates
 * skipped where they would fill a gap.
 */
export const DELIBERATE_GAPS: readonly DeliberateGap[] = [
  {
    id: "newport-no-adhd",
    kind: "no_service",
    localAuthority: NEWPORT,
    need: "ADHD",
    description: "No ADHD service covers Newport (Norfolk and Bristol have ADHD clinics).",
  },
  {
    id: "norfolk-no-post16-speech",
    kind: "no_service_for_ages",
    localAuthority: NORFOLK,
    need: "SPEECH_LANGUAGE",
    ages: { min: 16, max: 18 },
    description: "Norfolk speech and language services stop at 15: nothing for 16–18 year olds.",
  },
  {
    id: "bristol-short-breaks-closed",
    kind: "only_provider_not_accepting",
    localAuthority: BRISTOL,
    need: "SHORT_BREAKS",
    description: "Bristol's only short breaks service is not accepting referrals.",
  },
  {
    id: "newport-substance-contract-ending",
    kind: "only_provider_contract_ending",
    localAuthority: NEWPORT,
    need: "SUBSTANCE_MISUSE",
    withinDays: 92,
    description:
      "Newport's only young people's substance use service has a contract ending within 3 months.",
  },
  {
    id: "newport-bereavement-welsh-english",
    kind: "only_provider_limited_languages",
    localAuthority: NEWPORT,
    need: "BEREAVEMENT",
    languages: ["cy", "en"],
    description: "Newport's only children's bereavement service works in Welsh and English only.",
  },
];

/** Needs no generated service may have where it covers the authority (pinned gap services excepted). */
const STRIP: Record<string, string[]> = {
  [NEWPORT]: ["ADHD", "SUBSTANCE_MISUSE", "BEREAVEMENT"],
  [BRISTOL]: ["SHORT_BREAKS"],
};
/** Needs whose services in the authority must end below an age. */
const AGE_CAPS = [{ la: NORFOLK, need: "SPEECH_LANGUAGE", maxAge: 15 }];

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** cyrb128 (bryc, public domain): a 128-bit string hash, for seeds and ids. */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

/** A v4-shaped UUID derived from its parts: stable across runs, distinct across seeds. */
export function stableUuid(...parts: (string | number)[]): string {
  const [a, b, c, d] = cyrb128(parts.join("|"));
  const b2 = (b & 0xffff0fff) | 0x00004000;
  const c2 = ((c & 0x3fffffff) | 0x80000000) >>> 0;
  return `${hex(a, 8)}-${hex(b2 >>> 16, 4)}-${hex(b2 & 0xffff, 4)}-${hex(c2 >>> 16, 4)}-${hex(c2 & 0xffff, 4)}${hex(d, 8)}`;
}

class Rng {
  private state: number;
  constructor(...parts: (string | number)[]) {
    this.state = cyrb128(parts.join("|"))[0];
  }
  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), 1 | t);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  weighted<T>(items: readonly T[], weight: (t: T) => number): T {
    const total = items.reduce((s, t) => s + weight(t), 0);
    let r = this.next() * total;
    for (const t of items) {
      r -= weight(t);
      if (r < 0) return t;
    }
    return items[items.length - 1];
  }
}

// ---------------------------------------------------------------------------------------------
// Dates

function parseDay(day: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== day)
    throw new RangeError(`today must be a date YYYY-MM-DD (got "${day}")`);
  return t;
}

const DAY_MS = 86_400_000;
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10);

/** The last day of the month `days` after today: contracts end at month ends. */
function monthEndAfter(today: number, days: number): string {
  const d = new Date(today + days * DAY_MS);
  return isoDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
}

// ---------------------------------------------------------------------------------------------
// Places

interface Town {
  outward: string;
  /** Postal town on addresses. */
  town: string;
  /** Area name services are organised by ("Norwich", "Bristol South"). */
  district: string;
  localities: string[];
  streets: string[];
}

interface Area {
  la: LocalAuthorityInfo;
  towns: Town[];
  /** Relative weight when placing a service (roughly population). */
  weight: number;
  phone: (r: Rng) => string;
  england: boolean;
}

const laInfo = (code: string) => {
  const la = LOCAL_AUTHORITIES.find((l) => l.code === code);
  if (!la) throw new Error(`schema/vocabulary.ts has no local authority ${code}`);
  return la;
};

const three = (r: Rng) => String(r.int(0, 999)).padStart(3, "0");

const AREAS: Area[] = [
  {
    la: laInfo(NEWPORT),
    weight: 0.2,
    england: false,
    // 029 2018 0000–0999: Ofcom drama range for Cardiff, the nearest to Newport.
    phone: (r) => `029 2018 0${three(r)}`,
    towns: [
      {
        outward: "NP10",
        town: "Newport",
        district: "Newport West",
        localities: ["Rogerstone", "Marshfield", "Duffryn"],
        streets: ["Cefn Road", "Tregwilym Road", "Castleton Road", "Lighthouse Road"],
      },
      {
        outward: "NP18",
        town: "Newport",
        district: "Newport East",
        localities: ["Caerleon", "Langstone"],
        streets: ["High Street", "Backhall Street", "Chepstow Road", "Station Road"],
      },
      {
        outward: "NP19",
        town: "Newport",
        district: "Newport East",
        localities: ["Maindee", "Lliswerry", "Alway", "Ringland"],
        streets: ["Chepstow Road", "Corporation Road", "Somerton Road", "Aberthaw Road"],
      },
      {
        outward: "NP20",
        town: "Newport",
        district: "Newport Central",
        localities: ["Pill", "Stow Hill", "Bettws", "Gaer"],
        streets: ["Commercial Road", "Dock Street", "Stow Hill", "Bettws Lane", "Cardiff Road"],
      },
    ],
  },
  {
    la: laInfo(NORFOLK),
    weight: 0.5,
    england: true,
    // 01632 960000–960999: Ofcom drama range with no real area.
    phone: (r) => `01632 960${three(r)}`,
    towns: [
      {
        outward: "NR1",
        town: "Norwich",
        district: "Norwich",
        localities: ["Lakenham", "Thorpe Hamlet"],
        streets: ["Hall Road", "Thorpe Road", "King Street", "Ber Street"],
      },
      {
        outward: "NR2",
        town: "Norwich",
        district: "Norwich",
        localities: ["Norwich City Centre", "Heigham"],
        streets: ["St Giles Street", "Dereham Road", "Earlham Road", "Unthank Road"],
      },
      {
        outward: "NR3",
        town: "Norwich",
        district: "Norwich",
        localities: ["Mile Cross", "Catton Grove"],
        streets: ["Aylsham Road", "Mile Cross Road", "Catton Grove Road", "Waterloo Road"],
      },
      {
        outward: "NR5",
        town: "Norwich",
        district: "Norwich",
        localities: ["Bowthorpe", "Costessey"],
        streets: ["Bowthorpe Road", "Dereham Road", "Longwater Lane", "Chapel Break Road"],
      },
      {
        outward: "NR30",
        town: "Great Yarmouth",
        district: "Great Yarmouth",
        localities: ["Great Yarmouth", "Southtown", "Cobholm"],
        streets: ["King Street", "Northgate Street", "Southtown Road", "Nelson Road Central"],
      },
      {
        outward: "PE30",
        town: "King's Lynn",
        district: "King's Lynn",
        localities: ["King's Lynn", "Gaywood", "North Lynn"],
        streets: ["London Road", "Gaywood Road", "Loke Road", "Tuesday Market Place"],
      },
    ],
  },
  {
    la: laInfo(BRISTOL),
    weight: 0.3,
    england: true,
    // 0117 496 0000–0999: Ofcom drama range for Bristol.
    phone: (r) => `0117 496 0${three(r)}`,
    towns: [
      {
        outward: "BS1",
        town: "Bristol",
        district: "Bristol Central",
        localities: ["City Centre", "Redcliffe"],
        streets: ["Broad Quay", "Redcliffe Way", "Old Market Street", "Colston Avenue"],
      },
      {
        outward: "BS2",
        town: "Bristol",
        district: "Bristol Central",
        localities: ["St Pauls", "Kingsdown"],
        streets: ["Grosvenor Road", "City Road", "Ashley Road", "Kingsdown Parade"],
      },
      {
        outward: "BS3",
        town: "Bristol",
        district: "Bristol South",
        localities: ["Bedminster", "Southville", "Windmill Hill"],
        streets: ["East Street", "North Street", "Cannon Street", "Dean Lane"],
      },
      {
        outward: "BS5",
        town: "Bristol",
        district: "Bristol East",
        localities: ["Easton", "Lawrence Hill", "St George"],
        streets: ["Stapleton Road", "Church Road", "Easton Road", "Beaufort Road"],
      },
      {
        outward: "BS13",
        town: "Bristol",
        district: "Bristol South",
        localities: ["Hartcliffe", "Withywood"],
        streets: ["Hareclive Road", "Gatehouse Avenue", "Queens Road", "Bishport Avenue"],
      },
    ],
  },
];
const areaByCode = new Map(AREAS.map((a) => [a.la.code, a]));

const FREEPHONE = (r: Rng) => `0808 157 0${three(r)}`; // Ofcom drama freephone range
const MOBILE = (r: Rng) => `07700 900${three(r)}`; // Ofcom drama mobile range
const INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"; // letters Royal Mail uses in inward codes

// ---------------------------------------------------------------------------------------------
// Organizations

interface OrgDef {
  key: string;
  partner: PartnerId;
  name: string;
  description: string;
  domain: string;
  legal_status: string;
  charity_number?: string;
}

const ORGS: OrgDef[] = [
  {
    key: "council-newport",
    partner: "council",
    name: "Newport City Council",
    description:
      "Newport's unitary authority: children's services, education, early help and Flying Start.",
    domain: "newport-council.example",
    legal_status: "Local authority",
  },
  {
    key: "council-norfolk",
    partner: "council",
    name: "Norfolk County Council",
    description: "Norfolk's county council: children's services, early help, SEND and family hubs.",
    domain: "norfolk-council.example",
    legal_status: "Local authority",
  },
  {
    key: "council-bristol",
    partner: "council",
    name: "Bristol City Council",
    description:
      "Bristol's unitary authority: children and families services, family hubs and SEND.",
    domain: "bristol-council.example",
    legal_status: "Local authority",
  },

  {
    key: "barnardos",
    partner: "charity",
    name: "Barnardo's",
    description:
      "National children's charity working with young carers and children at risk of exploitation.",
    domain: "barnardos.example",
    legal_status: "Registered charity",
  },
  {
    key: "afc",
    partner: "charity",
    name: "Action for Children",
    description:
      "National charity delivering family support, including in partnership with councils.",
    domain: "actionforchildren.example",
    legal_status: "Registered charity",
  },
  {
    key: "safehaven",
    partner: "charity",
    name: "Safe Haven Women's Aid",
    description: "Refuges and community support for women and children affected by domestic abuse.",
    domain: "safehaven-wa.example",
    legal_status: "Registered charity",
    charity_number: "1190421",
  },
  {
    key: "talkwell",
    partner: "charity",
    name: "Talkwell",
    description: "Free, anonymous online counselling and peer support for young people.",
    domain: "talkwell.example",
    legal_status: "Registered charity",
    charity_number: "1187733",
  },
  {
    key: "forgetmenot",
    partner: "charity",
    name: "Forget-me-not Children's Bereavement",
    description: "Support for children and young people after someone important has died.",
    domain: "forgetmenot-cb.example",
    legal_status: "Registered charity",
    charity_number: "1176020",
  },
  {
    key: "pcn",
    partner: "charity",
    name: "Parent Carer Network",
    description:
      "Parent-led forums for families of children with special educational needs and disabilities.",
    domain: "parentcarernetwork.example",
    legal_status: "Charitable incorporated organisation",
    charity_number: "1169845",
  },
  {
    key: "spectrum",
    partner: "charity",
    name: "Spectrum Families",
    description: "Peer support groups for autistic children and their families.",
    domain: "spectrumfamilies.example",
    legal_status: "Registered charity",
    charity_number: "1182256",
  },
  {
    key: "opendoor",
    partner: "charity",
    name: "Open Door Youth Counselling",
    description: "Face-to-face counselling for young people aged 11 to 25.",
    domain: "opendoor-youth.example",
    legal_status: "Registered charity",
    charity_number: "1158812",
  },
  {
    key: "switch",
    partner: "charity",
    name: "Switch Young People's Service",
    description: "Drug and alcohol support for young people, commissioned by councils.",
    domain: "switch-yp.example",
    legal_status: "Registered charity",
    charity_number: "1171409",
  },
  {
    key: "moneywise",
    partner: "charity",
    name: "Moneywise Families",
    description: "Free debt, benefits and housing advice for families.",
    domain: "moneywise-families.example",
    legal_status: "Registered charity",
    charity_number: "1164530",
  },
  {
    key: "larder",
    partner: "charity",
    name: "Community Larder Network",
    description: "Low-cost community food shops run by volunteers.",
    domain: "communitylarder.example",
    legal_status: "Charitable incorporated organisation",
    charity_number: "1193307",
  },
  {
    key: "deaf",
    partner: "charity",
    name: "Deaf Children Together",
    description: "Family support and BSL groups for deaf children.",
    domain: "deafchildrentogether.example",
    legal_status: "Registered charity",
    charity_number: "1161178",
  },
  {
    key: "brightminds",
    partner: "charity",
    name: "Bright Minds Learning Support",
    description: "Dyslexia screening and specialist tutoring.",
    domain: "brightminds-learning.example",
    legal_status: "Community interest company",
  },
  {
    key: "bump",
    partner: "charity",
    name: "Bump to Baby",
    description: "Peer support for parents from pregnancy to their baby's first birthday.",
    domain: "bumptobaby.example",
    legal_status: "Registered charity",
    charity_number: "1185561",
  },
  {
    key: "cwtch",
    partner: "charity",
    name: "Cwtch Cymru Children's Charity",
    description: "Welsh-medium early years and family support in south-east Wales.",
    domain: "cwtchcymru.example",
    legal_status: "Registered charity",
    charity_number: "1179934",
  },

  {
    key: "abuhb",
    partner: "health",
    name: "Aneurin Bevan University Health Board",
    description:
      "NHS health board for Gwent, including Newport's children's community and mental health services.",
    domain: "abuhb-nhs.example",
    legal_status: "NHS health board",
  },
  {
    key: "nchc",
    partner: "health",
    name: "Norfolk Community Health and Care NHS Trust",
    description: "Community health services for children and families across Norfolk.",
    domain: "nchc-nhs.example",
    legal_status: "NHS trust",
  },
  {
    key: "nsft",
    partner: "health",
    name: "Norfolk and Suffolk NHS Foundation Trust",
    description: "Mental health services, including CAMHS, for Norfolk.",
    domain: "nsft-nhs.example",
    legal_status: "NHS foundation trust",
  },
  {
    key: "sirona",
    partner: "health",
    name: "Sirona care & health",
    description: "Community children's health services for Bristol.",
    domain: "sirona-ch.example",
    legal_status: "Community interest company",
  },
  {
    key: "awp",
    partner: "health",
    name: "Avon and Wiltshire Mental Health Partnership NHS Trust",
    description: "Mental health services, including CAMHS, for Bristol.",
    domain: "awp-nhs.example",
    legal_status: "NHS trust",
  },
];

const COUNCIL_ORG: Record<string, string> = {
  [NEWPORT]: "council-newport",
  [NORFOLK]: "council-norfolk",
  [BRISTOL]: "council-bristol",
};
const COMMUNITY_HEALTH: Record<string, string> = {
  [NEWPORT]: "abuhb",
  [NORFOLK]: "nchc",
  [BRISTOL]: "sirona",
};
const MENTAL_HEALTH_TRUST: Record<string, string> = {
  [NEWPORT]: "abuhb",
  [NORFOLK]: "nsft",
  [BRISTOL]: "awp",
};
const ICB: Record<string, string> = {
  [NEWPORT]: "Aneurin Bevan University Health Board",
  [NORFOLK]: "NHS Norfolk and Waveney Integrated Care Board",
  [BRISTOL]: "NHS Bristol, North Somerset and South Gloucestershire Integrated Care Board",
};
const councilName = (la: string) => ORGS.find((o) => o.key === COUNCIL_ORG[la])!.name;

// ---------------------------------------------------------------------------------------------
// DfE family hubs service categories, used as taxonomy attributes.
// Source: DFE-Digital/fh-services OrganisationSeedData.cs (MIT, Crown Copyright, DfE).

const FH_TAXONOMY = "DfE family hubs service categories";

/** HSDS ids are UUIDs: a term's is derived from its category code (UUID v5 layout, SHA-1). */
function termId(code: string): string {
  const h = createHash("sha1").update(`wayfinder:${FH_TAXONOMY}:${code}`).digest("hex");
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const FH_CATEGORIES: Record<string, string> = {
  "fh-cat-2-2": "Debt and welfare advice",
  "fh-cat-2-3": "Domestic abuse",
  "fh-cat-2-4": "Intensive targeted family support",
  "fh-cat-2-5": "Money, benefits and housing",
  "fh-cat-2-6": "Parenting support",
  "fh-cat-2-7": "Reducing parental conflict",
  "fh-cat-2-10": "Substance misuse (including alcohol and drug)",
  "fh-cat-2-11": "Targeted youth support",
  "fh-cat-2-12": "Youth justice services",
  "fh-cat-3": "Health",
  "fh-cat-3-1": "Hearing and sight",
  "fh-cat-3-2": "Mental health, social and emotional support",
  "fh-cat-4": "Pregnancy, birth and early years",
  "fh-cat-4-2": "Early years language and learning",
  "fh-cat-4-4": "Infant feeding support (including breastfeeding)",
  "fh-cat-4-5": "Midwife and maternity",
  "fh-cat-4-6": "Perinatal mental health support (pregnancy to one year post birth)",
  "fh-cat-5-1": "Autistic Spectrum Disorder (ASD)",
  "fh-cat-5-2": "Breaks and respite",
  "fh-cat-5-4": "Groups for parents and carers of children with SEND",
  "fh-cat-5-5": "Hearing impairment",
  "fh-cat-5-6": "Learning difficulties and disabilities",
};

/** The first DfE category each need's sources name, if any. */
const NEED_CATEGORY = new Map<string, string>();
for (const n of NEEDS) {
  for (const s of n.sources) {
    const m = /^DfE (fh-cat-[\d-]+)$/.exec(s);
    if (m && FH_CATEGORIES[m[1]]) {
      NEED_CATEGORY.set(n.code, m[1]);
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Service templates

type Mode = "IN_PERSON" | "ONLINE" | "TELEPHONE" | "HOME_VISIT";
type Route = "SELF" | "PARENT" | "PROFESSIONAL" | "GP" | "SCHOOL" | "SOCIAL_WORKER";
type Scope = "locality" | "district" | "la" | "all";
type Venue = "hub" | "office" | "clinic" | "community" | "youth" | "refuge" | "school";
type ScheduleKind =
  "office" | "hub" | "evening" | "session" | "monthly" | "24x7" | "online" | "clinic" | "dropin";
type CostKind =
  "free" | "larder" | "holiday" | "counselling" | "dyslexia" | "cylch" | "shortbreaks";

interface NameCtx {
  la: string;
  place: string;
  /** The town the service is in ("Norwich" for Mile Cross). */
  town: string;
  needs: string[];
}

/** "Mile Cross" in Norwich; a bare "City Centre" takes its town's name ("Bristol City Centre"). */
const localName = (c: NameCtx) => (c.place === "City Centre" ? `${c.town} City Centre` : c.place);
/** "Mile Cross, Norwich"; just "Great Yarmouth" where the place is the town. */
const placeInTown = (c: NameCtx) => {
  const local = localName(c);
  return local.includes(c.town) ? local : `${local}, ${c.town}`;
};

interface Template {
  key: string;
  partner: PartnerId;
  org: (la: string) => string;
  name: (c: NameCtx) => string;
  description: (c: NameCtx) => string;
  /** Primary need first; a service gets the primary and a random few of the rest. */
  needs: string[];
  ages: [number, number];
  modes: Mode[];
  routes: Route[];
  /** Relative frequency among the partner's services; 0 = only ever pinned. */
  weight: number;
  /** What the service is named after and where it sits: a locality, a district, the LA, or all LAs. */
  scope: Scope;
  venue: Venue | null;
  schedule: ScheduleKind;
  wait: [number, number];
  /** Chance it is accepting referrals. */
  accepting?: number;
  cost?: CostKind;
  contracted: boolean;
  funder: (la: string) => string;
  referralNotes?: string;
  /** Chance of a professionals-only contact line. */
  proLine?: number;
  bsl?: boolean;
  las?: string[];
  coDeliver?: { org: string; role: string; chance: number };
  extraLanguages?: string[];
}

const ENGLAND = [NORFOLK, BRISTOL];
const laName = (code: string) => areaByCode.get(code)!.la.name;

const TEMPLATES: Template[] = [
  // --- council -------------------------------------------------------------------------------
  {
    key: "family-hub",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "locality",
    venue: "hub",
    schedule: "hub",
    weight: 5,
    // Named after the neighbourhood, as councils name them ("Mile Cross Family Hub"); the
    // description says which town, so "norwich family hub" finds every Norwich hub.
    name: (c) => `${localName(c)} Family Hub`,
    description: (c) =>
      `A family hub in ${placeInTown(c)} for families with children and young people aged 0 to 19 (25 with SEND): stay and play, parenting advice, help with money and benefits, midwife and health visitor clinics, and early help when things get difficult.`,
    needs: ["FAMILY_STRESS", "PARENTING", "EARLY_YEARS", "FINANCIAL_HARDSHIP", "PERINATAL"],
    ages: [0, 19],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [0, 0],
    contracted: false,
    funder: (la) =>
      la === NEWPORT
        ? "Welsh Government – Families First"
        : "Department for Education – Family Hubs and Start for Life",
    coDeliver: { org: "afc", role: "Family support workers", chance: 0.3 },
  },
  {
    key: "early-help",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "district",
    venue: "office",
    schedule: "office",
    weight: 3,
    name: (c) => `${laName(c.la)} Early Help Team – ${c.place}`,
    description: (c) =>
      `Whole-family support for families in ${c.place} facing several difficulties at once. A lead practitioner works with the family and a Team Around the Family to agree a plan.`,
    needs: ["FAMILY_STRESS", "PARENTING", "EDUCATION", "HOUSING", "SUBSTANCE_MISUSE"],
    ages: [0, 18],
    modes: ["HOME_VISIT", "IN_PERSON", "TELEPHONE"],
    routes: ["PROFESSIONAL", "SCHOOL", "PARENT"],
    wait: [1, 4],
    contracted: false,
    funder: (la) => councilName(la),
    referralNotes:
      "Refer with an Early Help Assessment signed by the family. We cannot accept referrals without consent.",
    proLine: 0.8,
    coDeliver: { org: "afc", role: "Family key workers", chance: 0.25 },
  },
  {
    key: "front-door",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.6,
    name: (c) => `${laName(c.la)} Children's Services Front Door`,
    description: (c) =>
      `The single point of contact for anyone worried about a child in ${laName(c.la)}. If a child is in immediate danger call 999.`,
    needs: ["SAFEGUARDING", "EXPLOITATION", "DOMESTIC_ABUSE"],
    ages: [0, 17],
    modes: ["TELEPHONE"],
    routes: ["PROFESSIONAL", "PARENT", "SELF"],
    wait: [0, 0],
    contracted: false,
    funder: (la) => councilName(la),
    referralNotes:
      "Professionals: use the multi-agency referral form; consultation line for threshold advice.",
    proLine: 1,
  },
  {
    key: "youth-justice",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.8,
    name: (c) => `${laName(c.la)} Youth Justice Service`,
    description: () =>
      "Works with children aged 10 to 17 in the youth justice system, and with those at risk of offending through prevention and diversion.",
    needs: ["YOUTH_JUSTICE", "EXPLOITATION", "SUBSTANCE_MISUSE", "EDUCATION"],
    ages: [10, 17],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["PROFESSIONAL", "SOCIAL_WORKER"],
    wait: [0, 2],
    contracted: false,
    funder: (la) => councilName(la),
    proLine: 0.7,
  },
  {
    key: "sendiass",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.8,
    name: (c) => `${laName(c.la)} SEND Information, Advice and Support Service (SENDIASS)`,
    description: () =>
      "Free, impartial and confidential advice about special educational needs and disabilities, including EHC needs assessments, plans and appeals.",
    needs: ["SEND_SUPPORT", "LEARNING_DIFFICULTY", "AUTISM", "EDUCATION"],
    ages: [0, 25],
    modes: ["TELEPHONE", "ONLINE", "IN_PERSON"],
    routes: ["PARENT", "SELF", "PROFESSIONAL"],
    wait: [1, 3],
    contracted: true,
    funder: (la) => councilName(la),
  },
  {
    key: "short-breaks",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "community",
    schedule: "session",
    weight: 1,
    name: (c) => `${laName(c.la)} Short Breaks for Disabled Children`,
    description: () =>
      "Activity clubs, overnight stays and sitting services that give disabled children fun time away and their carers a break.",
    needs: ["SHORT_BREAKS", "PHYSICAL_DISABILITY", "LEARNING_DIFFICULTY", "AUTISM"],
    ages: [0, 18],
    modes: ["IN_PERSON"],
    routes: ["PARENT", "SOCIAL_WORKER", "PROFESSIONAL"],
    wait: [4, 16],
    cost: "shortbreaks",
    contracted: true,
    funder: (la) => councilName(la),
  },
  {
    key: "portage",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "district",
    venue: "office",
    schedule: "office",
    weight: 0.8,
    name: (c) => `Portage Home Visiting – ${c.place}`,
    description: () =>
      "Home-visiting educational support for pre-school children with additional needs, working with parents through play.",
    needs: ["EARLY_YEARS", "SEND_SUPPORT", "SPEECH_LANGUAGE", "LEARNING_DIFFICULTY"],
    ages: [0, 4],
    modes: ["HOME_VISIT"],
    routes: ["PROFESSIONAL", "PARENT"],
    wait: [4, 12],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "ed-psych",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.6,
    name: (c) => `${laName(c.la)} Educational Psychology Service`,
    description: () =>
      "Educational psychologists working with schools and settings on learning, behaviour and wellbeing, and contributing to EHC needs assessments.",
    needs: ["LEARNING_DIFFICULTY", "SEND_SUPPORT", "EDUCATION", "AUTISM"],
    ages: [0, 25],
    modes: ["IN_PERSON"],
    routes: ["SCHOOL", "PROFESSIONAL"],
    wait: [6, 20],
    contracted: false,
    funder: (la) => councilName(la),
    referralNotes: "Schools request involvement through their link educational psychologist.",
  },
  {
    key: "attendance",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "district",
    venue: "office",
    schedule: "office",
    weight: 0.8,
    name: (c) => `Education Welfare and Attendance – ${c.place}`,
    description: () =>
      "Works with schools and families to improve attendance and re-engage children missing education.",
    needs: ["EDUCATION", "FAMILY_STRESS"],
    ages: [5, 16],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["SCHOOL", "PROFESSIONAL"],
    wait: [1, 3],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "youth-centre",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "locality",
    venue: "youth",
    schedule: "evening",
    weight: 2,
    name: (c) => `${c.place} Youth Centre – Targeted Youth Support`,
    description: (c) =>
      `Open-access youth club nights and one-to-one targeted youth work for young people in ${c.place}.`,
    needs: ["EXPLOITATION", "MENTAL_HEALTH", "SUBSTANCE_MISUSE", "YOUTH_JUSTICE"],
    ages: [11, 19],
    modes: ["IN_PERSON"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [0, 0],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "housing-pathway",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.6,
    name: (c) => `${laName(c.la)} Young People's Housing Pathway`,
    description: () =>
      "Advice, supported accommodation and tenancy support for young people aged 16 to 25 who are homeless or at risk, including care leavers.",
    needs: ["HOUSING", "FINANCIAL_HARDSHIP", "FAMILY_STRESS"],
    ages: [16, 25],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PROFESSIONAL", "SOCIAL_WORKER"],
    wait: [0, 6],
    contracted: false,
    funder: (la) => councilName(la),
    proLine: 0.5,
  },
  {
    key: "welfare-rights",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.6,
    name: (c) => `${laName(c.la)} Welfare Rights and Household Support`,
    description: () =>
      "Benefit checks, help with forms and appeals, and emergency household support grants for families.",
    needs: ["FINANCIAL_HARDSHIP", "HOUSING"],
    ages: [0, 25],
    modes: ["TELEPHONE", "ONLINE", "IN_PERSON"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [0, 3],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "parenting",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "locality",
    venue: "hub",
    schedule: "session",
    weight: 2,
    name: (c) => `Triple P Parenting Programme – ${c.place}`,
    description: () =>
      "An eight-week group programme for parents and carers of children up to 12, on confidence, routines and managing behaviour.",
    needs: ["PARENTING", "FAMILY_STRESS"],
    ages: [0, 12],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [2, 8],
    contracted: false,
    funder: (la) => councilName(la),
    coDeliver: { org: "barnardos", role: "Group facilitators", chance: 0.3 },
  },
  {
    key: "young-carers-assessment",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.5,
    name: (c) => `${laName(c.la)} Young Carers Needs Assessment`,
    description: () =>
      "The council's statutory assessment for children who look after someone at home, and a route to local young carers support.",
    needs: ["YOUNG_CARERS"],
    ages: [5, 18],
    modes: ["IN_PERSON", "TELEPHONE", "HOME_VISIT"],
    routes: ["SELF", "PARENT", "SCHOOL", "PROFESSIONAL"],
    wait: [2, 6],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "sensory-support",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 0.5,
    bsl: true,
    name: (c) => `${laName(c.la)} Sensory Support Service (hearing and vision)`,
    description: () =>
      "Qualified teachers of deaf and visually impaired children supporting families, nurseries and schools.",
    needs: ["SENSORY_IMPAIRMENT", "SEND_SUPPORT"],
    ages: [0, 25],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["PROFESSIONAL", "PARENT", "SCHOOL"],
    wait: [2, 6],
    contracted: false,
    funder: (la) => councilName(la),
  },
  {
    key: "flying-start",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "locality",
    venue: "hub",
    schedule: "hub",
    weight: 1.5,
    las: [NEWPORT],
    name: (c) => `Flying Start – ${c.place}`,
    description: (c) =>
      `Funded childcare, enhanced health visiting, parenting support and early language development for families with children under 4 in ${c.place}.`,
    needs: ["EARLY_YEARS", "SPEECH_LANGUAGE", "PARENTING"],
    ages: [0, 3],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["PARENT", "PROFESSIONAL"],
    wait: [0, 2],
    contracted: false,
    funder: () => "Welsh Government – Flying Start",
  },
  {
    key: "haf",
    partner: "council",
    org: (la) => COUNCIL_ORG[la],
    scope: "locality",
    venue: "school",
    schedule: "session",
    weight: 1,
    las: ENGLAND,
    name: (c) => `Holiday Activities and Food – ${c.place}`,
    description: () =>
      "School holiday clubs with a healthy meal every day: sport, arts and trips. Free for children who get benefits-related free school meals.",
    needs: ["FINANCIAL_HARDSHIP", "PHYSICAL_HEALTH"],
    ages: [5, 16],
    modes: ["IN_PERSON"],
    routes: ["PARENT", "SCHOOL"],
    wait: [0, 0],
    cost: "holiday",
    contracted: true,
    funder: () => "Department for Education – Holiday Activities and Food programme",
  },

  // --- charity -------------------------------------------------------------------------------
  {
    key: "young-carers",
    partner: "charity",
    org: () => "barnardos",
    scope: "la",
    venue: "community",
    schedule: "evening",
    weight: 1.5,
    name: (c) => `Barnardo's Young Carers ${laName(c.la)}`,
    description: (c) =>
      `Clubs, trips, one-to-one support and help at school for young carers aged 8 to 18 in ${laName(c.la)}.`,
    needs: ["YOUNG_CARERS", "MENTAL_HEALTH", "EDUCATION"],
    ages: [8, 18],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT", "SCHOOL", "PROFESSIONAL"],
    wait: [2, 8],
    contracted: true,
    funder: (la) => `${councilName(la)} (commissioned)`,
  },
  {
    key: "exploitation",
    partner: "charity",
    org: () => "barnardos",
    scope: "la",
    venue: "office",
    schedule: "office",
    weight: 1,
    name: (c) => `Barnardo's Child Exploitation Service – ${laName(c.la)}`,
    description: () =>
      "Specialist one-to-one work with children who are being, or are at risk of being, sexually or criminally exploited, and return-home interviews after missing episodes.",
    needs: ["EXPLOITATION", "SAFEGUARDING", "SUBSTANCE_MISUSE"],
    ages: [10, 18],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["PROFESSIONAL", "SOCIAL_WORKER"],
    wait: [1, 6],
    contracted: true,
    funder: (la) => `${councilName(la)} (commissioned)`,
    referralNotes:
      "Referrals from professionals only, after a strategy discussion where one is needed.",
    proLine: 1,
  },
  {
    key: "refuge",
    partner: "charity",
    org: () => "safehaven",
    scope: "la",
    venue: "refuge",
    schedule: "24x7",
    weight: 0.8,
    name: (c) => `Safe Haven Domestic Abuse Refuge – ${laName(c.la)}`,
    description: () =>
      "Safe, confidential refuge accommodation for women and their children escaping domestic abuse, with children's workers on site.",
    needs: ["DOMESTIC_ABUSE", "HOUSING", "SAFEGUARDING"],
    ages: [0, 17],
    modes: ["IN_PERSON"],
    routes: ["SELF", "PROFESSIONAL"],
    wait: [0, 0],
    accepting: 0.7,
    contracted: true,
    funder: (la) => `${councilName(la)} (commissioned)`,
    referralNotes: "Call the 24-hour line; never give the refuge address to anyone.",
  },
  {
    key: "da-children",
    partner: "charity",
    org: () => "safehaven",
    scope: "la",
    venue: "community",
    schedule: "office",
    weight: 1,
    name: (c) => `Safe Haven Children and Young People's Domestic Abuse Service – ${laName(c.la)}`,
    description: () =>
      "One-to-one and group recovery work for children who have lived with domestic abuse.",
    needs: ["DOMESTIC_ABUSE", "MENTAL_HEALTH"],
    ages: [4, 18],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["PROFESSIONAL", "PARENT", "SELF"],
    wait: [4, 14],
    contracted: true,
    funder: () => "National Lottery Community Fund",
  },
  {
    key: "online-counselling",
    partner: "charity",
    org: () => "talkwell",
    scope: "all",
    venue: null,
    schedule: "online",
    weight: 0,
    name: () => "Talkwell – free online counselling for young people",
    description: () =>
      "Free, safe and anonymous online counselling, articles and moderated forums for young people. No referral needed: sign up and chat to a counsellor.",
    needs: ["MENTAL_HEALTH", "FAMILY_STRESS", "BEREAVEMENT"],
    ages: [10, 25],
    modes: ["ONLINE"],
    routes: ["SELF"],
    wait: [0, 0],
    accepting: 1,
    contracted: true,
    funder: () => "NHS integrated care boards and health boards (commissioned)",
  },
  {
    key: "bereavement",
    partner: "charity",
    org: () => "forgetmenot",
    scope: "la",
    venue: "community",
    schedule: "session",
    weight: 1,
    name: (c) => `Bereavement support for children – Forget-me-not ${laName(c.la)}`,
    description: () =>
      "One-to-one and group support for children and young people after the death of someone important, and advice for their families and schools.",
    needs: ["BEREAVEMENT", "MENTAL_HEALTH"],
    ages: [4, 18],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT", "SCHOOL", "PROFESSIONAL"],
    wait: [3, 10],
    contracted: true,
    funder: () => "BBC Children in Need",
  },
  {
    key: "cwtch-bereavement",
    partner: "charity",
    org: () => "cwtch",
    scope: "la",
    venue: "community",
    schedule: "session",
    weight: 0,
    las: [NEWPORT],
    name: () => "Cwtch – Cymorth Profedigaeth / Bereavement Support for Children, Newport",
    description: () =>
      "Bereavement support for children and young people in Newport, offered in Welsh and English.",
    needs: ["BEREAVEMENT", "MENTAL_HEALTH"],
    ages: [5, 18],
    modes: ["IN_PERSON"],
    routes: ["PARENT", "SCHOOL", "PROFESSIONAL"],
    wait: [4, 8],
    contracted: true,
    funder: () => "Welsh Government – Children and Communities Grant",
  },
  {
    key: "parent-carer-network",
    partner: "charity",
    org: () => "pcn",
    scope: "la",
    venue: "community",
    schedule: "monthly",
    weight: 0.6,
    name: (c) => `${laName(c.la)} Parent Carer Network`,
    description: () =>
      "Coffee mornings, workshops and a strong voice with the council and NHS for parents and carers of children with SEND.",
    needs: ["SEND_SUPPORT", "AUTISM", "SHORT_BREAKS", "PARENTING"],
    ages: [0, 25],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["PARENT", "SELF"],
    wait: [0, 0],
    contracted: false,
    funder: () => "Department for Education – Parent Carer Forum grant",
  },
  {
    key: "autism-group",
    partner: "charity",
    org: () => "spectrum",
    scope: "locality",
    venue: "community",
    schedule: "monthly",
    weight: 1,
    name: (c) => `Spectrum Families Autism Support Group – ${c.place}`,
    description: () =>
      "Monthly Saturday sessions for autistic children and siblings, with a parents' peer group alongside. No diagnosis needed.",
    needs: ["AUTISM", "PARENTING", "SEND_SUPPORT"],
    ages: [0, 18],
    modes: ["IN_PERSON"],
    routes: ["SELF", "PARENT"],
    wait: [0, 2],
    contracted: false,
    funder: () => "National Lottery Community Fund",
  },
  {
    key: "youth-counselling",
    partner: "charity",
    org: () => "opendoor",
    scope: "locality",
    venue: "community",
    schedule: "dropin",
    weight: 1.5,
    name: (c) => `Open Door Youth Counselling – ${c.place}`,
    description: () =>
      "Free counselling for 11 to 18 year olds and low-cost counselling for 18 to 25 year olds, face to face or by phone.",
    needs: ["MENTAL_HEALTH", "BEREAVEMENT", "FAMILY_STRESS"],
    ages: [11, 25],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT", "SCHOOL", "GP"],
    wait: [2, 12],
    cost: "counselling",
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "substance",
    partner: "charity",
    org: () => "switch",
    scope: "la",
    venue: "youth",
    schedule: "office",
    weight: 1,
    name: (c) => `${laName(c.la)} Young People's Drug and Alcohol Service (Switch)`,
    description: () =>
      "Confidential one-to-one support for young people worried about their own or a family member's drug or alcohol use.",
    needs: ["SUBSTANCE_MISUSE", "MENTAL_HEALTH", "EXPLOITATION"],
    ages: [11, 24],
    modes: ["IN_PERSON", "TELEPHONE", "ONLINE"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [0, 3],
    contracted: true,
    funder: (la) => `${councilName(la)} Public Health (commissioned)`,
  },
  {
    key: "money-advice",
    partner: "charity",
    org: () => "moneywise",
    scope: "la",
    venue: "community",
    schedule: "office",
    weight: 0.8,
    name: (c) => `Moneywise Families – debt and benefits advice (${laName(c.la)})`,
    description: () =>
      "Free, confidential advice on debt, benefits, energy bills and housing for families with children.",
    needs: ["FINANCIAL_HARDSHIP", "HOUSING"],
    ages: [0, 25],
    modes: ["TELEPHONE", "ONLINE", "IN_PERSON"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [1, 4],
    contracted: true,
    funder: () => "Money and Pensions Service",
  },
  {
    key: "larder",
    partner: "charity",
    org: () => "larder",
    scope: "locality",
    venue: "community",
    schedule: "session",
    weight: 1,
    name: (c) => `${c.place} Community Larder`,
    description: () =>
      "A low-cost community food shop: around £15 of fresh and store-cupboard food for a small weekly fee. No referral needed.",
    needs: ["FINANCIAL_HARDSHIP"],
    ages: [0, 25],
    modes: ["IN_PERSON"],
    routes: ["SELF", "PARENT"],
    wait: [0, 0],
    cost: "larder",
    contracted: false,
    funder: () => "Local donations and supermarket surplus",
  },
  {
    key: "deaf-children",
    partner: "charity",
    org: () => "deaf",
    scope: "la",
    venue: "community",
    schedule: "monthly",
    weight: 0.6,
    bsl: true,
    name: (c) => `Deaf Children Together – ${laName(c.la)}`,
    description: () =>
      "Family days, BSL taster courses and youth groups for deaf children and their families.",
    needs: ["SENSORY_IMPAIRMENT", "SPEECH_LANGUAGE", "SEND_SUPPORT"],
    ages: [0, 18],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["SELF", "PARENT", "PROFESSIONAL"],
    wait: [0, 0],
    contracted: false,
    funder: () => "BBC Children in Need",
  },
  {
    key: "family-support",
    partner: "charity",
    org: () => "afc",
    scope: "locality",
    venue: "community",
    schedule: "office",
    weight: 1.2,
    name: (c) => `Action for Children Family Support – ${c.place}`,
    description: () =>
      "Practical and emotional support at home for families going through a hard time, from routines to school attendance.",
    needs: ["FAMILY_STRESS", "PARENTING", "EDUCATION"],
    ages: [0, 18],
    modes: ["HOME_VISIT", "IN_PERSON"],
    routes: ["PROFESSIONAL", "PARENT"],
    wait: [2, 8],
    contracted: true,
    funder: (la) => `${councilName(la)} (commissioned)`,
  },
  {
    key: "dyslexia",
    partner: "charity",
    org: () => "brightminds",
    scope: "la",
    venue: "community",
    schedule: "dropin",
    weight: 0.5,
    name: (c) => `Bright Minds Dyslexia Screening and Tutoring – ${laName(c.la)}`,
    description: () =>
      "Dyslexia screening and specialist one-to-one tutoring for children aged 6 to 16.",
    needs: ["LEARNING_DIFFICULTY", "EDUCATION"],
    ages: [6, 16],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["PARENT", "SCHOOL"],
    wait: [1, 6],
    cost: "dyslexia",
    contracted: false,
    funder: () => "Fees and charitable donations",
  },
  {
    key: "perinatal-peer",
    partner: "charity",
    org: () => "bump",
    scope: "locality",
    venue: "hub",
    schedule: "session",
    weight: 0.8,
    name: (c) => `Bump to Baby Peer Support – ${c.place}`,
    description: () =>
      "Trained volunteer parents offering friendship and support from pregnancy until your baby turns one, including when you are feeling low.",
    needs: ["PERINATAL", "MENTAL_HEALTH", "EARLY_YEARS"],
    ages: [0, 1],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PROFESSIONAL"],
    wait: [0, 2],
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "cylch-meithrin",
    partner: "charity",
    org: () => "cwtch",
    scope: "locality",
    venue: "community",
    schedule: "session",
    weight: 1,
    las: [NEWPORT],
    name: (c) => `Cylch Meithrin ${c.place} – Welsh-medium playgroup`,
    description: () =>
      "A Welsh-medium playgroup for children aged 2 to 4. No Welsh at home needed: children pick it up through play.",
    needs: ["EARLY_YEARS", "SPEECH_LANGUAGE"],
    ages: [2, 4],
    modes: ["IN_PERSON"],
    routes: ["PARENT"],
    wait: [0, 4],
    cost: "cylch",
    contracted: false,
    funder: () => "Welsh Government – Childcare Offer for Wales",
  },

  // --- health --------------------------------------------------------------------------------
  {
    key: "health-visiting",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "locality",
    venue: "clinic",
    schedule: "clinic",
    weight: 3,
    name: (c) => `Health Visiting Service – ${c.place}`,
    description: () =>
      "Health visitors see every family from pregnancy until their child starts school: development reviews, feeding, sleep, postnatal mood and immunisation advice.",
    needs: ["EARLY_YEARS", "PERINATAL", "PARENTING", "PHYSICAL_HEALTH"],
    ages: [0, 4],
    modes: ["HOME_VISIT", "IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT", "GP", "PROFESSIONAL"],
    wait: [0, 0],
    contracted: true,
    funder: (la) => (la === NEWPORT ? ICB[la] : `${councilName(la)} Public Health`),
  },
  {
    key: "school-nursing",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "office",
    weight: 2,
    name: (c) => `School Nursing – ${c.place}`,
    description: () =>
      "School nurses support children and young people aged 5 to 19 with health and wellbeing, including a confidential text messaging service.",
    needs: ["PHYSICAL_HEALTH", "MENTAL_HEALTH", "SUBSTANCE_MISUSE"],
    ages: [5, 19],
    modes: ["IN_PERSON", "TELEPHONE", "ONLINE"],
    routes: ["SELF", "PARENT", "SCHOOL", "GP"],
    wait: [0, 2],
    contracted: true,
    funder: (la) => (la === NEWPORT ? ICB[la] : `${councilName(la)} Public Health`),
  },
  {
    key: "camhs-getting-help",
    partner: "health",
    org: (la) => MENTAL_HEALTH_TRUST[la],
    scope: "district",
    venue: "clinic",
    schedule: "office",
    weight: 1.5,
    name: (c) => `CAMHS Getting Help – ${c.place}`,
    description: () =>
      "Short-term, goal-based help for children and young people with mild to moderate mental health difficulties such as anxiety and low mood.",
    needs: ["MENTAL_HEALTH", "FAMILY_STRESS"],
    ages: [0, 17],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["GP", "SCHOOL", "PROFESSIONAL", "PARENT"],
    wait: [8, 24],
    accepting: 0.85,
    contracted: true,
    funder: (la) => ICB[la],
    referralNotes:
      "Please include what has been tried already and the young person's view of the referral.",
  },
  {
    key: "camhs-more-help",
    partner: "health",
    org: (la) => MENTAL_HEALTH_TRUST[la],
    scope: "district",
    venue: "clinic",
    schedule: "office",
    weight: 1,
    name: (c) => `CAMHS Getting More Help – ${c.place}`,
    description: () =>
      "Specialist assessment and treatment for children and young people with complex or severe mental health needs, including self-harm.",
    needs: ["MENTAL_HEALTH", "SAFEGUARDING"],
    ages: [0, 17],
    modes: ["IN_PERSON"],
    routes: ["GP", "PROFESSIONAL"],
    wait: [12, 40],
    accepting: 0.85,
    contracted: true,
    funder: (la) => ICB[la],
    referralNotes:
      "Urgent concerns: call the crisis line. Routine referrals via the single point of access.",
    proLine: 0.9,
  },
  {
    key: "eating-disorders",
    partner: "health",
    org: (la) => MENTAL_HEALTH_TRUST[la],
    scope: "la",
    venue: "clinic",
    schedule: "office",
    weight: 0.5,
    name: (c) => `Children and Young People's Eating Disorder Service – ${laName(c.la)}`,
    description: () =>
      "Assessment and family-based treatment for young people with eating disorders. Young people can refer themselves.",
    needs: ["MENTAL_HEALTH", "PHYSICAL_HEALTH"],
    ages: [8, 18],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["SELF", "GP", "PARENT", "PROFESSIONAL"],
    wait: [1, 4],
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "neurodevelopmental",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "la",
    venue: "clinic",
    schedule: "office",
    weight: 0.8,
    name: (c) =>
      c.needs.includes("ADHD")
        ? `Neurodevelopmental Assessment Service (autism and ADHD) – ${laName(c.la)}`
        : `Autism Assessment Service – ${laName(c.la)}`,
    description: () =>
      "Multi-disciplinary assessment for children and young people who may be autistic or have ADHD, with advice for families and schools while they wait.",
    needs: ["AUTISM", "ADHD"],
    ages: [4, 18],
    modes: ["IN_PERSON"],
    routes: ["GP", "SCHOOL", "PROFESSIONAL"],
    wait: [40, 104],
    accepting: 0.8,
    contracted: true,
    funder: (la) => ICB[la],
    referralNotes: "Referrals need a school observation report; incomplete referrals are returned.",
  },
  {
    key: "adhd-clinic",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "clinic",
    weight: 0.8,
    name: (c) => `Paediatric ADHD Clinic – ${c.place}`,
    description: () => "Diagnosis, medication reviews and parent workshops for children with ADHD.",
    needs: ["ADHD"],
    ages: [6, 18],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["GP", "PROFESSIONAL"],
    wait: [26, 78],
    accepting: 0.8,
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "community-paeds",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "clinic",
    weight: 1,
    name: (c) => `Community Paediatrics – ${c.place}`,
    description: () =>
      "Community paediatricians for children with developmental delay, disability, long-term conditions and safeguarding medicals.",
    needs: ["PHYSICAL_HEALTH", "AUTISM", "ADHD", "LEARNING_DIFFICULTY", "PHYSICAL_DISABILITY"],
    ages: [0, 18],
    modes: ["IN_PERSON"],
    routes: ["GP", "PROFESSIONAL"],
    wait: [12, 40],
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "salt",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "clinic",
    weight: 1.5,
    name: (c) => `Speech and Language Therapy – ${c.place}`,
    description: () =>
      "Children's speech and language therapy: assessment, therapy and advice for families and schools on speech, language, communication and swallowing.",
    needs: ["SPEECH_LANGUAGE", "AUTISM", "LEARNING_DIFFICULTY"],
    ages: [0, 18],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["PARENT", "GP", "SCHOOL", "PROFESSIONAL"],
    wait: [8, 30],
    accepting: 0.9,
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "therapies",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "clinic",
    weight: 1,
    name: (c) => `Children's Occupational Therapy and Physiotherapy – ${c.place}`,
    description: () =>
      "Therapy for children with physical disabilities, coordination difficulties and long-term conditions, including equipment advice.",
    needs: ["PHYSICAL_DISABILITY", "PHYSICAL_HEALTH", "SEND_SUPPORT"],
    ages: [0, 18],
    modes: ["IN_PERSON", "HOME_VISIT"],
    routes: ["GP", "PROFESSIONAL", "SCHOOL"],
    wait: [8, 26],
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "audiology",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "district",
    venue: "clinic",
    schedule: "clinic",
    weight: 0.6,
    bsl: true,
    name: (c) => `Paediatric Audiology – ${c.place}`,
    description: () => "Hearing tests for babies and children, hearing aid fitting and reviews.",
    needs: ["SENSORY_IMPAIRMENT", "SPEECH_LANGUAGE"],
    ages: [0, 18],
    modes: ["IN_PERSON"],
    routes: ["GP", "PROFESSIONAL", "PARENT"],
    wait: [4, 18],
    contracted: true,
    funder: (la) => ICB[la],
  },
  {
    key: "perinatal-mh",
    partner: "health",
    org: (la) => MENTAL_HEALTH_TRUST[la],
    scope: "la",
    venue: "clinic",
    schedule: "office",
    weight: 0.5,
    name: (c) => `Perinatal Mental Health Service – ${laName(c.la)}`,
    description: () =>
      "Specialist mental health care for parents during pregnancy and the first year after birth.",
    needs: ["PERINATAL", "MENTAL_HEALTH"],
    ages: [0, 1],
    modes: ["IN_PERSON", "HOME_VISIT", "TELEPHONE"],
    routes: ["GP", "PROFESSIONAL"],
    wait: [1, 4],
    contracted: true,
    funder: (la) => ICB[la],
    referralNotes: "Referrals from GPs, midwives and health visitors.",
  },
  {
    key: "infant-feeding",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "locality",
    venue: "hub",
    schedule: "session",
    weight: 0.8,
    name: (c) => `Infant Feeding Drop-in – ${c.place}`,
    description: () =>
      "Drop-in help with breastfeeding, bottle feeding and starting solids, run by the infant feeding team.",
    needs: ["PERINATAL", "EARLY_YEARS", "PHYSICAL_HEALTH"],
    ages: [0, 2],
    modes: ["IN_PERSON", "TELEPHONE"],
    routes: ["SELF", "PARENT"],
    wait: [0, 0],
    contracted: true,
    funder: (la) => (la === NEWPORT ? ICB[la] : `${councilName(la)} Public Health`),
  },
  {
    key: "sexual-health",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "locality",
    venue: "clinic",
    schedule: "dropin",
    weight: 0.8,
    name: (c) => `Young People's Sexual Health Clinic – ${c.place}`,
    description: () =>
      "Confidential walk-in clinic for young people: contraception, testing and advice.",
    needs: ["PHYSICAL_HEALTH"],
    ages: [13, 24],
    modes: ["IN_PERSON"],
    routes: ["SELF"],
    wait: [0, 0],
    contracted: true,
    funder: (la) => (la === NEWPORT ? ICB[la] : `${councilName(la)} Public Health`),
  },
  {
    key: "lac-health",
    partner: "health",
    org: (la) => COMMUNITY_HEALTH[la],
    scope: "la",
    venue: "clinic",
    schedule: "office",
    weight: 0.4,
    name: (c) => `Looked After Children's Health Team – ${laName(c.la)}`,
    description: () =>
      "Statutory health assessments and health advice for children in care and care leavers.",
    needs: ["SAFEGUARDING", "PHYSICAL_HEALTH", "MENTAL_HEALTH"],
    ages: [0, 18],
    modes: ["IN_PERSON"],
    routes: ["SOCIAL_WORKER"],
    wait: [2, 4],
    contracted: true,
    funder: (la) => ICB[la],
    proLine: 1,
  },
  {
    key: "mhst",
    partner: "health",
    org: (la) => MENTAL_HEALTH_TRUST[la],
    scope: "district",
    venue: "school",
    schedule: "office",
    weight: 1,
    las: ENGLAND,
    name: (c) => `Mental Health Support Team in Schools – ${c.place}`,
    description: () =>
      "Education mental health practitioners working in schools with pupils who have mild to moderate anxiety or low mood.",
    needs: ["MENTAL_HEALTH", "FAMILY_STRESS"],
    ages: [5, 18],
    modes: ["IN_PERSON", "ONLINE"],
    routes: ["SCHOOL"],
    wait: [2, 8],
    contracted: true,
    funder: (la) => ICB[la],
  },
];

/** Services that make the gaps: always generated, exempt from the rule for their own need. */
interface Pinned {
  template: string;
  la: string;
  exempt: string;
  accepting?: boolean;
  wait?: number;
  alert?: string;
  contractEndsInDays?: number;
  languages?: string[];
}

const PINNED: Pinned[] = [
  {
    template: "short-breaks",
    la: BRISTOL,
    exempt: "SHORT_BREAKS",
    accepting: false,
    wait: 26,
    alert:
      "We are not accepting new referrals while the service is recommissioned. Existing families are not affected.",
  },
  { template: "substance", la: NEWPORT, exempt: "SUBSTANCE_MISUSE", contractEndsInDays: 45 },
  { template: "cwtch-bereavement", la: NEWPORT, exempt: "BEREAVEMENT", languages: ["cy", "en"] },
];

const LANGUAGE_NAMES: Record<string, string> = {
  en: "English",
  cy: "Welsh",
  pl: "Polish",
  ur: "Urdu",
  ar: "Arabic",
  so: "Somali",
  lt: "Lithuanian",
  pt: "Portuguese",
  bn: "Bengali",
  bfi: "British Sign Language",
};
const EXTRA_LANGUAGES: Record<string, [string, number][]> = {
  [NEWPORT]: [
    ["pl", 0.12],
    ["ar", 0.1],
    ["ur", 0.08],
    ["bn", 0.05],
  ],
  [NORFOLK]: [
    ["pl", 0.12],
    ["lt", 0.08],
    ["pt", 0.1],
  ],
  [BRISTOL]: [
    ["so", 0.12],
    ["pl", 0.08],
    ["ur", 0.08],
    ["ar", 0.06],
  ],
};

// ---------------------------------------------------------------------------------------------
// Generation

interface Slot {
  template: Template;
  /** Local authorities covered; one except for "all"-scope services. */
  las: string[];
  town: Town;
  locality: string;
  pinned?: Pinned;
}

interface Fitted {
  needs: string[];
  ages: [number, number];
}

/** Applies the gap rules to a service's needs and ages; undefined when the template cannot go there. */
function fitGaps(
  needs: string[],
  ages: [number, number],
  las: string[],
  exempt?: string,
): Fitted | undefined {
  let out = needs;
  const min = ages[0];
  let max = ages[1];
  for (const la of las) {
    const strip = (STRIP[la] ?? []).filter((n) => n !== exempt);
    if (strip.includes(out[0])) return undefined;
    out = out.filter((n) => !strip.includes(n));
    for (const cap of AGE_CAPS) {
      if (cap.la !== la || cap.need === exempt || !out.includes(cap.need)) continue;
      if (out[0] === cap.need) {
        if (min > cap.maxAge) return undefined;
        max = Math.min(max, cap.maxAge);
      } else if (max > cap.maxAge) out = out.filter((n) => n !== cap.need);
    }
  }
  return { needs: out, ages: [min, max] };
}

function allowedIn(t: Template, la: string): boolean {
  return (!t.las || t.las.includes(la)) && fitGaps(t.needs, t.ages, [la]) !== undefined;
}

export class DatasetGenerator {
  readonly seed: number;
  readonly total: number;
  readonly today: string;
  private readonly todayMs: number;
  private readonly orgIds = new Map<string, string>();
  private readonly coDeliveryList: WayfinderCoDelivery[] = [];
  private councilDone = false;

  constructor(opts: GenerateOptions = {}) {
    this.seed = opts.seed ?? DEFAULT_SEED;
    this.total = opts.services ?? DEFAULT_SERVICES;
    this.today = opts.today ?? DEFAULT_TODAY;
    this.todayMs = parseDay(this.today);
    if (!Number.isInteger(this.seed))
      throw new RangeError(`seed must be an integer (got ${this.seed})`);
    if (!Number.isInteger(this.total) || this.total < MIN_SERVICES)
      throw new RangeError(
        `services must be an integer of at least ${MIN_SERVICES} (got ${this.total})`,
      );
    for (const o of ORGS)
      this.orgIds.set(o.key, stableUuid(this.seed, o.partner, "organization", o.key));
  }

  /** Services per partner: 40/35/25, summing to the total. */
  count(partner: PartnerId): number {
    const council = Math.round(this.total * PARTNER_SHARE.council);
    const charity = Math.round(this.total * PARTNER_SHARE.charity);
    return partner === "council"
      ? council
      : partner === "charity"
        ? charity
        : this.total - council - charity;
  }

  organizations(partner: PartnerId): HsdsOrganization[] {
    return ORGS.filter((o) => o.partner === partner).map((o) => ({
      id: this.orgId(o.key),
      name: o.name,
      description: o.description,
      email: `info@${o.domain}`,
      website: `https://www.${o.domain}`,
      legal_status: o.legal_status,
      ...(o.charity_number
        ? {
            organization_identifiers: [
              {
                id: stableUuid(this.seed, o.partner, "organization_identifier", o.key),
                identifier_scheme: "GB-CHC",
                identifier_type: "Charity number",
                identifier: o.charity_number,
              },
            ],
          }
        : {}),
    }));
  }

  /**
   * Charity staff co-delivering council services. Complete once the council's services have been
   * generated, which is why partners are generated in PARTNERS order.
   */
  coDeliveries(partner: PartnerId): WayfinderCoDelivery[] {
    if (partner !== "charity") return [];
    if (!this.councilDone)
      throw new Error("generate the council's services before the charity's co-deliveries");
    return this.coDeliveryList;
  }

  /**
   * The partner's services, one at a time, so 100,000 of them never sit in memory together. After
   * the pinned and coverage slots, only neighbourhood and district services repeat: a county has
   * many family hubs but one youth justice service.
   */
  *services(partner: PartnerId): Generator<HsdsService> {
    const n = this.count(partner);
    const slots = this.plannedSlots(partner);
    if (slots.pinned.length > n)
      throw new RangeError(
        `${partner} needs at least ${slots.pinned.length} services for the deliberate gaps`,
      );
    const names = new Map<string, number>();
    const templates = TEMPLATES.filter(
      (t) =>
        t.partner === partner && t.weight > 0 && (t.scope === "locality" || t.scope === "district"),
    );
    const planned = [...slots.pinned, ...slots.coverage];
    for (let i = 0; i < n; i++) {
      const rng = new Rng(this.seed, partner, "service", i);
      const slot = i < planned.length ? planned[i] : this.randomSlot(rng, templates);
      yield this.service(partner, i, slot, rng, names);
    }
    if (partner === "council") this.councilDone = true;
  }

  private orgId(key: string): string {
    const id = this.orgIds.get(key);
    if (!id) throw new Error(`no organization "${key}"`);
    return id;
  }

  /** Pinned gap services, then one of every template in every authority it may serve. */
  private plannedSlots(partner: PartnerId): { pinned: Slot[]; coverage: Slot[] } {
    const place = (la: string, k: number) => {
      const area = areaByCode.get(la)!;
      const town = area.towns[k % area.towns.length];
      return { town, locality: town.localities[0] };
    };
    const pinned = PINNED.map((p) => ({ p, t: TEMPLATES.find((t) => t.key === p.template)! }))
      .filter(({ t }) => t.partner === partner)
      .map(({ p, t }) => ({ template: t, las: [p.la], ...place(p.la, 0), pinned: p }));
    const coverage: Slot[] = [];
    TEMPLATES.filter((t) => t.partner === partner && t.weight > 0).forEach((t, k) => {
      for (const area of AREAS) {
        if (allowedIn(t, area.la.code))
          coverage.push({ template: t, las: [area.la.code], ...place(area.la.code, k) });
      }
    });
    for (const t of TEMPLATES.filter((t) => t.partner === partner && t.scope === "all")) {
      coverage.unshift({ template: t, las: AREAS.map((a) => a.la.code), ...place(NORFOLK, 0) });
    }
    return { pinned, coverage };
  }

  private randomSlot(rng: Rng, templates: Template[]): Slot {
    for (;;) {
      const t = rng.weighted(templates, (x) => x.weight);
      const area = rng.weighted(AREAS, (a) => a.weight);
      if (!allowedIn(t, area.la.code)) continue;
      const town = rng.pick(area.towns);
      return { template: t, las: [area.la.code], town, locality: rng.pick(town.localities) };
    }
  }

  private service(
    partner: PartnerId,
    index: number,
    slot: Slot,
    rng: Rng,
    names: Map<string, number>,
  ): HsdsService {
    const t = slot.template;
    const la = slot.las[0];
    const area = areaByCode.get(la)!;
    const id = stableUuid(this.seed, partner, "service", index);
    const sub = (kind: string, k = 0) => stableUuid(this.seed, partner, "service", index, kind, k);

    // Needs: the primary and a random few of the rest, then the gap rules.
    const wanted = [t.needs[0], ...t.needs.slice(1).filter(() => rng.chance(0.55))].slice(0, 4);
    const fitted = fitGaps(wanted, t.ages, slot.las, slot.pinned?.exempt);
    // Slots are only ever planned where the template fits, so this is a bug in the plan.
    if (!fitted) throw new Error(`template ${t.key} cannot serve ${slot.las.join(", ")}`);
    const place =
      t.scope === "locality"
        ? slot.locality
        : t.scope === "district"
          ? slot.town.district
          : area.la.name;
    const ctx: NameCtx = { la, place, town: slot.town.town, needs: fitted.needs };

    // A repeated name is a further site: told apart by its neighbourhood, then its street.
    const base = t.name(ctx);
    const seen = names.get(base) ?? 0;
    names.set(base, seen + 1);
    const location = t.venue ? this.location(partner, t, slot, seen) : undefined;
    const street = location?.addresses?.[0]?.address_1?.replace(/^\d+\s+/, "");
    const candidates = [
      base,
      ...(t.scope === "district" ? [`${base} (${slot.locality})`] : []),
      ...(street ? [`${base} (${street})`] : []),
      ...(street && t.scope === "district" ? [`${base} (${slot.locality}, ${street})`] : []),
    ];
    const name =
      candidates.find((c) => (c === base ? seen === 0 : !names.has(c))) ??
      `${base} (site ${seen + 1})`;
    if (name !== base) names.set(name, 1);

    const org = ORGS.find((o) => o.key === t.org(la))!;
    const slug = slugify(`${t.key}-${place}`);
    const statusRoll = rng.next();
    const status = slot.pinned
      ? "active"
      : statusRoll < 0.03
        ? "temporarily closed"
        : statusRoll < 0.04
          ? "inactive"
          : "active";
    const accepting = slot.pinned?.accepting ?? rng.chance(t.accepting ?? 0.95);
    const wait = slot.pinned?.wait ?? rng.int(t.wait[0], t.wait[1]);
    const contractEnd = t.contracted
      ? this.contractEnd(rng, slot.pinned?.contractEndsInDays)
      : null;
    const phone = t.scope === "all" || t.key === "refuge" ? FREEPHONE(rng) : area.phone(rng);

    let description = t.description(ctx);
    if (t.coDeliver && !slot.pinned && rng.chance(t.coDeliver.chance)) {
      const partnerOrg = ORGS.find((o) => o.key === t.coDeliver!.org)!;
      description += ` Delivered in partnership with ${partnerOrg.name}.`;
      this.coDeliveryList.push({
        id: stableUuid(this.seed, "charity", "co_delivery", index),
        service_ref: `council:${id}`,
        organization_id: this.orgId(partnerOrg.key),
        role: t.coDeliver.role,
        staff_share: 0.5,
        contact_email: `${slugify(laName(la))}.partnerships@${partnerOrg.domain}`,
      });
    }

    const alert =
      slot.pinned?.alert ??
      (status === "temporarily closed"
        ? "Temporarily closed for building works. Phone us for the nearest alternative."
        : !accepting
          ? "We are not accepting new referrals at the moment. Please check back or contact us for advice."
          : null);

    const svc: HsdsService = {
      id,
      organization_id: this.orgId(org.key),
      name,
      description,
      url: `https://www.${org.domain}/services/${slug}`,
      email: `${slug.slice(0, 40).replace(/-+$/, "")}@${org.domain}`,
      status,
      application_process: applicationProcess(t.routes),
      fees_description: t.cost && t.cost !== "free" ? "Some costs: see cost options." : "Free",
      eligibility_description: `Children and young people aged ${fitted.ages[0]} to ${fitted.ages[1]} living in ${slot.las.map(laName).join(", ")}.`,
      minimum_age: fitted.ages[0],
      maximum_age: fitted.ages[1],
      ...(alert ? { alert } : {}),
      service_at_locations: location ? [{ id: sub("service_at_location"), location }] : [],
      service_areas: slot.las.map((code, k) => ({
        id: sub("service_area", k),
        name: laName(code),
        extent: code,
        extent_type: "gss",
        uri: `http://statistics.data.gov.uk/id/statistical-geography/${code}`,
      })),
      schedules: schedules(t.schedule, rng, sub),
      cost_options: costOptions(t.cost ?? "free", sub),
      contacts: this.contacts(t, org, slot, phone, rng, sub),
      languages: languages(slot, t, rng, sub),
      attributes: fitted.needs
        .map((n) => NEED_CATEGORY.get(n))
        .filter((c, k, all): c is string => !!c && all.indexOf(c) === k)
        .map((code, k) => ({
          id: sub("attribute", k),
          taxonomy_term: {
            id: termId(code),
            code,
            name: FH_CATEGORIES[code],
            description: `${FH_TAXONOMY}: ${FH_CATEGORIES[code]}`,
            taxonomy: FH_TAXONOMY,
          },
        })),
      wayfinder: {
        needs: fitted.needs,
        referral_routes: t.routes,
        delivery_modes: t.modes,
        capacity: {
          accepting_referrals: accepting,
          typical_wait_weeks: wait,
          updated_at: `${isoDay(this.todayMs - rng.int(0, 60) * DAY_MS)}T09:00:00Z`,
        },
        contract_end_date: contractEnd,
        funder: t.funder(la),
        referral_notes: t.referralNotes ?? null,
      },
    };
    return svc;
  }

  /** Most contracts run for years; some end within 6 months, some within 12. */
  private contractEnd(rng: Rng, pinnedDays?: number): string {
    if (pinnedDays !== undefined) return monthEndAfter(this.todayMs, pinnedDays);
    const r = rng.next();
    const days = r < 0.1 ? rng.int(100, 150) : r < 0.25 ? rng.int(185, 330) : rng.int(400, 1400);
    return monthEndAfter(this.todayMs, days);
  }

  /** A venue is a function of its key, so services sharing a building share one location. */
  private location(partner: PartnerId, t: Template, slot: Slot, occurrence: number): HsdsLocation {
    const la = slot.las[0];
    const kind = t.venue!;
    const key = [
      partner,
      la,
      slot.town.outward,
      slot.locality,
      kind,
      t.scope === "locality" ? "" : t.key,
      occurrence,
    ].join("|");
    const r = new Rng(this.seed, "location", key);
    const area = areaByCode.get(la)!;
    const centroid = area.la.outwardCodes.find((o) => o.code === slot.town.outward) ?? area.la;
    const lat = round6(centroid.lat + (r.next() - 0.5) * 0.024);
    const lng = round6(centroid.lng + (r.next() - 0.5) * 0.036);
    const street = r.pick(slot.town.streets);
    const inward = `${r.int(1, 9)}${r.pick([...INWARD_LETTERS])}${r.pick([...INWARD_LETTERS])}`;
    const where = t.scope === "locality" ? slot.locality : slot.town.district;
    const venueName: Record<Venue, string> = {
      hub: `${slot.locality === "City Centre" ? `${slot.town.town} City Centre` : slot.locality} Family Hub`,
      office:
        la === NORFOLK && slot.town.town === "Norwich"
          ? "County Hall"
          : `${slot.town.town === "Bristol" ? where : slot.town.town} Civic Centre`,
      clinic: `${where} Health Centre`,
      community: `${slot.locality} Community Centre`,
      youth: `${slot.locality} Youth Centre`,
      refuge: `Safe Haven refuge (${area.la.name})`,
      school: `${slot.locality} Primary School`,
    };
    return {
      id: stableUuid(this.seed, "location", key),
      location_type: "physical",
      name: occurrence > 0 ? `${venueName[kind]} (${street})` : venueName[kind],
      description:
        kind === "refuge"
          ? "Confidential address. Never share it; families are told where to go when a place is offered."
          : `${venueName[kind]}, ${slot.locality}.`,
      latitude: lat,
      longitude: lng,
      addresses: [
        {
          id: stableUuid(this.seed, "address", key),
          address_1: `${r.int(1, 180)} ${street}`,
          city: slot.town.town,
          region: area.la.name,
          state_province: area.la.name,
          postal_code: `${slot.town.outward} ${inward}`,
          country: "GB",
          address_type: "physical",
        },
      ],
      ...(kind === "refuge" ? { wayfinder: { confidential: true } } : {}),
    };
  }

  private contacts(
    t: Template,
    org: OrgDef,
    slot: Slot,
    phone: string,
    rng: Rng,
    sub: (kind: string, k?: number) => string,
  ): HsdsContact[] {
    const area = areaByCode.get(slot.las[0])!;
    const team =
      t.scope === "all" ? "Support team" : t.partner === "health" ? "Admin hub" : "Duty desk";
    const contacts: HsdsContact[] = [
      {
        id: sub("contact", 0),
        name: team,
        email: `${t.key}@${org.domain}`,
        phones: [{ id: sub("phone", 0), number: phone, type: "voice" }],
      },
    ];
    if (t.key === "school-nursing" || t.key === "online-counselling")
      contacts[0].phones!.push({
        id: sub("phone", 1),
        number: MOBILE(rng),
        type: "sms",
        description: "Confidential text service",
      });
    if (rng.chance(t.proLine ?? 0.15)) {
      contacts.push({
        id: sub("contact", 1),
        name: "Professionals' consultation line",
        title: t.partner === "health" ? "Clinical lead" : "Team manager",
        email: `${t.key}.professionals@${org.domain}`,
        phones: [
          {
            id: sub("phone", 2),
            number: t.scope === "all" ? FREEPHONE(rng) : area.phone(rng),
            type: "voice",
          },
        ],
        wayfinder: { professional_only: true },
      });
    }
    return contacts;
  }
}

function applicationProcess(routes: readonly Route[]): string {
  const self = routes.includes("SELF") || routes.includes("PARENT");
  const via = routes.filter((r) => r !== "SELF" && r !== "PARENT");
  const who: Record<string, string> = {
    PROFESSIONAL: "any professional",
    GP: "a GP",
    SCHOOL: "a school",
    SOCIAL_WORKER: "a social worker",
  };
  const parts: string[] = [];
  if (self) parts.push("Contact us directly by phone or email");
  if (via.length)
    parts.push(
      `${self ? "or ask" : "Referral by"} ${via.map((r) => who[r]).join(", ")}${self ? " to refer you" : ""}`,
    );
  return `${parts.join(" ")}.`;
}

function schedules(
  kind: ScheduleKind,
  rng: Rng,
  sub: (kind: string, k?: number) => string,
): HsdsSchedule[] {
  const s = (
    k: number,
    byday: string,
    opens: string,
    closes: string,
    description?: string,
    freq = "WEEKLY",
  ): HsdsSchedule => ({
    id: sub("schedule", k),
    freq,
    byday,
    opens_at: opens,
    closes_at: closes,
    ...(description ? { description } : {}),
  });
  switch (kind) {
    case "office":
      return [s(0, "MO,TU,WE,TH", "09:00", "17:00"), s(1, "FR", "09:00", "16:30")];
    case "hub":
      return rng.chance(0.5)
        ? [
            s(0, "MO,TU,WE,TH,FR", "09:00", "17:00"),
            s(1, "SA", "10:00", "13:00", "Stay and play on Saturday mornings"),
          ]
        : [s(0, "MO,TU,WE,TH,FR", "08:30", "17:00")];
    case "evening": {
      const days = rng.pick(["TU,TH", "MO,WE", "WE,FR"]);
      return [s(0, days, "18:00", "21:00")];
    }
    case "session": {
      const day = rng.pick(["MO", "TU", "WE", "TH", "FR"]);
      const start = rng.pick(["09:30", "10:00", "13:00"]);
      const end = start === "13:00" ? "15:00" : "12:00";
      return [s(0, day, start, end, "Term time only")];
    }
    case "monthly":
      return [s(0, "1SA", "10:00", "12:30", "First Saturday of the month", "MONTHLY")];
    case "24x7":
      return [s(0, "MO,TU,WE,TH,FR,SA,SU", "00:00", "23:59", "24-hour helpline")];
    case "online":
      return [s(0, "MO,TU,WE,TH,FR", "12:00", "22:00"), s(1, "SA,SU", "18:00", "22:00")];
    case "clinic":
      return [s(0, "MO,WE,FR", "09:00", "16:00"), s(1, "TU", "13:00", "19:00", "Late clinic")];
    case "dropin":
      return [
        s(0, rng.pick(["TU", "WE", "TH"]), "15:30", "19:00", "Drop-in, no appointment needed"),
      ];
  }
}

function costOptions(kind: CostKind, sub: (kind: string, k?: number) => string): HsdsCostOption[] {
  const c = (
    k: number,
    option: string,
    amount: number,
    amount_description: string,
  ): HsdsCostOption => ({
    id: sub("cost_option", k),
    option,
    amount,
    currency: "GBP",
    amount_description,
  });
  switch (kind) {
    case "free":
      return [c(0, "Free", 0, "No charge")];
    case "larder":
      return [c(0, "Weekly membership", 3.5, "per visit, for around £15 of food")];
    case "holiday":
      return [
        c(0, "Children on benefits-related free school meals", 0, "Free"),
        c(1, "Other children", 12.5, "per day"),
      ];
    case "counselling":
      return [
        c(0, "Aged 11 to 17", 0, "Free"),
        c(1, "Aged 18 to 25", 10, "per session; ask about reduced rates"),
      ];
    case "dyslexia":
      return [
        c(0, "Dyslexia screening", 45, "per screening"),
        c(1, "Specialist tutoring", 35, "per hour"),
      ];
    case "cylch":
      return [c(0, "Session fee", 4.5, "per two-and-a-half-hour session; funded places available")];
    case "shortbreaks":
      return [
        c(0, "Assessed short breaks", 0, "Free for eligible children after an assessment"),
        c(1, "Activity clubs", 5, "per session"),
      ];
  }
}

function languages(
  slot: Slot,
  t: Template,
  rng: Rng,
  sub: (kind: string, k?: number) => string,
): HsdsLanguage[] {
  let codes: string[];
  if (slot.pinned?.languages) codes = slot.pinned.languages;
  else if (t.key === "cylch-meithrin") codes = ["cy", "en"];
  else {
    codes = ["en"];
    if (slot.las.includes(NEWPORT) && rng.chance(0.85)) codes.push("cy");
    for (const [code, p] of EXTRA_LANGUAGES[slot.las[0]] ?? []) if (rng.chance(p)) codes.push(code);
    if (t.bsl || rng.chance(0.05)) codes.push("bfi");
  }
  return codes.map((code, k) => ({ id: sub("language", k), name: LANGUAGE_NAMES[code], code }));
}

function slugify(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

// ---------------------------------------------------------------------------------------------
// Output

/**
 * The partners the generator has templates for, in PARTNERS order. A partner added since (npm run
 * partner:new) gets no generated data; it imports its own.
 */
export const GENERATED_PARTNERS = PARTNERS.filter((p) => TEMPLATES.some((t) => t.partner === p));

/** The whole dataset in memory: fine for tests and the default size; the CLI streams instead. */
export function generateDataset(opts: GenerateOptions = {}): Record<PartnerId, HsdsBundle> {
  const gen = new DatasetGenerator(opts);
  const out = {} as Record<PartnerId, HsdsBundle>;
  for (const partner of GENERATED_PARTNERS) {
    const services = [...gen.services(partner)];
    out[partner] = {
      organizations: gen.organizations(partner),
      services,
      co_deliveries: gen.coDeliveries(partner),
    };
  }
  return out;
}

/**
 * The file text, piece by piece: one record per line, so files diff well and stream without
 * holding a partner's whole file as one string.
 */
export function* bundleText(
  organizations: HsdsOrganization[],
  services: Iterable<HsdsService>,
  coDeliveries: () => WayfinderCoDelivery[],
): Generator<string> {
  function* list(key: string, items: Iterable<unknown>, last = false): Generator<string> {
    yield `  ${JSON.stringify(key)}: [`;
    let first = true;
    for (const item of items) {
      yield `${first ? "" : ","}\n    ${JSON.stringify(item)}`;
      first = false;
    }
    yield `${first ? "" : "\n  "}]${last ? "" : ","}\n`;
  }
  yield "{\n";
  yield* list("organizations", organizations);
  yield* list("services", services);
  // Called only now: the charity's co-deliveries are known once the council's services exist.
  yield* list(
    "co_deliveries",
    { [Symbol.iterator]: () => coDeliveries()[Symbol.iterator]() },
    true,
  );
  yield "}\n";
}

export function formatBundle(bundle: HsdsBundle): string {
  return [...bundleText(bundle.organizations, bundle.services, () => bundle.co_deliveries)].join(
    "",
  );
}

export interface WrittenFile {
  partner: PartnerId;
  file: string;
  services: number;
  bytes: number;
}

/** Writes DIR/council.json, charity.json and health.json, streaming services to disk. */
export async function writeDataset(
  dir: string,
  opts: GenerateOptions = {},
): Promise<WrittenFile[]> {
  const gen = new DatasetGenerator(opts);
  await mkdir(dir, { recursive: true });
  const written: WrittenFile[] = [];
  for (const partner of GENERATED_PARTNERS) {
    const file = path.join(dir, `${partner}.json`);
    const fh = await open(file, "w");
    let bytes = 0;
    try {
      let buffer = "";
      for (const piece of bundleText(gen.organizations(partner), gen.services(partner), () =>
        gen.coDeliveries(partner),
      )) {
        buffer += piece;
        if (buffer.length > 1 << 20) {
          bytes += (await fh.write(buffer)).bytesWritten;
          buffer = "";
        }
      }
      bytes += (await fh.write(buffer)).bytesWritten;
    } finally {
      await fh.close();
    }
    written.push({ partner, file, services: gen.count(partner), bytes });
  }
  return written;
}
