// Deterministic synthetic ServiceDocs for the latency script (bench.ts): realistic field
// distributions over the vocabulary, Zipf-ish description words, locations around real outward
// codes. Not used by the service itself.
import {
  DELIVERY_MODES,
  LOCAL_AUTHORITIES,
  NEEDS,
  PARTNERS,
  REFERRAL_ROUTE_CODES,
  ageBandsFor,
} from "../../../schema/vocabulary.ts";
import { openSlotsFor } from "./types.ts";
import type { ServiceDoc, Session } from "./types.ts";

const COMMON = (
  "support service children young people families parents carers help advice local free team " +
  "group sessions weekly school health wellbeing community online drop in referral confidential " +
  "trained staff volunteers home visits activities club practical emotional specialist early " +
  "information workers access needs assessment plan programme centre hub together safe"
).split(" ");
const RARE = (
  "allotment baking boxing chess choir cricket cycling dance drama fishing football gardening " +
  "guitar hockey judo kayaking knitting netball orchestra photography pottery reading rugby " +
  "sailing skateboarding swimming tennis theatre yoga woodwork climbing coding forest mindfulness " +
  "lego robotics storytelling sensory messy makaton signing braille puppets circus"
).split(" ");
const LANGS = ["en", "cy", "pl", "ur", "ar", "so", "ro", "pa", "bn", "pt"];

export function rng(seed: number) {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export function syntheticDocs(n: number, seed = 42): ServiceDoc[] {
  const rnd = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const some = <T>(a: readonly T[], max: number): T[] => {
    const out = new Set<T>();
    const k = 1 + Math.floor(rnd() * max);
    while (out.size < k) out.add(pick(a));
    return [...out];
  };
  // Zipf-ish: common words dominate, rare words and the need vocabulary fill in.
  const needWords = NEEDS.flatMap((x) =>
    `${x.label} ${x.synonyms.join(" ")}`.toLowerCase().split(/\W+/),
  );
  const word = () => {
    const r = rnd();
    if (r < 0.55) return COMMON[Math.floor(rnd() * rnd() * COMMON.length)]!;
    if (r < 0.85) return pick(needWords);
    if (r < 0.97) return pick(RARE);
    return `${pick(RARE)}${Math.floor(rnd() * 5000)}`; // long tail of unique-ish words
  };
  const docs: ServiceDoc[] = [];
  for (let i = 0; i < n; i++) {
    const partner = pick(PARTNERS);
    const la = pick(LOCAL_AUTHORITIES);
    const oc = pick(la.outwardCodes);
    const needs = some(NEEDS, 3).map((x) => x.code);
    const minAge = pick([0, 0, 0, 2, 5, 8, 11, 13, 16]);
    const maxAge = Math.min(25, minAge + pick([3, 5, 8, 10, 14, 18, 25]));
    const desc: string[] = [];
    const len = 15 + Math.floor(rnd() * 30);
    for (let j = 0; j < len; j++) desc.push(word());
    const needLabel = NEEDS.find((x) => x.code === needs[0])!.label;
    const weekdays = rnd() < 0.8;
    const session: Session = weekdays
      ? {
          byDay: ["MO", "TU", "WE", "TH", "FR"],
          opensAt: pick(["08:00", "09:00", "09:30"]),
          closesAt: pick(["16:00", "17:00", "20:00"]),
        }
      : {
          byDay: pick(["SA", "SU", "SA,SU", "TU,TH"]).split(","),
          opensAt: "10:00",
          closesAt: "14:00",
        };
    docs.push({
      id: `${partner}:${((i * 2654435761) >>> 0).toString(16).padStart(8, "0")}-${i}`,
      partner,
      name: `${la.name} ${needLabel} ${pick(["service", "group", "team", "clinic", "hub"])} ${pick(RARE)}`,
      description: desc.join(" "),
      organizationName: `${la.name} ${pick(["Council", "Family Trust", "NHS Foundation Trust", "Youth Charity"])}`,
      status: rnd() < 0.9 ? "ACTIVE" : pick(["TEMPORARILY_CLOSED", "INACTIVE", "DEFUNCT"]),
      alert: null,
      needs,
      referralRoutes: some(REFERRAL_ROUTE_CODES, 3),
      languages: rnd() < 0.7 ? ["en"] : ["en", ...some(LANGS, 2)],
      deliveryModes: some(DELIVERY_MODES, 2),
      localAuthorities: rnd() < 0.95 ? [la.code] : [la.code, pick(LOCAL_AUTHORITIES).code],
      ageBands: ageBandsFor(minAge, maxAge),
      minAge,
      maxAge,
      free: rnd() < 0.8,
      acceptingReferrals: rnd() < 0.85,
      typicalWaitWeeks: rnd() < 0.3 ? null : Math.floor(rnd() * 20),
      contractEndDate:
        rnd() < 0.5
          ? null
          : `202${6 + Math.floor(rnd() * 4)}-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 9)}`,
      openSlots: openSlotsFor([
        { byday: session.byDay.join(","), opensAt: session.opensAt, closesAt: session.closesAt },
      ]),
      location:
        rnd() < 0.95
          ? { lat: oc.lat + (rnd() - 0.5) * 0.06, lng: oc.lng + (rnd() - 0.5) * 0.1 }
          : null,
      postcodes: [`${oc.code} ${1 + Math.floor(rnd() * 9)}${pick(["AB", "DE", "FG", "HJ"])}`],
      lastModified: new Date(Date.UTC(2025, 0, 1) + Math.floor(rnd() * 3e10)).toISOString(),
      // Derived from i, not drawn: the fields above keep the values earlier figures were made with.
      organizationId: `${partner}:org-${i % 997}`,
      maxAgeStated: maxAge < 25,
      taxonomyTerms: [`term-${i % 41}`],
      taxonomies: [i % 2 === 0 ? "esd" : "openreferral"],
      schedules: [session],
      locationIds: i % 3 === 0 ? [`loc-${i}-a`, `loc-${i}-b`] : [`loc-${i}`],
      stale: false,
    });
  }
  return docs;
}
