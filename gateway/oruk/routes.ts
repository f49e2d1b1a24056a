// The ORUK / HSDS 3.0 read API under /oruk/, answered by running GraphQL operations through the
// gateway's own Apollo server with the caller's claims, so the same access rules and masking apply
// as to /graphql (a confidential location leaves only with the professional scope).
import { createHash } from "node:crypto";
import type http from "node:http";
import type { Route } from "../../platform/http.ts";
import { NEEDS, PARTNERS } from "../../schema/vocabulary.ts";
import {
  NEEDS_TAXONOMY,
  needTerm,
  organizationRecord,
  serviceRecord,
  type NeedInfo,
} from "./hsds.ts";

type Obj = Record<string, unknown>;

export interface GraphQLAnswer {
  data?: Obj | null;
  errors?: readonly {
    message: string;
    path?: readonly (string | number)[];
    extensions?: Record<string, unknown>;
  }[];
}

/** The gateway's cost of an operation (./cost.ts), to size each operation within its limit. */
export type Cost = (query: string, variables: Obj) => number;

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
/** Past any age a service states; keeps a silly minimum_age inside GraphQL's Int. */
const MAX_AGE = 1000;

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
  query OrukServices(
    $first: Int!
    $offset: Int
    $query: String
    $filter: ServiceFilter
    $near: NearInput
  ) {
    searchServices(
      first: $first
      offset: $offset
      query: $query
      filter: $filter
      near: $near
      sort: NAME
    ) {
      totalCount
      edges { node { ${SERVICE_FIELDS(pro)} } }
    }
  }`;
/**
 * How many (service, location) pairs a search holds: the services counted by number of locations.
 * service_at_locations pages over these pairs without reading the services before the page.
 */
const PAIRS = /* GraphQL */ `
  query OrukPairs($query: String, $filter: ServiceFilter, $near: NearInput) {
    searchServices(first: 1, query: $query, filter: $filter, near: $near, sort: NAME) {
      totalCount
      facets {
        locationCount {
          value
          count
        }
      }
    }
  }
`;
/**
 * The needs vocabulary and the partners are the product's own constants (schema/vocabulary.ts, the
 * ones the directory answers `needs` and `partnerStatus` from): read once here, not asked for in an
 * operation on every request.
 */
const NEED_INFO: ReadonlyMap<string, NeedInfo> = new Map(NEEDS.map((n) => [n.code, n]));
/** A need term's id (HSDS taxonomy_term id) → the need's code. */
const NEED_OF_TERM = new Map(NEEDS.map((n) => [needTerm(n).id as string, n.code]));

interface ServiceQuery {
  /** searchServices arguments: query, filter, near. Every parameter is one of these. */
  vars: Obj & { filter: Obj };
}

/** An answer with an HTTP status other than 200 (bad parameter, unknown id, bad token). */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Seconds a client is told to wait before asking again while a partner is unavailable. */
const RETRY_AFTER_S = 30;

/**
 * The partners whose services an answer could not include (PARTNER_UNAVAILABLE errors). The ORUK
 * API answers 503 then, never a page without them or a 404: a feed reader (our own `--url` pull
 * with `--replace`, a council's aggregator) would take a missing service for a deleted one.
 */
function unavailablePartners(r: GraphQLAnswer): string[] {
  return [
    ...new Set(
      (r.errors ?? [])
        .filter((e) => e.extensions?.code === "PARTNER_UNAVAILABLE")
        .map((e) => String(e.extensions?.partner ?? "a partner")),
    ),
  ];
}

function partnerUnavailable(partners: string[]): HttpProblem {
  return new HttpProblem(
    503,
    `${partners.length === 1 ? "partner" : "partners"} ${partners.join(", ")} unavailable: their services cannot be given in full just now; try again shortly`,
    { "retry-after": String(RETRY_AFTER_S) },
  );
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
  /** With maxCost: each operation is sized to stay within the gateway's cost limit. */
  cost?: Cost;
  maxCost?: number;
}

/** Routes for the gateway's startHttp: one prefix route answering everything under /oruk/. */
export function orukRoutes(opts: OrukOptions): Record<string, Route> {
  const run = async (req: http.IncomingMessage, query: string, variables: Obj = {}) => {
    const r = await opts.execute(req, query, variables);
    if (!r.data && r.errors?.length) {
      const down = unavailablePartners(r);
      if (down.length) throw partnerUnavailable(down);
      // The caller's mistake (an unknown postcode, a page past what the index pages) is theirs.
      const bad = r.errors.find((e) => e.extensions?.code === "BAD_USER_INPUT");
      throw new HttpProblem(
        bad ? 400 : 502,
        (bad ? [bad] : r.errors).map((e) => e.message).join("; "),
      );
    }
    return r;
  };

  /**
   * The largest `first` for `query` whose cost stays within the gateway's limit. A page of the
   * ORUK API (per_page ≤ 100) is fetched as a few operations of this size rather than one big one:
   * every operation is one any client could send, so the cost limit keeps meaning what it says
   * (partners never see a bigger request from the ORUK API than from /graphql), and what one ORUK
   * request can cost stays bounded by per_page × the cost of one service.
   */
  const chunkSize = (query: string, vars: Obj) => {
    if (!opts.cost || !opts.maxCost) return 10;
    const one = opts.cost(query, { ...vars, first: 1 });
    const each = Math.max(1, opts.cost(query, { ...vars, first: 2 }) - one);
    return Math.max(1, Math.min(MAX_PER_PAGE, Math.floor((opts.maxCost - one) / each) + 1));
  };

  /** `count` results from `offset` of a searchServices query, in cost-bounded operations. */
  const searchRange = async (
    req: http.IncomingMessage,
    query: string,
    vars: Obj,
    offset: number,
    count: number,
  ) => {
    const size = chunkSize(query, vars);
    const nodes: Obj[] = [];
    let total: number;
    for (let got = 0; ;) {
      const first = Math.max(1, Math.min(size, count - got));
      const r = await run(req, query, { ...vars, first, offset: offset + got });
      const conn = r.data?.searchServices as Obj | null | undefined;
      if (!conn) throw new HttpProblem(502, "the directory did not answer");
      total = conn.totalCount as number;
      const edges = conn.edges as Obj[];
      // A service whose partner is down comes back null, with an error naming the partner: the
      // page cannot be given whole (see unavailablePartners). A null with no such error is a
      // service gone from its partner since the index last heard: left out.
      const down = unavailablePartners(r);
      if (down.length && edges.some((e) => !e.node)) throw partnerUnavailable(down);
      for (const e of edges) if (e.node) nodes.push(e.node as Obj);
      got += first;
      if (got >= count || edges.length < first || offset + got >= total) break;
    }
    return { total, nodes };
  };

  /**
   * The request's parameters as searchServices arguments: all of them are applied by the index,
   * before paging, so a page is fetched alone and the totals are the index's.
   */
  const serviceQuery = (p: Params): ServiceQuery => {
    const needs = NEED_INFO;
    const termToNeed = NEED_OF_TERM;
    const filter: Obj = { statuses: STATUSES };
    const vars = { query: p.get("search"), filter } as ServiceQuery["vars"];

    const termId = p.get("taxonomy_term_id");
    if (termId) {
      const need = termToNeed.get(termId) ?? (needs.has(termId) ? termId : undefined);
      if (need) filter.needs = [need];
      else filter.taxonomyTerms = [termId];
    }
    const taxonomyId = p.get("taxonomy_id");
    if (taxonomyId === NEEDS_TAXONOMY.id) {
      // Any term of the needs taxonomy: any need (intersected with a need term given above).
      if (!filter.needs) filter.needs = [...needs.keys()];
    } else if (taxonomyId) filter.taxonomies = [taxonomyId];
    const orgId = p.get("organization_id");
    // HSDS ids are the partner's own: the organization may be any partner's.
    if (orgId)
      filter.organizations = orgId.includes(":")
        ? [orgId]
        : PARTNERS.map((partner) => `${partner}:${orgId}`);
    const modifiedAfter = p.get("modified_after");
    if (modifiedAfter) {
      const t = Date.parse(modifiedAfter);
      if (Number.isNaN(t))
        throw new HttpProblem(400, `modified_after must be a date-time (got "${modifiedAfter}")`);
      filter.modifiedSince = new Date(t).toISOString();
    }
    // Ages are whole years: "at least 4.5" is "at least 5", "at most 4.5" is "at most 4".
    const minAge = num("minimum_age", p.get("minimum_age"));
    const maxAge = num("maximum_age", p.get("maximum_age"));
    if (minAge !== undefined || maxAge !== undefined)
      filter.ageRangeWithin = {
        ...(minAge !== undefined ? { minimumAge: Math.min(MAX_AGE, Math.ceil(minAge)) } : {}),
        ...(maxAge !== undefined ? { maximumAge: Math.min(MAX_AGE, Math.floor(maxAge)) } : {}),
      };
    const day = p.get("day") ? dayCode(p.get("day")!) : undefined;
    const start = time("start_time", p.get("start_time"));
    const end = time("end_time", p.get("end_time"));
    // Times are the UK profile's "a session starting at or after start_time / ending at or before
    // end_time" (on that day); a day alone is the index's openAt (open at some time that day).
    if (start || end)
      filter.session = {
        ...(day ? { day } : {}),
        ...(start ? { startsAtOrAfter: start } : {}),
        ...(end ? { endsAtOrBefore: end } : {}),
      };
    else if (day) filter.openAt = { day };
    const postcode = p.get("postcode");
    const proximity = num("proximity", p.get("proximity"));
    // UK profile: proximity in metres around the postcode (default 10 km).
    if (postcode)
      vars.near = {
        postcode,
        radiusKm: Math.min(200, Math.max(0.1, (proximity ?? 10_000) / 1000)),
      };
    else if (proximity !== undefined) throw new HttpProblem(400, "proximity needs a postcode");
    return { vars };
  };

  const services = async (req: http.IncomingMessage, url: URL) => {
    const p = params(url);
    const pro = await opts.isProfessional(req);
    const q = serviceQuery(p);
    const offset = (p.page - 1) * p.perPage;
    const { total, nodes } = await searchRange(req, SEARCH(pro), q.vars, offset, p.perPage);
    const contents = offset >= total ? [] : nodes.map((s) => serviceRecord(s, NEED_INFO));
    return page(contents, p, total, true);
  };

  /**
   * One service_at_location per service and location, paged over those pairs. Pairs are taken in
   * rounds: round j holds, for every service with at least j locations (in the index's NAME order),
   * its j-th location (in id order). The index counts services by number of locations, so each
   * round's size is known and the page's pairs are found by offset within one or two rounds:
   * nothing before the page is read.
   */
  const serviceAtLocations = async (req: http.IncomingMessage, url: URL) => {
    const p = params(url);
    const pro = await opts.isProfessional(req);
    const q = serviceQuery(p);
    const conn = (await run(req, PAIRS, q.vars)).data?.searchServices as Obj | null | undefined;
    if (!conn) throw new HttpProblem(502, "the directory did not answer");
    const byCount = ((conn.facets as Obj).locationCount as { value: string; count: number }[]).map(
      (f) => [Number(f.value), f.count] as const,
    );
    const most = Math.max(0, ...byCount.map(([n]) => n));
    /** rounds[j - 1]: services with at least j locations. */
    const rounds = Array.from({ length: most }, (_, i) =>
      byCount.reduce((sum, [n, count]) => (n > i ? sum + count : sum), 0),
    );
    const total = rounds.reduce((a, b) => a + b, 0);

    const onPage: Obj[] = [];
    let skip = (p.page - 1) * p.perPage;
    let want = p.perPage;
    for (let j = 1; j <= rounds.length && want > 0; j++) {
      const size = rounds[j - 1]!;
      if (skip >= size) {
        skip -= size;
        continue;
      }
      const take = Math.min(want, size - skip);
      const vars = { ...q.vars, filter: { ...q.vars.filter, minLocations: j } };
      const { nodes } = await searchRange(req, SEARCH(pro), vars, skip, take);
      for (const s of nodes) {
        const sals = salRecords(serviceRecord(s, NEED_INFO)).sort((a, b) =>
          String(a.location_id) < String(b.location_id) ? -1 : 1,
        );
        // The partner may have dropped a location since the index last heard: no pair then.
        if (sals[j - 1]) onPage.push(sals[j - 1]!);
      }
      want -= take;
      skip = 0;
    }
    return {
      body: page(onPage, p, total, true),
      lastModified: latest(onPage.map((x) => x.service as Obj)),
    };
  };

  const serviceAtLocation = async (req: http.IncomingMessage, id: string) => {
    const pro = await opts.isProfessional(req);
    // The index knows each service's service_at_location ids: the owner is one lookup. (Two
    // partners could use the same service and location ids: a few are asked for.)
    const vars = { filter: { serviceAtLocations: [id], statuses: STATUSES } };
    const { nodes } = await searchRange(req, SEARCH(pro), vars, 0, 5);
    const sal = nodes
      .flatMap((s) => salRecords(serviceRecord(s, NEED_INFO)))
      .find((x) => x.id === id);
    if (!sal) throw new HttpProblem(404, `no service_at_location ${JSON.stringify(id)}`);
    // The HSDS 3.0 OpenAPI document describes this response with the service schema
    // (compiled/service.json, which requires name and status): the service's are given too.
    const service = sal.service as Obj;
    return { ...sal, name: service.name, status: service.status };
  };

  /**
   * One service by its HSDS id. The id is the partner's own, so each partner's global id is asked
   * for in one operation. The ids travel as variables: the operation's text is the same for every
   * id, so the gateway parses, validates and plans it once (an id written into the text made each
   * request a new operation to plan, which cost about twice the fetches themselves).
   */
  const serviceById = async (req: http.IncomingMessage, id: string) => {
    const pro = await opts.isProfessional(req);
    const names = id.includes(":") ? [id] : PARTNERS.map((p) => `${p}:${id}`);
    const query = `query OrukService(${names.map((_, i) => `$s${i}: ID!`).join(", ")}) { ${names
      .map((_, i) => `s${i}: service(id: $s${i}) { ${SERVICE_FIELDS(pro)} }`)
      .join("\n")} }`;
    const r = await run(req, query, Object.fromEntries(names.map((n, i) => [`s${i}`, n])));
    const found = Object.values(r.data ?? {}).find(Boolean) as Obj | undefined;
    if (!found) {
      // Not found, but a partner that might hold it could not be asked: not a 404.
      const down = unavailablePartners(r);
      if (down.length) throw partnerUnavailable(down);
      throw new HttpProblem(404, `no service ${JSON.stringify(id)}`);
    }
    return serviceRecord(found, NEED_INFO);
  };

  const organizations = async (req: http.IncomingMessage) => {
    const out: Obj[] = [];
    for (const partner of PARTNERS) {
      for (let offset = 0; ; offset += 200) {
        const field = `${partner}Organizations`;
        // run(): a partner that cannot answer is a 503, never a list without its organizations.
        const r = await run(
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

  const needTerms = NEEDS.map(needTerm);

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
      async () => ({
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
    [/^\/oruk\/service_at_locations\/?$/, async (req, url) => serviceAtLocations(req, url)],
    [
      /^\/oruk\/service_at_locations\/([^/]+)$/,
      async (req, _url, m) => ({ body: await serviceAtLocation(req, decodeURIComponent(m[1]!)) }),
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
        const terms = needTerms.filter((t) => !taxonomyId || t.taxonomy_id === taxonomyId);
        return { body: page(terms, p) };
      },
    ],
    [
      /^\/oruk\/taxonomy_terms\/([^/]+)$/,
      async (req, _url, m) => {
        const id = decodeURIComponent(m[1]!);
        const term = needTerms.find((t) => t.id === id || t.code === id);
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
          return {
            status: err.status,
            body: { error: err.message },
            headers: { ...cors, ...err.headers },
          };
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
