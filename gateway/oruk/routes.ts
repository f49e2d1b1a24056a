// The ORUK / HSDS 3.0 read API under /oruk/, answered by running GraphQL operations through the
// gateway's own Apollo server with the caller's claims, so the same access rules and masking apply
// as to /graphql (a confidential location leaves only with the professional scope).
import { createHash } from "node:crypto";
import type http from "node:http";
import type { Route } from "../../platform/http.ts";
import {
  NEEDS_TAXONOMY,
  needTerm,
  organizationRecord,
  ownId,
  serviceRecord,
  uuidFor,
  type NeedInfo,
} from "./hsds.ts";

type Obj = Record<string, unknown>;

export interface GraphQLAnswer {
  data?: Obj | null;
  errors?: readonly { message: string; path?: readonly (string | number)[] }[];
}

/** Runs one operation as the caller: the gateway passes its own Apollo executeOperation. */
export type Execute = (
  req: http.IncomingMessage,
  query: string,
  variables: Obj,
) => Promise<GraphQLAnswer>;

/** The caller may see professional-only fields (decides which selection is asked for). */
export type IsProfessional = (req: http.IncomingMessage) => Promise<boolean>;

const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 50;
const STATUSES = ["ACTIVE", "TEMPORARILY_CLOSED", "INACTIVE"];

const LOCATION = /* GraphQL */ `id name description locationType confidential latitude longitude
  address { address1 city region postalCode country }`;
const SERVICE_FIELDS = (pro: boolean) => /* GraphQL */ `
  partner id hsdsId name alternateName description status url email applicationProcess fees
  eligibilityDescription alert lastModified needs referralRoutes deliveryModes
  ageRange { minimumAge maximumAge }
  capacity { acceptingReferrals typicalWaitWeeks updatedAt }
  funding { contractEndDate funder }
  organization { id name description url email }
  locations { ${LOCATION} ${pro ? "exact { latitude longitude address { address1 city region postalCode country } }" : ""} }
  serviceAreas { code name }
  schedules { id freq byDay opensAt closesAt description }
  costOptions { id option amount currency amountDescription }
  contacts { id name title email phone }
  languages { name code }
  taxonomyTerms { id code name vocabulary }
  ${pro ? "referralNotes professionalContacts { id name title email phone }" : ""}`;

const SEARCH = (pro: boolean) => /* GraphQL */ `
  query OrukServices($first: Int!, $after: String, $query: String, $filter: ServiceFilter, $near: NearInput) {
    searchServices(first: $first, after: $after, query: $query, filter: $filter, near: $near, sort: NAME) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ${SERVICE_FIELDS(pro)} } }
    }
  }`;
const SKIP = /* GraphQL */ `
  query OrukSkip(
    $first: Int!
    $after: String
    $query: String
    $filter: ServiceFilter
    $near: NearInput
  ) {
    searchServices(
      first: $first
      after: $after
      query: $query
      filter: $filter
      near: $near
      sort: NAME
    ) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
const NEEDS = /* GraphQL */ `
  query OrukNeeds {
    needs {
      code
      label
      description
    }
  }
`;
const PARTNERS = /* GraphQL */ `
  query OrukPartners {
    partnerStatus {
      partner
    }
  }
`;

/** An answer with an HTTP status other than 200 (bad parameter, unknown id, bad token). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface Params {
  page: number;
  perPage: number;
  get(name: string): string | undefined;
}

function params(url: URL): Params {
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === "") return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new HttpProblem(400, `${name} must be a whole number ${min}–${max} (got "${raw}")`);
    return n;
  };
  return {
    page: int("page", 1, 1, 1_000_000),
    perPage: int("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
    get: (name) => {
      const v = url.searchParams.get(name);
      return v === null || v === "" ? undefined : v;
    },
  };
}

function page<T>(all: T[], p: Params, total = all.length, already = false) {
  const totalPages = Math.max(1, Math.ceil(total / p.perPage));
  const contents = already ? all : all.slice((p.page - 1) * p.perPage, p.page * p.perPage);
  return {
    total_items: total,
    total_pages: totalPages,
    page_number: p.page,
    size: contents.length,
    first_page: p.page === 1,
    last_page: p.page >= totalPages,
    empty: contents.length === 0,
    contents,
  };
}

const DAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
function dayCode(raw: string): string {
  const v = raw.trim().toUpperCase();
  const byName: Record<string, string> = {
    MONDAY: "MO",
    TUESDAY: "TU",
    WEDNESDAY: "WE",
    THURSDAY: "TH",
    FRIDAY: "FR",
    SATURDAY: "SA",
    SUNDAY: "SU",
  };
  const code = byName[v] ?? (DAYS.includes(v.slice(0, 2)) ? v.slice(0, 2) : undefined);
  if (!code)
    throw new HttpProblem(400, `day must be a day of the week such as MO or Monday (got "${raw}")`);
  return code;
}
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
function time(name: string, raw: string | undefined) {
  if (raw === undefined) return undefined;
  if (!TIME.test(raw)) throw new HttpProblem(400, `${name} must be a time HH:MM (got "${raw}")`);
  return raw.slice(0, 5);
}
function num(name: string, raw: string | undefined) {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new HttpProblem(400, `${name} must be a number ≥ 0 (got "${raw}")`);
  return n;
}

export interface OrukOptions {
  execute: Execute;
  isProfessional: IsProfessional;
  /** Base URL the API is published at, for GET /oruk/ (else taken from the request). */
  publicUrl?: string;
}

/** Routes for the gateway's startHttp: one prefix route answering everything under /oruk/. */
export function orukRoutes(opts: OrukOptions): Record<string, Route> {
  const run = async (req: http.IncomingMessage, query: string, variables: Obj = {}) => {
    const r = await opts.execute(req, query, variables);
    if (!r.data && r.errors?.length)
      throw new HttpProblem(502, r.errors.map((e) => e.message).join("; "));
    return r;
  };

  const needInfo = async (req: http.IncomingMessage) => {
    const r = await run(req, NEEDS);
    return new Map(((r.data?.needs ?? []) as NeedInfo[]).map((n) => [n.code, n]));
  };

  /** Every service matching what searchServices can filter, for filters it cannot. */
  const searchAll = async (req: http.IncomingMessage, pro: boolean, vars: Obj) => {
    const out: Obj[] = [];
    let after: string | null = null;
    for (;;) {
      const r = await run(req, SEARCH(pro), { ...vars, first: MAX_PER_PAGE, after });
      const conn = r.data?.searchServices as Obj;
      for (const e of conn.edges as Obj[]) if (e.node) out.push(e.node as Obj);
      const info = conn.pageInfo as Obj;
      if (!info.hasNextPage) return out;
      after = info.endCursor as string;
    }
  };

  const services = async (req: http.IncomingMessage, url: URL, everything = false) => {
    const p = params(url);
    const pro = await opts.isProfessional(req);
    const needs = await needInfo(req);
    const termToNeed = new Map([...needs.values()].map((n) => [needTerm(n).id as string, n.code]));
    const filter: Obj = { statuses: STATUSES };
    const vars: Obj = { query: p.get("search"), filter };
    const post: ((s: Obj) => boolean)[] = [];

    const termId = p.get("taxonomy_term_id");
    if (termId) {
      const need = termToNeed.get(termId) ?? (needs.has(termId) ? termId : undefined);
      if (need) filter.needs = [need];
      else
        post.push((s) =>
          ((s.taxonomyTerms ?? []) as Obj[]).some((t) => ownId(String(t.id)) === termId),
        );
    }
    const taxonomyId = p.get("taxonomy_id");
    if (taxonomyId)
      post.push((s) =>
        taxonomyId === NEEDS_TAXONOMY.id
          ? ((s.needs ?? []) as string[]).length > 0
          : ((s.taxonomyTerms ?? []) as Obj[]).some(
              (t) =>
                t.vocabulary === taxonomyId ||
                uuidFor(`taxonomy:${String(t.vocabulary)}`) === taxonomyId,
            ),
      );
    const orgId = p.get("organization_id");
    if (orgId) post.push((s) => ownId(String((s.organization as Obj).id)) === orgId);
    const modifiedAfter = p.get("modified_after");
    if (modifiedAfter) {
      const t = Date.parse(modifiedAfter);
      if (Number.isNaN(t))
        throw new HttpProblem(400, `modified_after must be a date-time (got "${modifiedAfter}")`);
      post.push((s) => Date.parse(String(s.lastModified)) >= t);
    }
    const minAge = num("minimum_age", p.get("minimum_age"));
    if (minAge !== undefined)
      post.push((s) => (((s.ageRange as Obj).minimumAge as number | null) ?? 0) >= minAge);
    const maxAge = num("maximum_age", p.get("maximum_age"));
    if (maxAge !== undefined)
      post.push((s) => (((s.ageRange as Obj).maximumAge as number | null) ?? Infinity) <= maxAge);
    const day = p.get("day") ? dayCode(p.get("day")!) : undefined;
    const start = time("start_time", p.get("start_time"));
    const end = time("end_time", p.get("end_time"));
    if (day || start || end)
      post.push((s) =>
        ((s.schedules ?? []) as Obj[]).some(
          (x) =>
            (!day || ((x.byDay ?? []) as string[]).some((d) => d.endsWith(day))) &&
            (!start || (typeof x.opensAt === "string" && x.opensAt.slice(0, 5) >= start)) &&
            (!end || (typeof x.closesAt === "string" && x.closesAt.slice(0, 5) <= end)),
        ),
      );
    const postcode = p.get("postcode");
    const proximity = num("proximity", p.get("proximity"));
    // UK profile: proximity in metres around the postcode (default 10 km).
    if (postcode)
      vars.near = {
        postcode,
        radiusKm: Math.min(200, Math.max(0.1, (proximity ?? 10_000) / 1000)),
      };
    else if (proximity !== undefined) throw new HttpProblem(400, "proximity needs a postcode");

    if (post.length || everything) {
      const all = (await searchAll(req, pro, vars)).filter((s) => post.every((f) => f(s)));
      const records = all.map((s) => serviceRecord(s, needs));
      return everything
        ? page(records, { ...p, page: 1, perPage: Math.max(1, records.length) })
        : page(records, p);
    }
    // No filter searchServices lacks: walk the cursors to the page, then fetch only that page.
    let after: string | null = null;
    let skip = (p.page - 1) * p.perPage;
    let total = 0;
    while (skip > 0) {
      const n = Math.min(MAX_PER_PAGE, skip);
      const r = await run(req, SKIP, { ...vars, first: n, after });
      const conn = r.data?.searchServices as Obj;
      total = conn.totalCount as number;
      after = (conn.pageInfo as Obj).endCursor as string | null;
      skip -= n;
      if (!(conn.pageInfo as Obj).hasNextPage) break;
    }
    const r = await run(req, SEARCH(pro), { ...vars, first: p.perPage, after });
    const conn = r.data?.searchServices as Obj;
    total = conn.totalCount as number;
    const beyond = (p.page - 1) * p.perPage >= total;
    const nodes = beyond ? [] : (conn.edges as Obj[]).map((e) => e.node as Obj).filter(Boolean);
    return page(
      nodes.map((s) => serviceRecord(s, needs)),
      p,
      total,
      true,
    );
  };

  const partners = async (req: http.IncomingMessage) =>
    (((await run(req, PARTNERS)).data?.partnerStatus ?? []) as Obj[]).map((x) =>
      String(x.partner).toLowerCase(),
    );

  const serviceById = async (req: http.IncomingMessage, id: string) => {
    const pro = await opts.isProfessional(req);
    const names = id.includes(":") ? [id] : (await partners(req)).map((p) => `${p}:${id}`);
    const query = `query OrukService { ${names.map((n, i) => `s${i}: service(id: ${JSON.stringify(n)}) { ${SERVICE_FIELDS(pro)} }`).join("\n")} }`;
    const r = await run(req, query);
    const found = Object.values(r.data ?? {}).find(Boolean) as Obj | undefined;
    if (!found) throw new HttpProblem(404, `no service ${JSON.stringify(id)}`);
    return serviceRecord(found, await needInfo(req));
  };

  const organizations = async (req: http.IncomingMessage) => {
    const out: Obj[] = [];
    for (const partner of await partners(req)) {
      for (let offset = 0; ; offset += 200) {
        const field = `${partner}Organizations`;
        const r = await opts.execute(
          req,
          `query OrukOrgs($offset: Int!) { ${field}(offset: $offset, first: 200) { id name description url email } }`,
          { offset },
        );
        const list = (r.data?.[field] ?? []) as Obj[];
        out.push(...list.map(organizationRecord));
        if (list.length < 200) break;
      }
    }
    return out;
  };

  const needTerms = async (req: http.IncomingMessage) =>
    [...(await needInfo(req)).values()].map(needTerm);

  const handlers: [
    RegExp,
    (
      req: http.IncomingMessage,
      url: URL,
      m: RegExpExecArray,
    ) => Promise<{ body: unknown; lastModified?: string }>,
  ][] = [
    [
      /^\/oruk\/?$/,
      async (req) => ({
        body: {
          version: "3.0",
          profile: "https://openreferraluk.org/",
          openapi_url:
            "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json",
        },
      }),
    ],
    [
      /^\/oruk\/services\/?$/,
      async (req, url) => {
        const body = await services(req, url);
        return { body, lastModified: latest(body.contents as Obj[]) };
      },
    ],
    [
      /^\/oruk\/services\/([^/]+)$/,
      async (req, _url, m) => {
        const body = await serviceById(req, decodeURIComponent(m[1]!));
        return { body, lastModified: latest([body]) };
      },
    ],
    [
      /^\/oruk\/service_at_locations\/?$/,
      async (req, url) => {
        const p = params(url);
        // One record per service and location; built from every matching service.
        const all = await services(req, url, true);
        const sals = (all.contents as Obj[]).flatMap(salRecords);
        return { body: page(sals, p), lastModified: latest(all.contents as Obj[]) };
      },
    ],
    [
      /^\/oruk\/service_at_locations\/([^/]+)$/,
      async (req, url, m) => {
        const id = decodeURIComponent(m[1]!);
        const all = await services(req, url, true);
        const sal = (all.contents as Obj[]).flatMap(salRecords).find((x) => x.id === id);
        if (!sal) throw new HttpProblem(404, `no service_at_location ${JSON.stringify(id)}`);
        return { body: sal };
      },
    ],
    [
      /^\/oruk\/organizations\/?$/,
      async (req, url) => {
        const p = params(url);
        const search = p.get("search")?.toLowerCase();
        const all = (await organizations(req)).filter(
          (o) => !search || String(o.name).toLowerCase().includes(search),
        );
        return { body: page(all, p) };
      },
    ],
    [
      /^\/oruk\/organizations\/([^/]+)$/,
      async (req, _url, m) => {
        const id = decodeURIComponent(m[1]!);
        const org = (await organizations(req)).find((o) => o.id === id);
        if (!org) throw new HttpProblem(404, `no organization ${JSON.stringify(id)}`);
        return { body: org };
      },
    ],
    [
      /^\/oruk\/taxonomies\/?$/,
      async (_req, url) => ({ body: page([NEEDS_TAXONOMY], params(url)) }),
    ],
    [
      /^\/oruk\/taxonomies\/([^/]+)$/,
      async (_req, _url, m) => {
        if (decodeURIComponent(m[1]!) !== NEEDS_TAXONOMY.id)
          throw new HttpProblem(404, `no taxonomy ${JSON.stringify(m[1])}`);
        return { body: NEEDS_TAXONOMY };
      },
    ],
    [
      /^\/oruk\/taxonomy_terms\/?$/,
      async (req, url) => {
        const p = params(url);
        const taxonomyId = p.get("taxonomy_id");
        const terms = (await needTerms(req)).filter(
          (t) => !taxonomyId || t.taxonomy_id === taxonomyId,
        );
        return { body: page(terms, p) };
      },
    ],
    [
      /^\/oruk\/taxonomy_terms\/([^/]+)$/,
      async (req, _url, m) => {
        const id = decodeURIComponent(m[1]!);
        const term = (await needTerms(req)).find((t) => t.id === id || t.code === id);
        if (!term) throw new HttpProblem(404, `no taxonomy term ${JSON.stringify(id)}`);
        return { body: term };
      },
    ],
  ];

  const route: Route = async (req, url) => {
    const cors = { "access-control-allow-origin": "*" };
    if (req.method === "OPTIONS")
      return {
        status: 204,
        body: null,
        headers: {
          ...cors,
          "access-control-allow-methods": "GET, HEAD, OPTIONS",
          "access-control-allow-headers": "authorization, if-none-match",
          "access-control-max-age": "600",
        },
      };
    if (req.method !== "GET" && req.method !== "HEAD")
      return {
        status: 405,
        body: { error: "the ORUK API is read-only: GET" },
        headers: { ...cors, allow: "GET, HEAD, OPTIONS" },
      };
    for (const [pattern, handle] of handlers) {
      const m = pattern.exec(url.pathname);
      if (!m) continue;
      try {
        const { body, lastModified } = await handle(req, url, m);
        const etag = `W/"${createHash("sha1").update(JSON.stringify(body)).digest("base64url")}"`;
        const personal = !!req.headers.authorization;
        const headers: Record<string, string> = {
          ...cors,
          etag,
          // A signed-in caller may see more (professional fields): never share their copy.
          "cache-control": personal ? "private, max-age=0, must-revalidate" : "public, max-age=60",
          vary: "Authorization",
          ...(lastModified ? { "last-modified": new Date(lastModified).toUTCString() } : {}),
        };
        if (req.headers["if-none-match"] === etag) return { status: 304, body: null, headers };
        return { status: 200, body, headers };
      } catch (err) {
        if (err instanceof HttpProblem)
          return { status: err.status, body: { error: err.message }, headers: cors };
        throw err;
      }
    }
    return { status: 404, body: { error: `no ORUK endpoint ${url.pathname}` }, headers: cors };
  };
  return { "/oruk": route, "/oruk/*": route };
}

function salRecords(s: Obj): Obj[] {
  const { service_at_locations, ...service } = s;
  return ((service_at_locations ?? []) as Obj[]).map((sal) => ({ ...sal, service }));
}

function latest(services: Obj[]): string | undefined {
  let max = 0;
  for (const s of services) {
    const t = Date.parse(String(s.last_modified));
    if (t > max) max = t;
  }
  return max ? new Date(max).toISOString() : undefined;
}
