// The change feed a partner exposes to the directory: services changed since a cursor, closures and
// deletions included, with just what search and routing need.
//   GET  /changes?since=<cursor>&limit=<n>   changes after a cursor ("0" = from the start)
//   GET  /changes/inventory                  every live service's id and change number
//   POST /changes {"ids": [...]}             the current state of named services (reconciliation)
// The cursor is opaque ("<xid>:<seq>"): a position in commit-safe feed order (migration 003).
import type { PartnerId } from "../../schema/vocabulary.ts";
import type { Queryable } from "./db/db.ts";
import { createPartnerLoaders } from "./loaders.ts";
import {
  changesAfter,
  childrenByServiceIds,
  serviceInventory,
  servicesByIdsWithTombstones,
  servicesChangedSince,
  type FeedPosition,
  type LocationRow,
  type ServiceRow,
} from "./service.data.ts";
import { globalId, outwardCode, toLocation, toService } from "./service.map.ts";
import type { Route } from "../../platform/http.ts";

export interface FeedLocation {
  /** The partner's location id. */
  id: string;
  /** Public name ("Confidential location" for a confidential place, as the partner shows it). */
  name: string | null;
  /** HSDS location type: physical, postal or virtual. */
  locationType: string;
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
  /** Global id of the organization ("<partner>:<hsds id>"), so the directory can reference it. */
  organizationId: string;
  status: string;
  /** Temporary notice (HSDS alert): why a service is paused and when it reopens. */
  alert: string | null;
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
  /** Who funds or commissions the service. */
  funder: string | null;
  /** When the partner last confirmed capacity (ISO timestamp). */
  capacityUpdatedAt: string | null;
  schedules: { byDay: string[]; opensAt: string | null; closesAt: string | null }[];
  /** The service's taxonomy terms: the partner's term id and the vocabulary it belongs to. */
  taxonomyTerms: { id: string; vocabulary: string | null }[];
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
  /** Pass back as `since` for the next page; unchanged when nothing new has committed. */
  cursor: string;
  hasMore: boolean;
  /** Changes after this page, when asked for with `count=1` (progress bars); otherwise null. */
  remaining: number | null;
  changes: FeedChange[];
}

export const FEED_START = "0";

/** "0" or "<xid>:<seq>" → a position; null for anything else. */
export function parseFeedCursor(cursor: string): FeedPosition | null {
  if (cursor === FEED_START) return { xid: "0", seq: 0 };
  const m = /^(\d{1,20}):(\d{1,18})$/.exec(cursor);
  return m ? { xid: m[1]!, seq: Number(m[2]) } : null;
}

export async function readFeed(
  db: Queryable,
  partner: PartnerId,
  since: string,
  limit: number,
  withRemaining = false,
): Promise<FeedPage> {
  const after = parseFeedCursor(since);
  if (!after) throw new Error(`not a change-feed cursor: "${since.slice(0, 40)}"`);
  const rows = await servicesChangedSince(db, after, limit);
  const changes = await toChanges(db, partner, rows);
  const last = rows.at(-1);
  const cursor = last ? `${last.change_xid}:${Number(last.change_seq)}` : since;
  // Counting is a scan of the rest of the feed: only a reindex (for its progress bar) asks for it,
  // not the routine sync every few seconds.
  const remaining = withRemaining ? await changesAfter(db, parseFeedCursor(cursor)!) : null;
  return { partner, cursor, hasMore: rows.length === limit, remaining, changes };
}

/** The current state of named services (hsds ids): deleted or unknown ones come back deleted. */
export async function readServices(
  db: Queryable,
  partner: PartnerId,
  hsdsIds: string[],
): Promise<FeedChange[]> {
  const found = await servicesByIdsWithTombstones(db, hsdsIds);
  const changes = await toChanges(db, partner, found);
  const seen = new Set(found.map((r) => r.id));
  for (const id of hsdsIds) {
    if (!seen.has(id))
      changes.push({ id: globalId(partner, id), seq: 0, deleted: true, service: null });
  }
  return changes;
}

async function toChanges(
  db: Queryable,
  partner: PartnerId,
  rows: ServiceRow[],
): Promise<FeedChange[]> {
  const live = rows.filter((r) => !r.deleted_at).map((r) => r.id);
  const loaders = createPartnerLoaders(db, partner);
  const [orgs, locations, areas, schedules, costs, languages, terms] = await Promise.all([
    loaders.organization.loadMany([
      ...new Set(rows.filter((r) => !r.deleted_at).map((r) => r.organization_id)),
    ]),
    childrenByServiceIds(db, "locations", live),
    loaders.children.serviceAreas.loadMany(live),
    loaders.children.schedules.loadMany(live),
    loaders.children.costOptions.loadMany(live),
    loaders.children.languages.loadMany(live),
    loaders.children.taxonomyTerms.loadMany(live),
  ]);
  const orgName = new Map(
    orgs.map((o) => (o && !(o instanceof Error) ? [o.hsdsId, o.name] : ["", ""])),
  );
  const at = new Map(live.map((id, i) => [id, i]));
  const locationsBy = new Map<string, LocationRow[]>();
  for (const l of locations)
    locationsBy.set(l.service_id, [...(locationsBy.get(l.service_id) ?? []), l]);
  return rows.map((row): FeedChange => {
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
        organizationId: globalId(partner, row.organization_id),
        status: s.status,
        alert: s.alert,
        needs: s.needs,
        referralRoutes: s.referralRoutes,
        deliveryModes: s.deliveryModes,
        languages: (languages[i] as { name: string; code: string | null }[]).map((l) =>
          (l.code ?? l.name).toLowerCase(),
        ),
        localAuthorities: (areas[i] as { code: string }[]).map((a) => a.code),
        minimumAge: s.ageRange.minimumAge,
        maximumAge: s.ageRange.maximumAge,
        free: costList.every((c) => !c.amount),
        acceptingReferrals: s.capacity.acceptingReferrals,
        typicalWaitWeeks: s.capacity.typicalWaitWeeks,
        contractEndDate: s.funding.contractEndDate,
        funder: s.funding.funder,
        capacityUpdatedAt: s.capacity.updatedAt
          ? new Date(s.capacity.updatedAt).toISOString()
          : null,
        schedules: (schedules[i] as FeedService["schedules"]).map((x) => ({
          byDay: x.byDay,
          opensAt: x.opensAt,
          closesAt: x.closesAt,
        })),
        taxonomyTerms: (terms[i] as { id: string; vocabulary: string | null }[]).map((t) => ({
          id: t.id,
          vocabulary: t.vocabulary,
        })),
        locations: (locationsBy.get(row.id) ?? []).map(feedLocation),
        lastModified: s.lastModified.toISOString(),
      },
    };
  });
}

const MAX_IDS = 10_000;

export function feedRoute(db: Queryable, partner: PartnerId): Route {
  return async (req, url) => {
    if (req.method === "POST") {
      const body = await readJson(req, 2_000_000);
      const ids = (body as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((v) => typeof v === "string")) {
        return {
          status: 400,
          body: { error: `body must be {"ids": [...]} with at most ${MAX_IDS} service ids` },
        };
      }
      const hsdsIds = ids.map((id) =>
        id.startsWith(`${partner}:`) ? id.slice(partner.length + 1) : id,
      );
      return { status: 200, body: { partner, changes: await readServices(db, partner, hsdsIds) } };
    }
    const since = url.searchParams.get("since") ?? FEED_START;
    const limit = Number(url.searchParams.get("limit") ?? "1000");
    if (!parseFeedCursor(since) || !Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      return {
        status: 400,
        body: { error: 'since must be "0" or a cursor from this feed, and limit 1–10000' },
      };
    }
    return {
      status: 200,
      body: await readFeed(db, partner, since, limit, url.searchParams.get("count") === "1"),
    };
  };
}

export function inventoryRoute(db: Queryable, partner: PartnerId): Route {
  return async () => {
    const rows = await serviceInventory(db);
    return {
      status: 200,
      body: { partner, services: rows.map((r) => [globalId(partner, r.id), Number(r.change_seq)]) },
    };
  };
}

async function readJson(req: import("node:http").IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

function feedLocation(l: LocationRow): FeedLocation {
  // toLocation's public view: the name the partner shows everyone (masked for a confidential place).
  const { id, name, locationType } = toLocation(l);
  return l.confidential
    ? {
        id,
        name,
        locationType,
        latitude: null,
        longitude: null,
        postcode: outwardCode(l.postal_code),
        city: l.city,
        confidential: true,
      }
    : {
        id,
        name,
        locationType,
        latitude: l.latitude,
        longitude: l.longitude,
        postcode: l.postal_code,
        city: l.city,
        confidential: false,
      };
}
