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
 * For filters the index cannot apply: the same search, asking each service only for what those
 * filters read (and its locations, for service_at_location pages).
 */
const SCAN = (fields: string) => /* GraphQL */ `
  query OrukScan(
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
      edges { node { id ${fields} } }
    }
  }`;
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

/** A check the index cannot make, with the service fields it reads. */
interface PostFilter {
  fields: string;
  test: (s: Obj) => boolean;
}

interface ServiceQuery {
  /** searchServices arguments: query, filter, near. */
  vars: Obj;
  post: PostFilter[];
  needs: Map<string, NeedInfo>;
}

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
  /** With maxCost: each operation is sized to stay within the gateway's cost limit. */
  cost?: Cost;
  maxCost?: number;
}

/** Routes for the gateway's startHttp: one prefix route answering everything under /oruk/. */
export function orukRoutes(opts: OrukOptions): Record<string, Route> {
  const run = async (req: http.IncomingMessage, query: string, variables: Obj = {}) => {
    const r = await opts.execute(req, query, variables);
    if (!r.data && r.errors?.length) {
      // The caller's mistake (an unknown postcode, a page past what the index pages) is theirs.
      const bad = r.errors.find((e) => e.extensions?.code === "BAD_USER_INPUT");
      throw new HttpProblem(
        bad ? 400 : 502,
        (bad ? [bad] : r.errors).map((e) => e.message).join("; "),
      );
    }
    return r;
  };

  const needInfo = async (req: http.IncomingMessage) => {
    const r = await run(req, NEEDS);
    return new Map(((r.data?.needs ?? []) as NeedInfo[]).map((n) => [n.code, n]));
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
      // A service whose partner is down comes back null (with an error naming the partner): the
      // page carries the others rather than failing whole.
      for (const e of edges) if (e.node) nodes.push(e.node as Obj);
      got += first;
      if (got >= count || edges.length < first || offset + got >= total) break;
    }
    return { total, nodes };
  };

  /** Every service the index finds for `q`, with only `fields`, in cost-bounded operations. */
  const scan = async (req: http.IncomingMessage, q: ServiceQuery, fields: string) => {
    const query = SCAN(fields);
    const size = chunkSize(query, q.vars);
    const out: Obj[] = [];
    for (let offset = 0; ; offset += size) {
      const { total, nodes } = await searchRange(req, query, q.vars, offset, size);
      out.push(...nodes);
      if (offset + size >= total) return out;
    }
  };

  /** The page's services in full, in the order of `ids` (the index's NAME order). */
  const servicesByIds = async (req: http.IncomingMessage, pro: boolean, ids: string[]) => {
    if (!ids.length) return [];
    const vars = { filter: { ids, statuses: STATUSES } };
    const { nodes } = await searchRange(req, SEARCH(pro), vars, 0, ids.length);
    const byId = new Map(nodes.map((n) => [n.id as string, n]));
    return ids.map((id) => byId.get(id)).filter((n): n is Obj => !!n);
  };

  /**
   * The request's parameters as searchServices arguments (applied by the index, before paging)
   * and, for the few it has no filter for, checks on the fields they read.
   */
  const serviceQuery = async (req: http.IncomingMessage, p: Params): Promise<ServiceQuery> => {
    const needs = await needInfo(req);
    const termToNeed = new Map([...needs.values()].map((n) => [needTerm(n).id as string, n.code]));
    const filter: Obj = { statuses: STATUSES };
    const vars: Obj = { query: p.get("search"), filter };
    const post: PostFilter[] = [];
    const TERMS = "taxonomyTerms { id vocabulary }";

    const termId = p.get("taxonomy_term_id");
    if (termId) {
      const need = termToNeed.get(termId) ?? (needs.has(termId) ? termId : undefined);
      if (need) filter.needs = [need];
      else
        post.push({
          fields: TERMS,
          test: (s) =>
            ((s.taxonomyTerms ?? []) as Obj[]).some((t) => ownId(String(t.id)) === termId),
        });
    }
    const taxonomyId = p.get("taxonomy_id");
    if (taxonomyId === NEEDS_TAXONOMY.id) {
      // Any term of the needs taxonomy: any need (intersected with a need term given above).
      if (!filter.needs) filter.needs = [...needs.keys()];
    } else if (taxonomyId)
      post.push({
        fields: TERMS,
        test: (s) =>
          ((s.taxonomyTerms ?? []) as Obj[]).some(
            (t) =>
              t.vocabulary === taxonomyId ||
              uuidFor(`taxonomy:${String(t.vocabulary)}`) === taxonomyId,
          ),
      });
    const orgId = p.get("organization_id");
    if (orgId)
      post.push({
        fields: "organization { id }",
        test: (s) => ownId(String((s.organization as Obj | null)?.id ?? "")) === orgId,
      });
    const modifiedAfter = p.get("modified_after");
    if (modifiedAfter) {
      const t = Date.parse(modifiedAfter);
      if (Number.isNaN(t))
        throw new HttpProblem(400, `modified_after must be a date-time (got "${modifiedAfter}")`);
      post.push({ fields: "lastModified", test: (s) => Date.parse(String(s.lastModified)) >= t });
    }
    const AGES = "ageRange { minimumAge maximumAge }";
    const minAge = num("minimum_age", p.get("minimum_age"));
    if (minAge !== undefined)
      post.push({
        fields: AGES,
        test: (s) => (((s.ageRange as Obj).minimumAge as number | null) ?? 0) >= minAge,
      });
    const maxAge = num("maximum_age", p.get("maximum_age"));
    if (maxAge !== undefined)
      post.push({
        fields: AGES,
        test: (s) => (((s.ageRange as Obj).maximumAge as number | null) ?? Infinity) <= maxAge,
      });
    const day = p.get("day") ? dayCode(p.get("day")!) : undefined;
    const start = time("start_time", p.get("start_time"));
    const end = time("end_time", p.get("end_time"));
    // A day alone is the index's openAt; times are the UK profile's "a session starting at or
    // after start_time / ending at or before end_time" (on that day), which the index cannot say.
    if (day) filter.openAt = { day };
    if (start || end)
      post.push({
        fields: "schedules { byDay opensAt closesAt }",
        test: (s) =>
          ((s.schedules ?? []) as Obj[]).some(
            (x) =>
              (!day || ((x.byDay ?? []) as string[]).some((d) => d.endsWith(day))) &&
              (!start || (typeof x.opensAt === "string" && x.opensAt.slice(0, 5) >= start)) &&
              (!end || (typeof x.closesAt === "string" && x.closesAt.slice(0, 5) <= end)),
          ),
      });
    const postcode = p.get("postcode");
    const proximity = num("proximity", p.get("proximity"));
    // UK profile: proximity in metres around the postcode (default 10 km).
    if (postcode)
      vars.near = {
        postcode,
        radiusKm: Math.min(200, Math.max(0.1, (proximity ?? 10_000) / 1000)),
      };
    else if (proximity !== undefined) throw new HttpProblem(400, "proximity needs a postcode");
    return { vars, post, needs };
  };

  const matches = (q: ServiceQuery) => (s: Obj) => q.post.every((f) => f.test(s));
  const postFields = (q: ServiceQuery) => [...new Set(q.post.map((f) => f.fields))].join(" ");

  const services = async (req: http.IncomingMessage, url: URL) => {
    const p = params(url);
    const pro = await opts.isProfessional(req);
    const q = await serviceQuery(req, p);
    const offset = (p.page - 1) * p.perPage;
    if (!q.post.length) {
      // Everything filtered by the index: it pages too, and only this page is fetched.
      const { total, nodes } = await searchRange(req, SEARCH(pro), q.vars, offset, p.perPage);
      const contents = offset >= total ? [] : nodes.map((s) => serviceRecord(s, q.needs));
      return page(contents, p, total, true);
    }
    // The index narrows; the rest is checked on the few fields it needs; then only the page's
    // services are fetched in full.
    const ids = (await scan(req, q, postFields(q))).filter(matches(q)).map((s) => s.id as string);
    const full = await servicesByIds(req, pro, ids.slice(offset, offset + p.perPage));
    return page(
      full.map((s) => serviceRecord(s, q.needs)),
      p,
      ids.length,
      true,
    );
  };

  /** One service_at_location per service and location, paged over those pairs. */
  const serviceAtLocations = async (req: http.IncomingMessage, url: URL) => {
    const p = params(url);
    const pro = await opts.isProfessional(req);
    const q = await serviceQuery(req, p);
    const pairs = (await scan(req, q, `locations { id } ${postFields(q)}`))
      .filter(matches(q))
      .flatMap((s) => ((s.locations ?? []) as Obj[]).map((l) => [s.id as string, String(l.id)]));
    const onPage = pairs.slice((p.page - 1) * p.perPage, p.page * p.perPage);
    const full = await servicesByIds(req, pro, [...new Set(onPage.map(([s]) => s!))]);
    const records = new Map(full.map((s) => [s.id as string, serviceRecord(s, q.needs)]));
    const contents = onPage.flatMap(([sid, lid]) => {
      const record = records.get(sid!);
      return record ? salRecords(record).filter((x) => x.location_id === ownId(lid!)) : [];
    });
    return {
      body: page(contents, p, pairs.length, true),
      lastModified: latest([...records.values()]),
    };
  };

  const serviceAtLocation = async (req: http.IncomingMessage, id: string) => {
    const pro = await opts.isProfessional(req);
    const q: ServiceQuery = {
      vars: { filter: { statuses: STATUSES } },
      post: [],
      needs: await needInfo(req),
    };
    const owner = (await scan(req, q, "hsdsId locations { id }")).find((s) =>
      ((s.locations ?? []) as Obj[]).some(
        (l) => uuidFor(`service_at_location:${String(s.hsdsId)}:${ownId(String(l.id))}`) === id,
      ),
    );
    const [full] = owner ? await servicesByIds(req, pro, [owner.id as string]) : [];
    const sal = full
      ? salRecords(serviceRecord(full, q.needs)).find((x) => x.id === id)
      : undefined;
    if (!sal) throw new HttpProblem(404, `no service_at_location ${JSON.stringify(id)}`);
    // The HSDS 3.0 OpenAPI document describes this response with the service schema
    // (compiled/service.json, which requires name and status): the service's are given too.
    const service = sal.service as Obj;
    return { ...sal, name: service.name, status: service.status };
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
