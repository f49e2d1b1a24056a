// The change feed a partner exposes to the directory: services changed since a cursor, closures and
// deletions included, with just what search and routing need. GET /changes?since=<cursor>&limit=<n>
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { Queryable } from "./db/db.ts";
import { createPartnerLoaders } from "./loaders.ts";
import { childrenByServiceIds, servicesChangedSince, type LocationRow } from "./service.data.ts";
import { globalId, outwardCode, toService } from "./service.map.ts";
import type { Route } from "../../platform/http.ts";

export interface FeedLocation {
  latitude: number | null;
  longitude: number | null;
  postcode: string | null;
  city: string | null;
  confidential: boolean;
}

export interface FeedService {
  id: string;
  name: string;
  description: string;
  organizationName: string;
  status: string;
  needs: string[];
  referralRoutes: string[];
  deliveryModes: string[];
  /** Language codes (ISO 639-1 where the partner gives one), lower case. */
  languages: string[];
  localAuthorities: string[];
  minimumAge: number | null;
  maximumAge: number | null;
  free: boolean;
  acceptingReferrals: boolean;
  typicalWaitWeeks: number | null;
  contractEndDate: string | null;
  schedules: { byDay: string[]; opensAt: string | null; closesAt: string | null }[];
  /** Public positions. A confidential place gives no coordinates and only its postcode district. */
  locations: FeedLocation[];
  lastModified: string;
}

export interface FeedChange {
  id: string;
  seq: number;
  deleted: boolean;
  service: FeedService | null;
}

export interface FeedPage {
  partner: PartnerId;
  cursor: number;
  hasMore: boolean;
  /** Changes after this page, when asked for with `count=1` (progress bars); otherwise null. */
  remaining: number | null;
  changes: FeedChange[];
}

export async function readFeed(
  db: Queryable,
  partner: PartnerId,
  since: number,
  limit: number,
  withRemaining = false,
): Promise<FeedPage> {
  const rows = await servicesChangedSince(db, since, limit);
  const live = rows.filter((r) => !r.deleted_at).map((r) => r.id);
  const loaders = createPartnerLoaders(db, partner);
  const [orgs, locations, areas, schedules, costs, languages] = await Promise.all([
    loaders.organization.loadMany([...new Set(rows.filter((r) => !r.deleted_at).map((r) => r.organization_id))]),
    childrenByServiceIds(db, "locations", live),
    loaders.children.serviceAreas.loadMany(live),
    loaders.children.schedules.loadMany(live),
    loaders.children.costOptions.loadMany(live),
    loaders.children.languages.loadMany(live),
  ]);
  const orgName = new Map(orgs.map((o) => (o && !(o instanceof Error) ? [o.hsdsId, o.name] : ["", ""])));
  const at = new Map(live.map((id, i) => [id, i]));
  const locationsBy = new Map<string, LocationRow[]>();
  for (const l of locations) locationsBy.set(l.service_id, [...(locationsBy.get(l.service_id) ?? []), l]);
  const changes = rows.map((row): FeedChange => {
    const id = globalId(partner, row.id);
    const seq = Number(row.change_seq);
    const i = at.get(row.id);
    if (i === undefined) return { id, seq, deleted: true, service: null };
    const s = toService(partner, row);
    const costList = costs[i] as { amount: number | null }[];
    return {
      id,
      seq,
      deleted: false,
      service: {
        id,
        name: s.name,
        description: s.description,
        organizationName: orgName.get(row.organization_id) ?? "",
        status: s.status,
        needs: s.needs,
        referralRoutes: s.referralRoutes,
        deliveryModes: s.deliveryModes,
        languages: (languages[i] as { name: string; code: string | null }[]).map((l) => (l.code ?? l.name).toLowerCase()),
        localAuthorities: (areas[i] as { code: string }[]).map((a) => a.code),
        minimumAge: s.ageRange.minimumAge,
        maximumAge: s.ageRange.maximumAge,
        free: costList.every((c) => !c.amount),
        acceptingReferrals: s.capacity.acceptingReferrals,
        typicalWaitWeeks: s.capacity.typicalWaitWeeks,
        contractEndDate: s.funding.contractEndDate,
        schedules: (schedules[i] as FeedService["schedules"]).map((x) => ({ byDay: x.byDay, opensAt: x.opensAt, closesAt: x.closesAt })),
        locations: (locationsBy.get(row.id) ?? []).map(feedLocation),
        lastModified: s.lastModified.toISOString(),
      },
    };
  });
  const cursor = rows.length ? Number(rows[rows.length - 1]!.change_seq) : since;
  // Counting is a scan of the rest of the feed: only a reindex (for its progress bar) asks for it,
  // not the routine sync every few seconds.
  const remaining = withRemaining
    ? (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM service WHERE change_seq > $1`, [cursor]))[0]!.n
    : null;
  return { partner, cursor, hasMore: rows.length === limit, remaining, changes };
}

export function feedRoute(db: Queryable, partner: PartnerId): Route {
  return async (_req, url) => {
    const since = Number(url.searchParams.get("since") ?? "0");
    const limit = Number(url.searchParams.get("limit") ?? "1000");
    if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      return { status: 400, body: { error: "since must be an integer ≥ 0 and limit 1–10000" } };
    }
    return { status: 200, body: await readFeed(db, partner, since, limit, url.searchParams.get("count") === "1") };
  };
}

function feedLocation(l: LocationRow): FeedLocation {
  return l.confidential
    ? { latitude: null, longitude: null, postcode: outwardCode(l.postal_code), city: l.city, confidential: true }
    : { latitude: l.latitude, longitude: l.longitude, postcode: l.postal_code, city: l.city, confidential: false };
}
