// Route a child (/route): a POST form (the profile never enters a URL), and the plan per need. The
// profile is held only for the length of the request: not in the session, a cookie or a log.
import type { PageContext, Rendered } from "../server.ts";
import { STATUS_LABELS, languageLabel, partnerLabel } from "../labels.ts";
import {
  Errors,
  addApiErrors,
  groupNeeds,
  offlineBanner,
  otherErrors,
  NEEDS_QUERY,
  type NeedInfo,
} from "./common.ts";

const ROUTE = /* GraphQL */ `
  query WebRoute($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
            partner
            organization {
              name
            }
          }
          coversNeeds
          reasons
          distanceKm
          referralRoutes
          acceptingReferrals
          typicalWaitWeeks
          contractEndDate
          stale
        }
        gaps {
          kind
          need
          blocking
          message
          nearestAge
          nearestDistanceKm
          partners
          serviceIds
        }
      }
      level {
        level
        label
        reason
      }
      leadAgency {
        partner
        reason
      }
      offlinePartners
    }
  }
`;

const FORM_DATA = /* GraphQL */ `{
  ${NEEDS_QUERY}
  localAuthorities { code name }
  searchServices(first: 1) { facets { language { value count } } }
}`;

const FIELDS: Record<string, string> = {
  "profile.postcode": "postcode",
  "profile.localAuthority": "localAuthority",
  "profile.age": "age",
  "profile.dateOfBirth": "dob-day",
  "profile.needs": "need",
  "profile.maxTravelKm": "maxTravelKm",
  "profile.languages": "language",
};

interface FormValues {
  age: string;
  dobDay: string;
  dobMonth: string;
  dobYear: string;
  needs: string[];
  postcode: string;
  localAuthority: string;
  languages: string[];
  senProvision: string;
  referral: string;
  maxTravelKm: string;
  urgency: string;
}

const EMPTY: FormValues = {
  age: "",
  dobDay: "",
  dobMonth: "",
  dobYear: "",
  needs: [],
  postcode: "",
  localAuthority: "",
  languages: [],
  senProvision: "NONE",
  referral: "PROFESSIONAL_REFERRAL",
  maxTravelKm: "",
  urgency: "ROUTINE",
};

async function formData(ctx: PageContext) {
  const res = await ctx.ask<{
    needs: NeedInfo[];
    localAuthorities: { code: string; name: string }[];
    searchServices: { facets: { language: { value: string }[] } };
  }>(FORM_DATA);
  const needs = res.data?.needs ?? [];
  return {
    needs,
    groups: groupNeeds(needs),
    areas: [...(res.data?.localAuthorities ?? [])].sort((a, b) => a.name.localeCompare(b.name)),
    languages: (res.data?.searchServices.facets.language ?? [])
      .map((l) => l.value)
      .filter((c) => c !== "en"),
  };
}

function view(
  form: Awaited<ReturnType<typeof formData>>,
  values: FormValues,
  errors: Errors,
  extra: Record<string, unknown> = {},
) {
  return {
    title: "Route a child",
    values,
    errorSummary: errors.summary(),
    fieldErrors: errors.byField(),
    needGroups: form.groups.map((g) => ({
      group: g.group,
      items: g.needs.map((n) => ({
        value: n.code,
        text: n.label,
        checked: values.needs.includes(n.code),
      })),
    })),
    areas: [
      { value: "", text: "Choose an area" },
      ...form.areas.map((a) => ({
        value: a.code,
        text: a.name,
        selected: a.code === values.localAuthority,
      })),
    ],
    languages: form.languages.map((c) => ({
      value: c,
      text: languageLabel(c),
      checked: values.languages.includes(c),
    })),
    ...extra,
  };
}

export async function routeForm(ctx: PageContext): Promise<Rendered> {
  return {
    template: "route.njk",
    data: view(await formData(ctx), EMPTY, new Errors()),
    sensitive: true,
  };
}

export async function routePlan(ctx: PageContext): Promise<Rendered> {
  const f = ctx.form!;
  const values: FormValues = {
    age: (f.get("age") ?? "").trim(),
    dobDay: (f.get("dob-day") ?? "").trim(),
    dobMonth: (f.get("dob-month") ?? "").trim(),
    dobYear: (f.get("dob-year") ?? "").trim(),
    needs: f.getAll("need").filter(Boolean),
    postcode: (f.get("postcode") ?? "").trim(),
    localAuthority: f.get("localAuthority") ?? "",
    languages: f.getAll("language").filter(Boolean),
    senProvision: f.get("senProvision") ?? "NONE",
    referral: f.get("referral") ?? "PROFESSIONAL_REFERRAL",
    maxTravelKm: (f.get("maxTravelKm") ?? "").trim(),
    urgency: f.get("urgency") ?? "ROUTINE",
  };
  const form = await formData(ctx);
  const errors = new Errors();
  const profile: Record<string, unknown> = {
    needs: values.needs,
    senProvision: values.senProvision,
    referral: values.referral,
    urgency: values.urgency,
  };
  const dobGiven = values.dobDay || values.dobMonth || values.dobYear;
  if (values.age) {
    if (!/^\d{1,2}$/.test(values.age) || Number(values.age) > 25)
      errors.add("age", "Enter the child's age as a whole number of years, from 0 to 25");
    else profile.age = Number(values.age);
  } else if (dobGiven) {
    const [d, m, y] = [values.dobDay, values.dobMonth, values.dobYear].map(Number);
    const date = new Date(Date.UTC(y!, m! - 1, d!));
    if (!/^\d{4}$/.test(values.dobYear) || date.getUTCDate() !== d || date.getUTCMonth() !== m! - 1)
      errors.add("dob-day", "Date of birth must be a real date, like 27 3 2015");
    else if (date.getTime() > Date.now())
      errors.add("dob-day", "Date of birth must be in the past");
    else profile.dateOfBirth = date.toISOString().slice(0, 10);
  } else errors.add("age", "Enter the child's age or date of birth");
  if (!values.needs.length) errors.add("need", "Choose at least one need");
  if (!values.postcode && !values.localAuthority)
    errors.add("postcode", "Enter the child's home postcode or choose their area");
  if (values.postcode) profile.postcode = values.postcode;
  if (values.localAuthority) profile.localAuthority = values.localAuthority;
  if (values.languages.length) profile.languages = values.languages;
  if (values.maxTravelKm) {
    const km = Number(values.maxTravelKm);
    if (!Number.isFinite(km) || km <= 0 || km > 500)
      errors.add("maxTravelKm", "Enter how far the family can travel in kilometres, from 1 to 500");
    else profile.maxTravelKm = km;
  }
  if (errors.any)
    return {
      status: 400,
      template: "route.njk",
      data: view(form, values, errors),
      sensitive: true,
    };

  const res = await ctx.ask<{ routeChild: Plan }>(ROUTE, { profile });
  addApiErrors(errors, res.errors, FIELDS);
  if (!res.data?.routeChild && !errors.any)
    errors.add(
      undefined,
      otherErrors(res.errors)[0]?.message ?? "The plan could not be made. Try again.",
    );
  if (errors.any || !res.data)
    return {
      status: 400,
      template: "route.njk",
      data: view(form, values, errors),
      sensitive: true,
    };

  const plan = res.data.routeChild;
  const labelOf = Object.fromEntries(form.needs.map((n) => [n.code, n.label]));
  const offline = offlineBanner(res.errors, plan.offlinePartners);
  // Services meeting several of the child's needs come first: one referral instead of several.
  const multi = new Map<string, { service: RoutedService; needs: string[] }>();
  for (const n of plan.needs)
    for (const s of n.services)
      if (s.service && s.coversNeeds.length > 1)
        multi.set(s.service.id, { service: s, needs: s.coversNeeds.map((c) => labelOf[c] ?? c) });
  const area = form.areas.find((a) => a.code === values.localAuthority)?.name;
  return {
    template: "route.njk",
    sensitive: true,
    data: view(form, values, errors, {
      plan: {
        level: plan.level,
        leadAgency: plan.leadAgency
          ? { partner: partnerLabel(plan.leadAgency.partner), reason: plan.leadAgency.reason }
          : null,
        multi: [...multi.values()],
        needs: plan.needs.map((n) => ({
          need: n.need,
          label: labelOf[n.need] ?? n.need,
          status: n.status,
          statusLabel: STATUS_LABELS[n.status] ?? n.status.toLowerCase().replace(/_/g, " "),
          notChecked: n.status === "UNKNOWN" || n.gaps.some((g) => g.kind === "PARTNER_OFFLINE"),
          services: n.services.map((s) => ({
            ...s,
            href: s.service ? `/services/${encodeURIComponent(s.service.id)}` : null,
            alsoCovers: s.coversNeeds.filter((c) => c !== n.need).map((c) => labelOf[c] ?? c),
          })),
          gaps: n.gaps.map((g) => ({
            ...g,
            // Gap kinds are shown by their API name in words, so kinds added later need no change here.
            title: g.kind.charAt(0) + g.kind.slice(1).toLowerCase().replace(/_/g, " "),
            alternatives: g.serviceIds.map((id) => ({
              id,
              href: `/services/${encodeURIComponent(id)}`,
            })),
            partnerNames: g.partners.map(partnerLabel),
          })),
        })),
        summary: {
          who: values.age ? `Age ${values.age}` : `Born ${profile.dateOfBirth}`,
          where: [values.postcode.toUpperCase(), area].filter(Boolean).join(", "),
          needs: values.needs.map((c) => labelOf[c] ?? c),
        },
        made: new Date().toLocaleString("en-GB", {
          dateStyle: "long",
          timeStyle: "short",
          timeZone: "Europe/London",
        }),
      },
      banner: offline,
      bannerText: offline
        ? "Its services could not be checked: the needs it might meet are marked as not checked. Check with the partner directly or plan again later."
        : undefined,
    }),
  };
}

interface RoutedService {
  service: {
    id: string;
    name: string;
    partner: string;
    organization: { name: string } | null;
  } | null;
  coversNeeds: string[];
  reasons: string[];
  distanceKm: number | null;
  referralRoutes: string[];
  acceptingReferrals: boolean;
  typicalWaitWeeks: number | null;
  contractEndDate: string | null;
  stale: boolean;
}
interface Plan {
  needs: {
    need: string;
    status: string;
    services: RoutedService[];
    gaps: {
      kind: string;
      need: string;
      blocking: boolean;
      message: string;
      nearestAge: number | null;
      nearestDistanceKm: number | null;
      partners: string[];
      serviceIds: string[];
    }[];
  }[];
  level: { level: number; label: string; reason: string };
  leadAgency: { partner: string; reason: string } | null;
  offlinePartners: string[];
}
