// The internal channel between the directory (which resolves the referral fields of the public
// API) and the partner that owns a referral. The directory forwards each call to the owner's
// POST /referrals with the caller's verified claims, signed with INTERNAL_SECRET for that partner
// and that exact body, exactly as the gateway signs its own calls; the partner checks access
// itself. Nothing on this channel is logged, stored or cached by the directory.
import { CLAIMS_HEADER, signClaims, type Claims } from "../../../platform/claims.ts";
import type { PartnerId } from "../../../schema/vocabulary.ts";

export const REFERRALS_PATH = "/referrals";
/** Largest body the partner's referral route reads. */
export const MAX_REFERRAL_BODY = 64 * 1024;

export const REFERRAL_STATUSES = [
  "NEW",
  "ACKNOWLEDGED",
  "ACCEPTED",
  "DECLINED",
  "MORE_INFO_REQUESTED",
  "CLOSED",
] as const;
export type StoredStatus = (typeof REFERRAL_STATUSES)[number];
/** What the API shows: a NEW referral past its due time is OVERDUE. */
export type ReferralStatusCode = StoredStatus | "OVERDUE";
export const URGENCIES = ["ROUTINE", "SOON", "URGENT"] as const;
export const DECLINE_REASONS = [
  "NOT_ELIGIBLE",
  "OUTSIDE_AREA",
  "NO_CAPACITY",
  "NEEDS_NOT_MET",
  "ALREADY_SUPPORTED",
  "CONSENT_WITHDRAWN",
  "OTHER",
] as const;
export const OUTCOMES = [
  "SUPPORT_COMPLETED",
  "SUPPORT_STARTED",
  "FAMILY_DISENGAGED",
  "REFERRED_ELSEWHERE",
  "NO_FURTHER_ACTION",
  "WITHDRAWN",
] as const;

export interface ChildWire {
  name: string;
  dateOfBirth: string;
  postcode: string;
}
export interface ConsentWire {
  givenBy: string;
  givenAt: string;
  sharing: string;
}
export interface ReferrerWire {
  name: string;
  email: string;
  phone: string | null;
  organisation: string | null;
}

export interface CreateReferralWire {
  serviceId: string;
  child?: Partial<ChildWire> | null;
  needs?: string[] | null;
  reason?: string | null;
  consent?: Partial<ConsentWire> | null;
  urgency?: string | null;
  referrer?: Partial<ReferrerWire> | null;
  routePlan?: {
    reference?: string | null;
    need?: string | null;
    rankedServiceIds?: string[] | null;
  } | null;
}

export interface ReferralEventWire {
  at: string;
  actor: string;
  actorRole: string;
  actorPartner: string | null;
  from: StoredStatus | null;
  to: StoredStatus;
  versionFrom: number | null;
  versionTo: number;
  note: string | null;
}

export interface ReferralWire {
  id: string;
  reference: string;
  partner: PartnerId;
  serviceId: string;
  status: ReferralStatusCode;
  storedStatus: StoredStatus;
  overdue: boolean;
  version: number;
  urgency: string;
  needs: string[];
  createdAt: string;
  dueBy: string;
  acknowledgedAt: string | null;
  /** Null once retention has purged the personal data. */
  child: ChildWire | null;
  reason: string | null;
  consent: ConsentWire | null;
  referrer: ReferrerWire | null;
  routePlan: { reference: string | null; need: string | null; rankedServiceIds: string[] } | null;
  declineReason: string | null;
  suggestedAlternativeServiceId: string | null;
  outcome: string | null;
  purged: boolean;
  history: ReferralEventWire[];
}

export interface ServiceReferralCounts {
  serviceId: string;
  sent: number;
  acknowledged: number;
  acknowledgedInTime: number;
  accepted: number;
  declined: number;
  declineReasons: { reason: string; count: number }[];
  overdue: number;
  closed: number;
}

export interface ReferralPage {
  nodes: ReferralWire[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export type ReferralOp =
  | { op: "create"; input: CreateReferralWire }
  | { op: "inbox"; status: ReferralStatusCode | null; first: number; after: string | null }
  | { op: "mine"; first: number }
  | { op: "get"; id: string }
  | {
      op: "transition";
      id: string;
      expectedVersion: number;
      to: string;
      declineReason?: string | null;
      suggestedAlternativeServiceId?: string | null;
      note?: string | null;
      outcome?: string | null;
    }
  | { op: "provideInfo"; id: string; expectedVersion: number; information: string }
  | { op: "health" }
  | { op: "registerWebhook"; url: string }
  | { op: "webhookDeliveries"; first: number };

/** An error the partner answers with: code and field as the API reports them. */
export interface ReferralErrorWire {
  code: string;
  message: string;
  field?: string;
  currentVersion?: number;
}

export type ReferralAnswer<T = unknown> =
  { ok: true; result: T } | { ok: false; error: ReferralErrorWire };

/** The channel failed (partner down, refused our signature): never the partner's own words. */
export class ReferralChannelError extends Error {
  override name = "ReferralChannelError";
  constructor(
    readonly partner: PartnerId,
    readonly reason: string,
  ) {
    super(`the ${partner} partner could not be reached for referrals (${reason})`);
  }
}

/** Sends one referral operation to the owner partner with the caller's claims. */
export async function callPartnerReferrals<T>(opts: {
  partner: PartnerId;
  /** The partner's GraphQL URL; the route is beside it. */
  url: string;
  claims: Claims;
  secret: string;
  op: ReferralOp;
  timeoutMs?: number;
}): Promise<ReferralAnswer<T>> {
  const body = JSON.stringify(opts.op);
  const token = await signClaims(opts.claims, opts.secret, { audience: opts.partner, body });
  let res: Response;
  try {
    res = await fetch(new URL(REFERRALS_PATH, opts.url), {
      method: "POST",
      headers: { [CLAIMS_HEADER]: token, "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 5000),
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    throw new ReferralChannelError(
      opts.partner,
      name === "TimeoutError" || name === "AbortError" ? "TIMEOUT" : "UNREACHABLE",
    );
  }
  if (res.status === 401 || res.status === 403)
    throw new ReferralChannelError(opts.partner, "UNAUTHORIZED");
  const answer = (await res.json().catch(() => null)) as ReferralAnswer<T> | null;
  if (!answer || typeof answer !== "object" || !("ok" in answer))
    throw new ReferralChannelError(opts.partner, `HTTP_ERROR`);
  return answer;
}
