// POST /referrals on a partner subgraph: the owner end of the referral channel (referral.wire.ts).
// The claims token must be addressed to this partner and signed over this exact body, like the
// gateway's; access is then decided per operation by referral.service.ts. Nothing here logs the
// body: a referral carries a child's personal data.
import { CLAIMS_HEADER, verifyClaims } from "../../../platform/claims.ts";
import { BodyTooLargeError, readBody, type Route } from "../../../platform/http.ts";
import type { PartnerId } from "../../../schema/vocabulary.ts";
import { ReferralError, type ReferralService } from "./referral.service.ts";
import { MAX_REFERRAL_BODY, type ReferralOp } from "./referral.wire.ts";

export function referralRoute(
  partner: PartnerId,
  secret: string,
  service: ReferralService | null,
): Route {
  return async (req) => {
    if (req.method !== "POST")
      return {
        status: 405,
        body: { error: "POST a referral operation" },
        headers: { allow: "POST" },
      };
    let text: string;
    try {
      text = await readBody(req, MAX_REFERRAL_BODY);
    } catch (err) {
      if (err instanceof BodyTooLargeError)
        return { status: 413, body: { error: `at most ${MAX_REFERRAL_BODY} bytes` } };
      throw err;
    }
    let claims;
    try {
      claims = await verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, secret, {
        audience: partner,
        body: text,
      });
    } catch (err) {
      return {
        status: 401,
        body: { error: err instanceof Error ? err.message : "unauthenticated" },
      };
    }
    const noStore = { "cache-control": "no-store" };
    if (!service) {
      return {
        status: 503,
        body: {
          ok: false,
          error: {
            code: "REFERRALS_UNAVAILABLE",
            message: `the ${partner} partner has no referral key configured`,
          },
        },
        headers: noStore,
      };
    }
    let op: ReferralOp;
    try {
      op = JSON.parse(text) as ReferralOp;
    } catch {
      return { status: 400, body: { error: "body is not JSON" } };
    }
    try {
      const result = await run(service, op, claims);
      return { status: 200, body: { ok: true, result }, headers: noStore };
    } catch (err) {
      if (err instanceof ReferralError)
        return { status: 200, body: { ok: false, error: err.wire }, headers: noStore };
      throw err;
    }
  };
}

function run(
  service: ReferralService,
  op: ReferralOp,
  claims: Parameters<ReferralService["get"]>[1],
) {
  switch (op?.op) {
    case "create":
      return service.create(op.input, claims);
    case "get":
      return service.get(op.id, claims);
    case "inbox":
      return service.inbox(op.status ?? null, op.first, op.after ?? null, claims);
    case "mine":
      return service.mine(op.first, claims);
    case "transition":
      return service.transition(op, claims);
    case "provideInfo":
      return service.provideInfo(op, claims);
    case "health":
      return service.health(claims);
    case "registerWebhook":
      return service.registerWebhook(op.url, claims);
    case "webhookDeliveries":
      return service.webhookDeliveries(op.first, claims);
    default:
      throw new ReferralError({ code: "BAD_REQUEST", message: "unknown referral operation" });
  }
}
