// Search (/): keywords and a postcode or place, distance, filters with facet counts, paging. A GET
// form, so it works without JavaScript and a search can be bookmarked or shared.
import type { PageContext, Rendered } from "../server.ts";
import {
  AGE_BAND_LABELS,
  COST_LABELS,
  DAY_LABELS,
  DELIVERY_LABELS,
  PARTNER_LABELS,
  REFERRAL_LABELS,
  SORT_LABELS,
  languageLabel,
  partnerLabel,
} from "../labels.ts";
import {
  Errors,
  addApiErrors,
  ageText,
  offlineBanner,
  otherErrors,
  safeHighlight,
  NEEDS_QUERY,
  type NeedInfo,
} from "./common.ts";
import { Gazetteer, type PlaceArea, type PlaceInQuery } from "../places.ts";

const PAGE_SIZE = 10;
const POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$/i;
const RADII = [1, 3, 5, 10, 20, 50, 100];

const SEARCH = /* GraphQL */ `
  query WebSearch(
    $query: String
    $near: NearInput
    $filter: ServiceFilter
    $first: Int!
    $after: String
    $sort: SearchSort!
  ) {
    searchServices(
      query: $query
      near: $near
      filter: $filter
      first: $first
      after: $after
      sort: $sort
    ) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      facets {
        needs {
          value
          count
        }
        partner {
          value
          count
        }
        ageBand {
          value
          count
        }
        cost {
          value
          count
        }
        referralRoute {
          value
          count
        }
        language {
          value
          count
        }
        deliveryMode {
          value
          count
        }
      }
      edges {
        cursor
        distanceKm
        highlight
        stale
        node {
          id
          name
          partner
          description
          status
          organization {
            name
          }
          ageRange {
            minimumAge
            maximumAge
          }
          needs
          capacity {
            acceptingReferrals
            typicalWaitWeeks
          }
          locations {
            name
            area
          }
          deliveryModes
        }
      }
    }
    partnerStatus {
      partner
      stale
    }
  }
`;

const FIELDS: Record<string, string> = {
  "near.postcode": "where",
  postcode: "where",
  "near.radiusKm": "radius",
  radiusKm: "radius",
  "filter.age": "age",
  age: "age",
  "filter.openAt.time": "time",
  time: "time",
  query: "q",
  sort: "sort",
};

export async function searchPage(ctx: PageContext): Promise<Rendered> {
  const p = ctx.url.searchParams;
  const all = (k: string) => p.getAll(k).filter(Boolean);
  const values = {
    q: (p.get("q") ?? "").trim(),
    where: (p.get("where") ?? "").trim(),
    radius: p.get("radius") ?? "10",
    sort: p.get("sort") ?? "RELEVANCE",
    age: (p.get("age") ?? "").trim(),
    day: p.get("day") ?? "",
    time: (p.get("time") ?? "").trim(),
    needs: all("need"),
    partners: all("partner"),
    referral: all("referral"),
    language: all("language"),
    mode: all("mode"),
    free: p.get("free") === "yes",
    anywhere: p.get("anywhere") === "yes",
    accepting: p.get("accepting") === "yes",
  };
  const errors = new Errors();
  const [vocab, areas] = await Promise.all([
    ctx.ask<{ needs: NeedInfo[] }>(`{ ${NEEDS_QUERY} }`),
    ctx.ask<{ localAuthorities: PlaceArea[] }>(/* GraphQL */ `
      {
        localAuthorities {
          code
          name
          nameWelsh
        }
      }
    `),
  ]);
  const gazetteer = new Gazetteer(areas.data?.localAuthorities ?? []);
  const needLabel = Object.fromEntries((vocab.data?.needs ?? []).map((n) => [n.code, n.label]));

  // The "where" box takes a postcode or a place: a postcode searches a radius around it, an
  // authority's name (or the short name people use, web/places.ts) filters to it, and any other
  // place name joins the keywords. Without one, a place named in the keywords ("norwich family
  // hub") is the area, unless the searcher asked for every area.
  let near: Record<string, unknown> | undefined;
  let query = values.q;
  const filter: Record<string, unknown> = {};
  let placed: PlaceInQuery | null = null;
  if (values.where) {
    const area = gazetteer.lookup(values.where);
    if (POSTCODE.test(values.where))
      near = { postcode: values.where, radiusKm: Number(values.radius) || 10 };
    else if (area) filter.localAuthorities = [area.code];
    else query = `${query} ${values.where}`.trim();
  } else if (values.q && !values.anywhere) {
    placed = gazetteer.find(values.q);
    if (placed) filter.localAuthorities = [placed.area.code];
  }
  if (!RADII.includes(Number(values.radius)))
    errors.add("radius", "Choose a distance from the list");
  if (values.age) {
    const n = Number(values.age);
    if (!/^\d{1,2}$/.test(values.age) || n > 25)
      errors.add("age", "Enter the child's age as a whole number of years, from 0 to 25");
    else filter.age = n;
  }
  if (values.time && !/^([01]\d|2[0-3]):[0-5]\d$/.test(values.time))
    errors.add("time", "Enter a time in 24-hour format, like 17:30");
  if (values.time && !values.day) errors.add("day", "Choose a day to go with the time");
  if (values.day) {
    if (!DAY_LABELS[values.day]) errors.add("day", "Choose a day from the list");
    else filter.openAt = { day: values.day, ...(values.time ? { time: values.time } : {}) };
  }
  if (values.sort === "DISTANCE" && !near)
    errors.add("sort", "Enter a postcode to sort by distance");
  if (!SORT_LABELS[values.sort]) errors.add("sort", "Choose an order from the list");
  if (values.needs.length) filter.needs = values.needs;
  if (values.partners.length) filter.partners = values.partners;
  if (values.referral.length) filter.referralRoutes = values.referral;
  if (values.language.length) filter.languages = values.language;
  if (values.mode.length) filter.deliveryModes = values.mode;
  if (values.free) filter.freeOnly = true;
  if (values.accepting) filter.acceptingReferrals = true;

  const after = p.get("after") || undefined;
  const trail = (p.get("trail") ?? "").split(",").filter(Boolean);
  let result: Awaited<ReturnType<typeof runSearch>> | null = null;
  let banner = null;
  let stale: string[] = [];
  if (!errors.any) {
    const search = (text: string) =>
      runSearch(ctx, {
        query: text || undefined,
        near,
        filter,
        first: PAGE_SIZE,
        after,
        sort: values.sort,
      });
    result = await search(query);
    // The place's name counts as a word first (services that name Norwich come before the rest of
    // Norfolk's); when no service in the area names it, it is only the area.
    if (placed && result.data?.searchServices.totalCount === 0 && !result.errors.length)
      result = await search(placed.rest);
    addApiErrors(errors, result.errors, FIELDS);
    const other = otherErrors(result.errors);
    if (other.length && !result.data)
      errors.add(undefined, "The search could not be completed. Try again.");
    // Results show the directory's copy even while a partner is down (no partner error then), so
    // the directory's own view of who is unreachable names them too.
    banner = offlineBanner(
      result.errors,
      (result.data?.partnerStatus ?? []).filter((s) => s.stale).map((s) => s.partner),
    );
    stale = (result.data?.partnerStatus ?? [])
      .filter((s) => s.stale)
      .map((s) => partnerLabel(s.partner));
  }
  const conn = errors.any ? null : (result?.data?.searchServices ?? null);
  const facets = conn?.facets;
  const count = (list: { value: string; count: number }[] | undefined, v: string) =>
    list?.find((f) => f.value.toLowerCase() === v.toLowerCase())?.count ?? 0;
  const items = (
    labels: Record<string, string>,
    list: { value: string; count: number }[] | undefined,
    chosen: string[],
    keepZero = true,
  ) =>
    Object.entries(labels)
      .map(([value, label]) => ({
        value,
        text: `${label} (${count(list, value)})`,
        checked: chosen.includes(value),
        n: count(list, value),
      }))
      .filter((i) => keepZero || i.n > 0 || i.checked);

  const needItems = (vocab.data?.needs ?? [])
    .map((n) => ({
      value: n.code,
      text: `${n.label} (${count(facets?.needs, n.code)})`,
      checked: values.needs.includes(n.code),
      n: count(facets?.needs, n.code),
    }))
    .filter((i) => i.n > 0 || i.checked);
  const languageCodes = [
    ...new Set([...(facets?.language ?? []).map((l) => l.value), ...values.language]),
  ];
  const languageItems = languageCodes.map((c) => ({
    value: c,
    text: `${languageLabel(c)} (${count(facets?.language, c)})`,
    checked: values.language.includes(c),
  }));

  // Paging by cursor: `trail` keeps the cursors of earlier pages so "Previous" needs no server state.
  const base = new URLSearchParams(p);
  base.delete("after");
  base.delete("trail");
  const pageNumber = after ? trail.length + 2 : 1;
  const link = (cursor: string | undefined, t: string[]) => {
    const u = new URLSearchParams(base);
    if (cursor) u.set("after", cursor);
    if (t.length) u.set("trail", t.join(","));
    return `/?${u}`;
  };
  const next = conn?.pageInfo.hasNextPage
    ? link(conn.pageInfo.endCursor ?? undefined, after ? [...trail, after] : [])
    : null;
  const previous = after ? link(trail.at(-1), trail.slice(0, -1)) : null;

  const searched = [...p.keys()].length > 0;
  return {
    template: "search.njk",
    data: {
      values,
      searched,
      errorSummary: errors.summary(),
      fieldErrors: errors.byField(),
      banner,
      stale,
      total: conn?.totalCount ?? 0,
      pageNumber,
      pages: conn ? Math.max(1, Math.ceil(conn.totalCount / PAGE_SIZE)) : 0,
      next,
      previous,
      place: placed
        ? {
            name: placed.area.name,
            matched: placed.matched,
            everywhere: `/?${new URLSearchParams({ q: values.q, anywhere: "yes" })}`,
          }
        : null,
      results: (conn?.edges ?? []).map((e) => ({
        missing: !e.node,
        stale: e.stale,
        distanceKm: e.distanceKm,
        highlight: safeHighlight(e.highlight),
        ...(e.node
          ? {
              id: e.node.id,
              href: `/services/${encodeURIComponent(e.node.id)}`,
              name: e.node.name,
              partner: e.node.partner,
              organization: e.node.organization?.name,
              description: e.node.description,
              ages: ageText(e.node.ageRange),
              needs: e.node.needs.map((n) => needLabel[n] ?? n),
              accepting: e.node.capacity.acceptingReferrals,
              wait: e.node.capacity.typicalWaitWeeks,
              area:
                e.node.locations.map((l) => l.area).filter(Boolean)[0] ??
                (e.node.deliveryModes.includes("ONLINE") ? "Online" : null),
              status: e.node.status,
            }
          : {}),
      })),
      filters: {
        needs: needItems,
        age: values.age,
        cost: items({ free: `Free only` }, facets?.cost, values.free ? ["free"] : []),
        partners: items(PARTNER_LABELS, facets?.partner, values.partners),
        referral: items(REFERRAL_LABELS, facets?.referralRoute, values.referral, false),
        language: languageItems,
        mode: items(DELIVERY_LABELS, facets?.deliveryMode, values.mode, false),
        ageBands: Object.entries(AGE_BAND_LABELS).map(([v, l]) => ({
          label: l,
          count: count(facets?.ageBand, v),
        })),
        costCounts: Object.entries(COST_LABELS).map(([v, l]) => ({
          label: l,
          count: count(facets?.cost, v),
        })),
      },
      radii: RADII.map((r) => ({
        value: String(r),
        text: `Within ${r} km`,
        selected: String(r) === values.radius,
      })),
      sorts: Object.entries(SORT_LABELS).map(([v, t]) => ({
        value: v,
        text: t,
        selected: v === values.sort,
      })),
      days: [
        { value: "", text: "Any day" },
        ...Object.entries(DAY_LABELS).map(([v, t]) => ({
          value: v,
          text: t,
          selected: v === values.day,
        })),
      ],
    },
  };
}

type SearchData = {
  searchServices: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    facets: Record<string, { value: string; count: number }[]>;
    edges: {
      cursor: string;
      distanceKm: number | null;
      highlight: string | null;
      stale: boolean;
      node: null | {
        id: string;
        name: string;
        partner: string;
        description: string;
        status: string;
        organization: { name: string } | null;
        ageRange: { minimumAge: number | null; maximumAge: number | null };
        needs: string[];
        capacity: { acceptingReferrals: boolean; typicalWaitWeeks: number | null };
        locations: { name: string | null; area: string | null }[];
        deliveryModes: string[];
      };
    }[];
  };
  partnerStatus: { partner: string; stale: boolean }[];
};

function runSearch(ctx: PageContext, variables: Record<string, unknown>) {
  return ctx.ask<SearchData>(SEARCH, variables);
}
