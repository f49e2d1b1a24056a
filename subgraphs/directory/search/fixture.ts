// Thirty hand-written services for the search contract tests, and a deliberately naive reference
// implementation of filters, distance and sorting (one loop, no indexes) to check backends against.
import { ageBandsFor } from "../../../schema/vocabulary.ts";
import { uuidFor } from "../../../schema/hsds-ids.ts";
import { haversineKm, nameSortKey } from "./request.ts";
import {
  DEFAULT_STATUSES,
  openSlotsFor,
  slotsForOpenAt,
  type SearchRequest,
  type ServiceDoc,
} from "./types.ts";

export const NORFOLK = "E10000020";
export const BRISTOL = "E06000023";
export const NEWPORT = "W06000022";
/** NR2 outward-code centre (Norwich). */
export const NORWICH = { lat: 52.6322, lng: 1.2816 };

const WEEKDAYS_9_TO_5 = openSlotsFor([
  { byday: "MO,TU,WE,TH,FR", opensAt: "09:00", closesAt: "17:00" },
]);
const WEEKDAY_SESSION = {
  byDay: ["MO", "TU", "WE", "TH", "FR"],
  opensAt: "09:00",
  closesAt: "17:00",
};

/**
 * What the ORUK filters read, where a service differs from the usual (one organization per
 * partner, a weekday 9 to 5, one location, no taxonomy terms). Edge cases on purpose: two Monday
 * sessions neither of which fits 09:00–12:00 though together they seem to; a session with no days;
 * one with no opening time; a service stating no maximum age; one with no locations.
 */
const ORUK: Record<string, Partial<ServiceDoc>> = {
  "council:c02": {
    organizationId: "council:org-2",
    maxAgeStated: false,
    taxonomyTerms: ["t-esd-1"],
    taxonomies: ["esd"],
    schedules: [
      { byDay: ["MO"], opensAt: "08:00", closesAt: "12:00" },
      { byDay: ["MO"], opensAt: "14:00", closesAt: "20:00" },
    ],
    locationIds: ["c02-a", "c02-b", "c02-c"],
  },
  "council:c03": {
    organizationId: "council:org-2",
    lastModified: "2026-01-15T00:00:00.000Z",
    taxonomyTerms: ["t-esd-1", "t-or-7"],
    taxonomies: ["esd", "openreferral"],
    schedules: [{ byDay: ["SA"], opensAt: "10:00", closesAt: "13:00" }],
  },
  "council:c08": { organizationId: "council:org-2" },
  "charity:h01": {
    organizationId: "charity:org-9",
    lastModified: "2026-02-01T09:30:00.000Z",
    taxonomyTerms: ["t-or-7"],
    taxonomies: ["openreferral"],
    schedules: [{ byDay: ["1TU"], opensAt: "18:00", closesAt: null }],
    locationIds: [],
  },
  "charity:h04": { maxAgeStated: false },
  "health:n02": {
    schedules: [{ byDay: [], opensAt: "09:00", closesAt: "12:30" }],
    locationIds: ["n02-a", "n02-b"],
  },
  "health:n04": {
    lastModified: "2026-01-15T00:00:00.000Z",
    schedules: [{ byDay: ["TU", "TH"], opensAt: null, closesAt: "15:00" }],
  },
};

type Spec = Partial<ServiceDoc> &
  Pick<ServiceDoc, "id" | "name" | "description" | "needs"> & { ages?: [number, number] };

function doc({ ages, ...s }: Spec): ServiceDoc {
  const [minAge, maxAge] = ages ?? [0, 18];
  const partner = s.id.split(":")[0]!;
  return {
    partner,
    organizationName:
      { council: "Example Council", charity: "Example Charity", health: "Example NHS Trust" }[
        partner
      ] ?? "",
    status: "ACTIVE",
    alert: null,
    referralRoutes: ["PROFESSIONAL"],
    languages: ["en"],
    deliveryModes: ["IN_PERSON"],
    localAuthorities: [NORFOLK],
    ageBands: ageBandsFor(minAge, maxAge),
    minAge,
    maxAge,
    free: true,
    acceptingReferrals: true,
    typicalWaitWeeks: null,
    contractEndDate: null,
    openSlots: WEEKDAYS_9_TO_5,
    location: null,
    postcodes: [],
    lastModified: "2025-06-01T10:00:00.000Z",
    organizationId: `${partner}:org-1`,
    maxAgeStated: true,
    taxonomyTerms: [],
    taxonomies: [],
    schedules: [WEEKDAY_SESSION],
    locationIds: [`${s.id.split(":")[1]}-main`],
    stale: false,
    ...s,
    ...ORUK[s.id],
  };
}

/**
 * A document with every field at a neutral value (no needs, routes, areas, places or sessions; ages
 * 0–25; free, accepting referrals, no wait): a test that builds its own documents gives the id and
 * the fields it is about.
 */
export function blankDoc(id: string, over: Partial<ServiceDoc> = {}): ServiceDoc {
  return {
    id,
    partner: id.split(":")[0]!,
    name: id,
    description: "",
    organizationName: "Org",
    status: "ACTIVE",
    alert: null,
    needs: [],
    referralRoutes: [],
    languages: [],
    deliveryModes: [],
    localAuthorities: [],
    ageBands: [],
    minAge: 0,
    maxAge: 25,
    free: true,
    acceptingReferrals: true,
    typicalWaitWeeks: null,
    contractEndDate: null,
    openSlots: [],
    location: null,
    postcodes: [],
    lastModified: "2026-01-01T00:00:00.000Z",
    stale: false,
    organizationId: "",
    maxAgeStated: true,
    taxonomyTerms: [],
    taxonomies: [],
    schedules: [],
    locationIds: [],
    ...over,
  };
}

export const FIXTURE: ServiceDoc[] = [
  // Council
  doc({
    id: "council:c01",
    name: "Norwich Family Hub Early Help",
    description:
      "Early help for families under pressure: a family support worker, parenting advice and a team around the family.",
    needs: ["FAMILY_STRESS", "PARENTING"],
    referralRoutes: ["SELF", "PARENT", "PROFESSIONAL"],
    deliveryModes: ["IN_PERSON", "TELEPHONE"],
    typicalWaitWeeks: 2,
    contractEndDate: "2026-03-31",
    location: { lat: 52.633, lng: 1.29 },
    postcodes: ["NR2 4AB"],
  }),
  doc({
    id: "council:c02",
    name: "SEND Information, Advice and Support Service",
    description:
      "Impartial advice for parents on special educational needs and disabilities, EHCP applications and tribunals.",
    needs: ["SEND_SUPPORT"],
    ages: [0, 25],
    referralRoutes: ["SELF", "PARENT"],
    deliveryModes: ["TELEPHONE", "ONLINE"],
    typicalWaitWeeks: 1,
    contractEndDate: "2027-03-31",
    location: { lat: 52.625, lng: 1.3 },
    postcodes: ["NR1 3QQ"],
  }),
  doc({
    id: "council:c03",
    name: "Young Carers Project",
    description: "Clubs, trips and one-to-one support for children who look after someone at home.",
    needs: ["YOUNG_CARERS"],
    ages: [8, 18],
    localAuthorities: [BRISTOL],
    referralRoutes: ["SELF", "PARENT", "SCHOOL"],
    typicalWaitWeeks: 4,
    location: { lat: 51.462, lng: -2.578 },
    postcodes: ["BS2 0JA"],
  }),
  doc({
    id: "council:c04",
    name: "Short Breaks for Disabled Children",
    description: "Overnight and day short breaks so parent carers get respite.",
    needs: ["SHORT_BREAKS", "PHYSICAL_DISABILITY"],
    localAuthorities: [NEWPORT],
    free: false,
    referralRoutes: ["SOCIAL_WORKER"],
    typicalWaitWeeks: 12,
    contractEndDate: "2025-12-31",
    location: { lat: 51.5836, lng: -3.0105 },
    postcodes: ["NP20 4UR"],
  }),
  doc({
    id: "council:c05",
    name: "Youth Offending Team",
    description: "Statutory youth justice work, diversion and reparation.",
    needs: ["YOUTH_JUSTICE"],
    ages: [10, 17],
    localAuthorities: [BRISTOL],
    referralRoutes: ["PROFESSIONAL", "SOCIAL_WORKER"],
    acceptingReferrals: false,
    location: { lat: 51.453, lng: -2.593 },
  }),
  doc({
    id: "council:c06",
    name: "School Attendance Support",
    description: "Helps children back into school after absence or exclusion.",
    needs: ["EDUCATION"],
    ages: [5, 16],
    referralRoutes: ["SCHOOL"],
    typicalWaitWeeks: 3,
    contractEndDate: "2026-08-31",
    location: { lat: 52.635, lng: 1.225 },
  }),
  doc({
    id: "council:c07",
    name: "Housing Options for Young People",
    description: "Advice for young people at risk of homelessness; supported lodgings.",
    needs: ["HOUSING", "FINANCIAL_HARDSHIP"],
    ages: [16, 25],
    localAuthorities: [NEWPORT],
    languages: ["en", "cy"],
    referralRoutes: ["SELF", "PROFESSIONAL"],
    deliveryModes: ["IN_PERSON", "ONLINE"],
    location: { lat: 51.5925, lng: -2.9636 },
  }),
  doc({
    id: "council:c08",
    name: "Toy Library",
    description: "Borrow toys and play equipment for babies and toddlers.",
    needs: ["EARLY_YEARS"],
    ages: [0, 4],
    status: "TEMPORARILY_CLOSED",
    referralRoutes: ["SELF", "PARENT"],
    location: { lat: 52.644, lng: 1.293 },
  }),
  doc({
    id: "council:c09",
    name: "Parenting Course (archived)",
    description: "A parenting course that no longer runs.",
    needs: ["PARENTING"],
    status: "INACTIVE",
    localAuthorities: [BRISTOL],
    location: { lat: 51.44, lng: -2.602 },
  }),
  doc({
    id: "council:c10",
    name: "Cymorth i Deuluoedd Family Support",
    description: "Bilingual family support workers for families in Newport.",
    needs: ["FAMILY_STRESS"],
    localAuthorities: [NEWPORT],
    languages: ["cy", "en"],
    referralRoutes: ["SELF", "PARENT", "PROFESSIONAL"],
    deliveryModes: ["HOME_VISIT"],
    typicalWaitWeeks: 2,
    contractEndDate: "2026-03-31",
    location: { lat: 51.5712, lng: -3.0571 },
  }),
  // Charity
  doc({
    id: "charity:h01",
    name: "Bereavement Support for Children",
    description:
      "Grief support for children and young people after the death of a parent or sibling: groups, one-to-one sessions and a helpline.",
    needs: ["BEREAVEMENT", "MENTAL_HEALTH"],
    ages: [5, 18],
    referralRoutes: ["SELF", "PARENT", "PROFESSIONAL"],
    deliveryModes: ["IN_PERSON", "TELEPHONE"],
    typicalWaitWeeks: 3,
    location: { lat: 52.645, lng: 1.295 },
    postcodes: ["NR3 1AB"],
  }),
  doc({
    id: "charity:h02",
    name: "Domestic Abuse Outreach",
    description: "Safety planning and refuge referrals for mothers and children.",
    needs: ["DOMESTIC_ABUSE"],
    localAuthorities: [BRISTOL],
    languages: ["en", "ur", "pl"],
    referralRoutes: ["SELF", "PROFESSIONAL"],
    deliveryModes: ["TELEPHONE", "IN_PERSON"],
    openSlots: openSlotsFor([{ byday: null, opensAt: "00:00", closesAt: "00:00" }]),
    location: { lat: 51.454, lng: -2.5879 },
  }),
  doc({
    id: "charity:h03",
    name: "Autism Parent Support Group",
    description:
      "Monthly peer support for parents of autistic children, before and after diagnosis.",
    needs: ["AUTISM", "PARENTING"],
    referralRoutes: ["SELF", "PARENT"],
    typicalWaitWeeks: 0,
    location: { lat: 52.609, lng: 1.73 },
    postcodes: ["NR30 1AA"],
  }),
  doc({
    id: "charity:h04",
    name: "Young Minds Counselling",
    description:
      "Low-cost counselling for anxiety & low mood. Note: <script>alert('x')</script> \"quotes\" are not HTML.",
    needs: ["MENTAL_HEALTH"],
    ages: [11, 25],
    localAuthorities: [BRISTOL],
    free: false,
    referralRoutes: ["SELF", "GP"],
    deliveryModes: ["ONLINE", "IN_PERSON"],
    typicalWaitWeeks: 6,
    contractEndDate: "2026-01-15",
    location: { lat: 51.464, lng: -2.556 },
  }),
  doc({
    id: "charity:h05",
    name: "Family Food Vouchers",
    description: "Food bank vouchers and benefits advice for families.",
    needs: ["FINANCIAL_HARDSHIP"],
    localAuthorities: [NEWPORT],
    referralRoutes: ["SELF", "PROFESSIONAL"],
    deliveryModes: ["TELEPHONE"],
    location: null,
  }),
  doc({
    id: "charity:h06",
    name: "Substance Use Support for Young People",
    description: "Confidential drug and alcohol support.",
    needs: ["SUBSTANCE_MISUSE"],
    ages: [12, 21],
    referralRoutes: ["SELF", "GP", "SCHOOL"],
    typicalWaitWeeks: 1,
    location: { lat: 52.755, lng: 0.407 },
    postcodes: ["PE30 1AA"],
  }),
  doc({
    id: "charity:h07",
    name: "Dyslexia Drop-in",
    description: "Saturday drop-in with specialist tutors for children with dyslexia.",
    needs: ["LEARNING_DIFFICULTY"],
    ages: [6, 16],
    localAuthorities: [BRISTOL],
    free: false,
    referralRoutes: ["PARENT"],
    openSlots: openSlotsFor([{ byday: "SA", opensAt: "10:00", closesAt: "14:00" }]),
    location: { lat: 51.412, lng: -2.62 },
  }),
  doc({
    id: "charity:h08",
    name: "Missing from Home Service",
    description: "Return home interviews and exploitation support.",
    needs: ["EXPLOITATION", "SAFEGUARDING"],
    ages: [10, 18],
    referralRoutes: ["PROFESSIONAL", "SOCIAL_WORKER"],
    location: { lat: 52.62, lng: 1.31 },
  }),
  doc({
    id: "charity:h09",
    name: "Deaf Children's Play Sessions",
    description: "Signing play sessions for deaf babies and toddlers.",
    needs: ["SENSORY_IMPAIRMENT", "EARLY_YEARS"],
    ages: [0, 5],
    localAuthorities: [NEWPORT],
    languages: ["en", "bfi"],
    referralRoutes: ["SELF", "PARENT"],
    openSlots: openSlotsFor([{ byday: "SA,SU", opensAt: "10:00", closesAt: "12:00" }]),
    location: { lat: 51.6092, lng: -2.9374 },
  }),
  doc({
    id: "charity:h10",
    name: "Bereavement Cafe",
    description: "A bereavement cafe that has closed.",
    needs: ["BEREAVEMENT"],
    status: "DEFUNCT",
    location: { lat: 52.6322, lng: 1.2816 },
  }),
  // Health
  doc({
    id: "health:n01",
    name: "CAMHS Norfolk",
    description:
      "Specialist child and adolescent mental health services for children with severe anxiety, depression or self-harm.",
    needs: ["MENTAL_HEALTH"],
    referralRoutes: ["GP", "SCHOOL", "PROFESSIONAL"],
    typicalWaitWeeks: 18,
    contractEndDate: "2028-03-31",
    location: { lat: 52.63, lng: 1.28 },
    postcodes: ["NR2 3TT"],
  }),
  doc({
    id: "health:n02",
    name: "Children's Speech and Language Therapy",
    description:
      "Speech and language therapy assessments and clinics for children with communication difficulties.",
    needs: ["SPEECH_LANGUAGE"],
    ages: [0, 16],
    localAuthorities: [BRISTOL],
    referralRoutes: ["PARENT", "GP"],
    typicalWaitWeeks: 10,
    location: { lat: 51.44, lng: -2.6 },
  }),
  doc({
    id: "health:n03",
    name: "Health Visiting Team",
    description: "Health visitors support families from pregnancy until a child starts school.",
    needs: ["EARLY_YEARS", "PERINATAL"],
    ages: [0, 5],
    referralRoutes: ["SELF", "PARENT", "GP"],
    deliveryModes: ["HOME_VISIT", "IN_PERSON"],
    location: { lat: 52.634, lng: 1.22 },
  }),
  doc({
    id: "health:n04",
    name: "School Nursing",
    description: "School nurses offer drop-ins on health and wellbeing.",
    needs: ["PHYSICAL_HEALTH", "MENTAL_HEALTH"],
    ages: [5, 19],
    localAuthorities: [NEWPORT],
    languages: ["en", "cy"],
    referralRoutes: ["SELF", "SCHOOL"],
    location: { lat: 51.59, lng: -2.99 },
  }),
  doc({
    id: "health:n05",
    name: "Community Paediatrics",
    description: "Assessment of developmental concerns, ADHD and autism.",
    needs: ["PHYSICAL_HEALTH", "ADHD", "AUTISM"],
    localAuthorities: [BRISTOL],
    referralRoutes: ["GP"],
    typicalWaitWeeks: 30,
    contractEndDate: "2025-09-30",
    location: { lat: 51.455, lng: -2.59 },
  }),
  doc({
    id: "health:n06",
    name: "Neurodevelopmental Assessment",
    description:
      "Diagnostic pathway for attention deficit hyperactivity disorder and autism spectrum disorder.",
    needs: ["ADHD", "AUTISM"],
    ages: [5, 17],
    referralRoutes: ["GP", "SCHOOL"],
    acceptingReferrals: false,
    typicalWaitWeeks: 52,
    location: { lat: 52.646, lng: 1.29 },
  }),
  doc({
    id: "health:n07",
    name: "Perinatal Mental Health Team",
    description:
      "Support for parents with mental health difficulties in pregnancy and the first year.",
    needs: ["PERINATAL", "MENTAL_HEALTH"],
    ages: [0, 1],
    localAuthorities: [NEWPORT],
    referralRoutes: ["GP", "PROFESSIONAL"],
    location: { lat: 51.5842, lng: -2.9977 },
  }),
  doc({
    id: "health:n08",
    name: "Children's Wheelchair Service",
    description: "Wheelchair assessment, provision and repairs.",
    needs: ["PHYSICAL_DISABILITY"],
    localAuthorities: [BRISTOL],
    referralRoutes: ["GP", "PROFESSIONAL"],
    typicalWaitWeeks: 8,
    location: { lat: 51.46, lng: -2.58 },
  }),
  doc({
    id: "health:n09",
    name: "Young People's Sexual Health Clinic",
    description: "Evening clinic for contraception and sexual health.",
    needs: ["PHYSICAL_HEALTH"],
    ages: [13, 25],
    referralRoutes: ["SELF"],
    openSlots: openSlotsFor([{ byday: "TU", opensAt: "18:00", closesAt: "21:00" }]),
    location: { lat: 52.624, lng: 1.306 },
  }),
  doc({
    id: "health:n10",
    name: "Bereavement Nurse Specialist",
    description: "Support for children facing the death of someone close, in hospital and at home.",
    needs: ["BEREAVEMENT"],
    localAuthorities: [BRISTOL],
    referralRoutes: ["PROFESSIONAL"],
    location: { lat: 51.458, lng: -2.59 },
  }),
];

export const fixtureDoc = (id: string): ServiceDoc => {
  const d = FIXTURE.find((x) => x.id === id);
  if (!d) throw new Error(`no fixture ${id}`);
  return structuredClone(d);
};

/**
 * The obvious implementation of everything but text: used as the oracle for filters, facets,
 * distance and ordering. Deliberately shares no code with the backends except sort-key helpers.
 */
export function reference(docs: ServiceDoc[], req: Omit<SearchRequest, "query">) {
  const f = req.filter ?? {};
  const anyOf = (have: string[], want: string[] | undefined) =>
    want === undefined || want.length === 0 || want.some((w) => have.includes(w));
  const statuses = f.statuses ?? DEFAULT_STATUSES;
  const slot = f.openAt ? slotsForOpenAt(f.openAt) : undefined;
  let out = docs
    .filter((d) => statuses.length === 0 || statuses.includes(d.status))
    .filter((d) => anyOf([d.partner], f.partners))
    .filter((d) => anyOf(d.localAuthorities, f.localAuthorities))
    .filter((d) =>
      f.needsMatch === "ALL" && f.needs?.length
        ? f.needs.every((n) => d.needs.includes(n))
        : anyOf(d.needs, f.needs),
    )
    .filter((d) => anyOf(d.referralRoutes, f.referralRoutes))
    .filter((d) => anyOf(d.languages, f.languages))
    .filter((d) => anyOf(d.deliveryModes, f.deliveryModes))
    .filter((d) => !f.freeOnly || d.free)
    .filter(
      (d) => f.acceptingReferrals === undefined || d.acceptingReferrals === f.acceptingReferrals,
    )
    .filter((d) => slot === undefined || (slot !== null && d.openSlots.includes(slot)))
    .filter((d) => f.ids === undefined || f.ids.includes(d.id))
    .filter((d) => f.age === undefined || (d.minAge <= f.age && f.age <= d.maxAge))
    .filter((d) => anyOf([d.organizationId], f.organizations))
    .filter(
      (d) =>
        f.modifiedSince === undefined || Date.parse(d.lastModified) >= Date.parse(f.modifiedSince),
    )
    .filter((d) => {
      const w = f.ageRangeWithin;
      return (
        (w?.minimumAge === undefined || d.minAge >= w.minimumAge) &&
        (w?.maximumAge === undefined || (d.maxAgeStated && d.maxAge <= w.maximumAge))
      );
    })
    .filter((d) => {
      // The ORUK API's words, as strings: a session on the day starting at or after start_time
      // and ending at or before end_time.
      const q = f.session;
      if (!q || (!q.day && !q.startsAtOrAfter && !q.endsAtOrBefore)) return true;
      return d.schedules.some(
        (x) =>
          (!q.day || x.byDay.some((day) => day.endsWith(q.day!))) &&
          (!q.startsAtOrAfter ||
            (x.opensAt !== null && x.opensAt.slice(0, 5) >= q.startsAtOrAfter)) &&
          (!q.endsAtOrBefore ||
            (x.closesAt !== null && x.closesAt.slice(0, 5) <= q.endsAtOrBefore)),
      );
    })
    .filter((d) => anyOf(d.taxonomyTerms, f.taxonomyTerms))
    .filter((d) => anyOf(d.taxonomies, f.taxonomies))
    .filter((d) =>
      anyOf(
        d.locationIds.map((l) => uuidFor(`service_at_location:${d.id.split(":")[1]}:${l}`)),
        f.serviceAtLocations,
      ),
    )
    .filter((d) => f.minLocations === undefined || d.locationIds.length >= f.minLocations)
    .filter(
      (d) =>
        f.maxWaitWeeks === undefined ||
        d.typicalWaitWeeks === null ||
        d.typicalWaitWeeks <= f.maxWaitWeeks,
    )
    .filter((d) => {
      const w = f.contractEnd;
      if (!w || (w.onOrAfter === undefined && w.onOrBefore === undefined)) return true;
      if (d.contractEndDate === null) return w.onOrBefore === undefined;
      return (
        (w.onOrAfter === undefined || d.contractEndDate >= w.onOrAfter) &&
        (w.onOrBefore === undefined || d.contractEndDate <= w.onOrBefore)
      );
    })
    .filter((d) => {
      const at = f.reachableFrom;
      if (!at || !d.location) return true;
      if (d.deliveryModes.some((m) => ["ONLINE", "TELEPHONE", "HOME_VISIT"].includes(m)))
        return true;
      return haversineKm(at.lat, at.lng, d.location.lat, d.location.lng) <= at.radiusKm;
    })
    .map((d) => ({
      doc: d,
      distanceKm:
        req.near && d.location
          ? haversineKm(req.near.lat, req.near.lng, d.location.lat, d.location.lng)
          : null,
    }))
    .filter((x) => !req.near || (x.distanceKm !== null && x.distanceKm <= req.near.radiusKm));
  const byId = (a: { doc: ServiceDoc }, b: { doc: ServiceDoc }) => (a.doc.id < b.doc.id ? -1 : 1);
  const sort =
    req.sort === "DISTANCE" && req.near
      ? "DISTANCE"
      : req.sort === "WAIT" || req.sort === "CONTRACT_END"
        ? req.sort
        : "NAME";
  out = out.sort((a, b) => {
    if (sort === "DISTANCE") return a.distanceKm! - b.distanceKm! || byId(a, b);
    if (sort === "WAIT")
      return (
        (a.doc.typicalWaitWeeks ?? Infinity) - (b.doc.typicalWaitWeeks ?? Infinity) || byId(a, b)
      );
    if (sort === "CONTRACT_END") {
      const ka = a.doc.contractEndDate ?? "9999";
      const kb = b.doc.contractEndDate ?? "9999";
      return ka < kb ? -1 : ka > kb ? 1 : byId(a, b);
    }
    const ka = nameSortKey(a.doc.name);
    const kb = nameSortKey(b.doc.name);
    return ka < kb ? -1 : ka > kb ? 1 : byId(a, b);
  });
  const facet = (values: (d: ServiceDoc) => string[]) => {
    const counts = new Map<string, number>();
    for (const { doc: d } of out)
      for (const v of new Set(values(d))) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .map(([value, count]) => ({ value, count }));
  };
  return {
    ids: out.map((x) => x.doc.id),
    distances: out.map((x) => x.distanceKm),
    facets: {
      needs: facet((d) => d.needs),
      partner: facet((d) => [d.partner]),
      localAuthorities: facet((d) => d.localAuthorities),
      ageBands: facet((d) => d.ageBands),
      cost: facet((d) => [d.free ? "free" : "paid"]),
      referralRoutes: facet((d) => d.referralRoutes),
      languages: facet((d) => d.languages),
      deliveryModes: facet((d) => d.deliveryModes),
      locationCount: facet((d) => [String(d.locationIds.length)]),
    },
  };
}
