// Referrals in the web app: "Refer" from a service page or a route plan (consent first, then the
// child's details, check your answers, confirmation with a reference — the GOV.UK question-page
// pattern), "My referrals", the partner admin's inbox, and referral health for commissioners.
// A draft referral lives only in this server's memory, tied to the session: never in a URL, a
// cookie or the browser, and it is dropped once sent.
import type { PageContext, Rendered } from "../server.ts";
import type { Session } from "../session.ts";
import { Errors, NEEDS_QUERY, type NeedInfo } from "./common.ts";
import { dateAnchor, dateInputView, partsOf, readDateInput } from "./date-input.ts";

interface Draft {
  serviceId: string;
  serviceName: string;
  need: string | null;
  ranked: string[];
  consent?: { givenBy: string; givenAt: string; sharing: string };
  child?: { name: string; dateOfBirth: string; postcode: string };
  needs?: string[];
  reason?: string;
  urgency?: string;
  referrer?: { name: string; email: string; phone: string; organisation: string };
  /** Set once sent: the reference shown on the confirmation page. */
  sent?: { id: string; reference: string; dueBy: string };
}

const drafts = new WeakMap<Session, Draft>();

export type ReferralAnswer = Rendered | { redirect: string };

const STATUS_TEXT: Record<string, { text: string; colour: string }> = {
  NEW: { text: "Sent", colour: "blue" },
  OVERDUE: { text: "Overdue", colour: "red" },
  ACKNOWLEDGED: { text: "Acknowledged", colour: "light-blue" },
  ACCEPTED: { text: "Accepted", colour: "green" },
  DECLINED: { text: "Declined", colour: "orange" },
  MORE_INFO_REQUESTED: { text: "More information requested", colour: "yellow" },
  CLOSED: { text: "Closed", colour: "grey" },
};
const statusTag = (s: string) => STATUS_TEXT[s] ?? { text: s, colour: "grey" };

const signInFirst = (_ctx: PageContext): Rendered => ({
  status: 401,
  template: "message.njk",
  data: {
    title: "Sign in to make referrals",
    body: "Referrals are for signed-in professionals. Use “Sign in” at the top of the page.",
  },
});

const field = (f: URLSearchParams | undefined, k: string) => (f?.get(k) ?? "").trim();

/** The API's field path → the form input that holds it. */
const INPUT_OF: Record<string, string> = {
  "input.consent": "givenBy",
  "input.consent.givenBy": "givenBy",
  "input.consent.givenAt": "givenAt-day",
  "input.consent.sharing": "sharing",
  "input.child.name": "childName",
  "input.child.dateOfBirth": "dateOfBirth-day",
  "input.child.postcode": "postcode",
  "input.needs": "needs",
  "input.reason": "reason",
  "input.referrer.name": "referrerName",
  "input.referrer.email": "referrerEmail",
  "input.referrer.phone": "referrerPhone",
  "input.serviceId": "service",
};
const CONSENT_FIELDS = new Set(["givenBy", "givenAt-day", "sharing"]);

const CREATE = /* GraphQL */ `
  mutation WebCreateReferral($input: ReferralInput!) {
    createReferral(input: $input) {
      id
      reference
      dueBy
    }
  }
`;

const DECLINE_REASONS: { value: string; text: string }[] = [
  { value: "NOT_ELIGIBLE", text: "The child does not meet the service's criteria" },
  { value: "OUTSIDE_AREA", text: "The child lives outside the area the service covers" },
  { value: "NO_CAPACITY", text: "The service cannot take more children now" },
  { value: "NEEDS_NOT_MET", text: "The service does not meet this child's needs" },
  { value: "ALREADY_SUPPORTED", text: "The child is already supported" },
  { value: "CONSENT_WITHDRAWN", text: "The family withdrew consent" },
  { value: "OTHER", text: "Another reason (explain below)" },
];
const OUTCOMES: { value: string; text: string }[] = [
  { value: "SUPPORT_STARTED", text: "Support started" },
  { value: "SUPPORT_COMPLETED", text: "Support completed" },
  { value: "REFERRED_ELSEWHERE", text: "Referred to another service" },
  { value: "FAMILY_DISENGAGED", text: "The family stopped taking part" },
  { value: "NO_FURTHER_ACTION", text: "No further action" },
  { value: "WITHDRAWN", text: "Withdrawn by the referrer" },
];
/** Fixed labels only: nothing typed by anyone goes into this HTML. */
const OUTCOME_OPTIONS = OUTCOMES.map((o) => `<option value="${o.value}">${o.text}</option>`).join(
  "",
);
const declineText = (v: string | null | undefined) =>
  DECLINE_REASONS.find((r) => r.value === v)?.text ?? v ?? "";

const adminsOnly: Rendered = {
  status: 403,
  template: "message.njk",
  data: {
    title: "Partner administrators only",
    body: "The referral inbox is for a partner's administrators.",
  },
};

const REFERRAL_FOR_ACTION = /* GraphQL */ `
  query WebReferralForAction($id: ID!) {
    referral(id: $id) {
      id
      reference
      status
      version
      needs
      createdAt
      service {
        id
        name
      }
      child {
        name
      }
      history {
        at
        to
        note
      }
    }
  }
`;

const MOVE_REFERRAL = /* GraphQL */ `
  mutation WebMoveReferral($id: ID!, $v: Int!, $input: ReferralStatusInput!) {
    updateReferralStatus(id: $id, expectedVersion: $v, input: $input) {
      id
      status
    }
  }
`;

const CONFLICT_TEXT =
  "Someone else changed this referral since you opened it. Check it again in the inbox.";

export async function referralPages(
  ctx: PageContext,
  method: string,
  p: string,
): Promise<ReferralAnswer | null> {
  const session = ctx.session;
  const signedIn = !!session?.token && !!session.user;
  const f = ctx.form;

  if (p === "/refer/start") {
    if (!signedIn) return signInFirst(ctx);
    const src = method === "POST" ? f! : ctx.url.searchParams;
    const serviceId = (src.get("service") ?? "").trim();
    const res = await ctx.ask<{ service: { id: string; name: string } | null }>(
      /* GraphQL */ `
        query WebReferService($id: ID!) {
          service(id: $id) {
            id
            name
          }
        }
      `,
      { id: serviceId },
    );
    const s = res.data?.service;
    if (!s)
      return {
        status: 404,
        template: "message.njk",
        data: { title: "Service not found", body: "That service cannot be referred to." },
      };
    drafts.set(session!, {
      serviceId: s.id,
      serviceName: s.name,
      need: src.get("need") || null,
      ranked: (src.get("ranked") ?? "")
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean)
        .slice(0, 50),
    });
    return { redirect: "/refer/consent" };
  }

  if (p.startsWith("/refer/")) {
    if (!signedIn) return signInFirst(ctx);
    const draft = drafts.get(session!);
    if (!draft)
      return {
        status: 400,
        template: "message.njk",
        data: {
          title: "Start a referral from a service",
          body: "Choose “Refer” on a service's page or on a route plan.",
        },
      };
    const base = { title: `Refer to ${draft.serviceName}`, draft };

    if (p === "/refer/consent") {
      if (method === "GET")
        return {
          template: "refer-consent.njk",
          sensitive: true,
          data: {
            ...base,
            values: draft.consent ?? {},
            givenAt: dateInputView(partsOf(draft.consent?.givenAt), null),
            errorSummary: [],
            fieldErrors: {},
          },
        };
      const values = {
        givenBy: field(f, "givenBy"),
        sharing: field(f, "sharing"),
      };
      const givenAt = readDateInput(f, "givenAt", {
        label: "The date consent was given",
        enter: "Enter the date consent was given",
        notAfter: new Date(),
      });
      const errors = new Errors();
      if (f?.get("agreed") !== "yes")
        errors.add("agreed", "Confirm the family has agreed to this referral");
      if (!values.givenBy) errors.add("givenBy", "Enter who gave consent");
      if (givenAt.error) errors.add(dateAnchor("givenAt", givenAt.error), givenAt.error.text);
      if (!values.sharing) errors.add("sharing", "Enter what the family agreed may be shared");
      if (errors.any)
        return {
          status: 400,
          template: "refer-consent.njk",
          sensitive: true,
          data: {
            ...base,
            values,
            givenAt: dateInputView(givenAt.parts, givenAt.error),
            agreed: f?.get("agreed") === "yes",
            errorSummary: errors.summary(),
            fieldErrors: errors.byField(),
          },
        };
      draft.consent = { ...values, givenAt: givenAt.iso! };
      return { redirect: draft.child ? "/refer/check" : "/refer/child" };
    }

    if (p === "/refer/child") {
      const needs =
        (await ctx.ask<{ needs: NeedInfo[] }>(`query WebNeeds { ${NEEDS_QUERY} }`)).data?.needs ??
        [];
      const items = (chosen: string[]) =>
        needs.map((n) => ({ value: n.code, text: n.label, checked: chosen.includes(n.code) }));
      if (!draft.consent) return { redirect: "/refer/consent" };
      const current = {
        childName: draft.child?.name ?? "",
        postcode: draft.child?.postcode ?? "",
        reason: draft.reason ?? "",
        urgency: draft.urgency ?? "ROUTINE",
        referrerName: draft.referrer?.name ?? session!.user?.name ?? "",
        referrerEmail: draft.referrer?.email ?? "",
        referrerPhone: draft.referrer?.phone ?? "",
        referrerOrganisation: draft.referrer?.organisation ?? "",
      };
      const chosenNeeds = draft.needs ?? (draft.need ? [draft.need] : []);
      if (method === "GET")
        return {
          template: "refer-child.njk",
          sensitive: true,
          data: {
            ...base,
            values: current,
            dateOfBirth: dateInputView(partsOf(draft.child?.dateOfBirth), null),
            needItems: items(chosenNeeds),
            errorSummary: [],
            fieldErrors: {},
          },
        };
      const values = Object.fromEntries(
        Object.keys(current).map((k) => [k, field(f, k)]),
      ) as typeof current;
      const picked = f!.getAll("needs");
      const errors = new Errors();
      if (!values.childName) errors.add("childName", "Enter the child's name");
      const dateOfBirth = readDateInput(f, "dateOfBirth", {
        label: "Date of birth",
        enter: "Enter the child's date of birth",
        notAfter: new Date(),
      });
      if (dateOfBirth.error)
        errors.add(dateAnchor("dateOfBirth", dateOfBirth.error), dateOfBirth.error.text);
      if (!values.postcode) errors.add("postcode", "Enter the child's postcode");
      if (!picked.length) errors.add("needs", "Choose at least one need");
      if (!values.reason) errors.add("reason", "Enter why you are referring the child");
      if (!values.referrerName) errors.add("referrerName", "Enter your name");
      if (!values.referrerEmail) errors.add("referrerEmail", "Enter your email address");
      if (errors.any)
        return {
          status: 400,
          template: "refer-child.njk",
          sensitive: true,
          data: {
            ...base,
            values,
            dateOfBirth: dateInputView(dateOfBirth.parts, dateOfBirth.error),
            needItems: items(picked),
            errorSummary: errors.summary(),
            fieldErrors: errors.byField(),
          },
        };
      draft.child = {
        name: values.childName,
        dateOfBirth: dateOfBirth.iso!,
        postcode: values.postcode,
      };
      draft.needs = picked;
      draft.reason = values.reason;
      draft.urgency = ["ROUTINE", "SOON", "URGENT"].includes(values.urgency)
        ? values.urgency
        : "ROUTINE";
      draft.referrer = {
        name: values.referrerName,
        email: values.referrerEmail,
        phone: values.referrerPhone,
        organisation: values.referrerOrganisation,
      };
      return { redirect: "/refer/check" };
    }

    if (p === "/refer/check") {
      if (!draft.consent) return { redirect: "/refer/consent" };
      if (!draft.child) return { redirect: "/refer/child" };
      if (method === "GET")
        return {
          template: "refer-check.njk",
          sensitive: true,
          data: { ...base, errorSummary: [] },
        };
      const res = await ctx.ask<{
        createReferral: { id: string; reference: string; dueBy: string };
      }>(CREATE, {
        input: {
          serviceId: draft.serviceId,
          child: draft.child,
          needs: draft.needs,
          reason: draft.reason,
          consent: draft.consent,
          urgency: draft.urgency,
          referrer: {
            ...draft.referrer,
            phone: draft.referrer?.phone || null,
            organisation: draft.referrer?.organisation || null,
          },
          routePlan:
            draft.ranked.length || draft.need
              ? { need: draft.need, rankedServiceIds: draft.ranked }
              : null,
        },
      });
      const sent = res.data?.createReferral;
      if (!sent) {
        // The API names the field: send the user back to the question that holds it.
        const errorSummary = (res.errors ?? []).map((e) => {
          const input = INPUT_OF[String(e.extensions?.field ?? "")];
          const page = input && CONSENT_FIELDS.has(input) ? "/refer/consent" : "/refer/child";
          return input ? { text: e.message, href: `${page}#${input}` } : { text: e.message };
        });
        return {
          status: 400,
          template: "refer-check.njk",
          sensitive: true,
          data: { ...base, errorSummary },
        };
      }
      drafts.set(session!, {
        serviceId: draft.serviceId,
        serviceName: draft.serviceName,
        need: null,
        ranked: [],
        sent,
      });
      return { redirect: "/refer/done" };
    }

    if (p === "/refer/done") {
      if (!draft.sent) return { redirect: "/refer/check" };
      return {
        template: "refer-done.njk",
        data: { ...base, title: "Referral sent", sent: draft.sent },
      };
    }
    return null;
  }

  if (p === "/referrals/mine" && method === "GET") {
    if (!signedIn) return signInFirst(ctx);
    const res = await ctx.ask<{ myReferrals: any[] }>(/* GraphQL */ `
      query WebMyReferrals {
        myReferrals(first: 100) {
          id
          reference
          status
          overdue
          createdAt
          dueBy
          declineReason
          suggestedAlternative {
            id
            name
          }
          service {
            id
            name
          }
          nextOption {
            id
            name
          }
          child {
            name
          }
          history {
            at
            to
            actorRole
          }
        }
      }
    `);
    const rows = (res.data?.myReferrals ?? []).map((r) => ({
      ...r,
      tag: statusTag(r.status),
      declineText: declineText(r.declineReason),
    }));
    return {
      template: "my-referrals.njk",
      sensitive: true,
      data: { title: "My referrals", rows, apiErrors: res.errors ?? [] },
    };
  }

  // Declining (a reason, optionally another service and an explanation) and asking for more
  // information are question pages of their own, reached from the inbox: plain forms that work
  // without JavaScript.
  if (p === "/referrals/inbox/decline" || p === "/referrals/inbox/more-info") {
    if (!signedIn) return signInFirst(ctx);
    if (session!.user?.role !== "partner-admin") return adminsOnly;
    const decline = p === "/referrals/inbox/decline";
    const id = (method === "POST" ? field(f, "id") : ctx.url.searchParams.get("id")) ?? "";
    const read = await ctx.ask<{ referral: any }>(REFERRAL_FOR_ACTION, { id });
    const r = read.data?.referral;
    if (!r)
      return {
        status: 404,
        template: "message.njk",
        data: { title: "Referral not found", body: "It is not in your partner's inbox." },
      };
    const allowed = decline
      ? ["ACKNOWLEDGED", "MORE_INFO_REQUESTED"].includes(r.status)
      : r.status === "ACKNOWLEDGED";
    let alternatives: { value: string; text: string }[] = [];
    if (decline) {
      // Services meeting the referral's needs, for the referrer to try instead.
      const found = await ctx.ask<{ searchServices: { edges: { node: any }[] } }>(
        /* GraphQL */ `
          query WebDeclineAlternatives($filter: ServiceFilter) {
            searchServices(filter: $filter, first: 30, sort: RELEVANCE) {
              edges {
                node {
                  id
                  name
                }
              }
            }
          }
        `,
        { filter: { needs: r.needs } },
      );
      alternatives = (found.data?.searchServices.edges ?? [])
        .map((e) => e.node)
        .filter((s) => s.id !== r.service.id)
        .map((s) => ({ value: s.id, text: s.name }));
    }
    const values = {
      declineReason: field(f, "declineReason"),
      alternative: field(f, "alternative"),
      note: field(f, "note"),
    };
    const view = (status: number, errors: Errors, problem: string | null = null): Rendered => ({
      status,
      template: decline ? "referral-decline.njk" : "referral-more-info.njk",
      sensitive: true,
      data: {
        title: decline ? `Decline referral ${r.reference}` : `Ask for more information`,
        r,
        allowed,
        values,
        version: method === "POST" ? field(f, "version") : String(r.version),
        reasonItems: DECLINE_REASONS.map((x) => ({
          ...x,
          checked: x.value === values.declineReason,
        })),
        alternativeItems: [
          { value: "", text: "Do not suggest a service" },
          ...alternatives.map((a) => ({ ...a, selected: a.value === values.alternative })),
        ],
        problem,
        errorSummary: problem ? [{ text: problem }] : errors.summary(),
        fieldErrors: errors.byField(),
      },
    });
    if (method !== "POST" || !allowed) return view(allowed ? 200 : 409, new Errors());
    const errors = new Errors();
    if (decline && !DECLINE_REASONS.some((x) => x.value === values.declineReason))
      errors.add("declineReason", "Select why you are declining the referral");
    if (decline && values.declineReason === "OTHER" && !values.note)
      errors.add("note", "Explain why you are declining the referral");
    if (!decline && !values.note) errors.add("note", "Enter what you need to know");
    if (values.note.length > 4000)
      errors.add("note", "The explanation must be 4,000 characters or fewer");
    if (decline && values.alternative && !alternatives.some((a) => a.value === values.alternative))
      errors.add("alternative", "Select a service from the list");
    if (errors.any) return view(400, errors);
    const input: Record<string, unknown> = decline
      ? {
          status: "DECLINED",
          declineReason: values.declineReason,
          suggestedAlternativeServiceId: values.alternative || null,
          note: values.note || null,
        }
      : { status: "MORE_INFO_REQUESTED", note: values.note };
    const res = await ctx.ask(MOVE_REFERRAL, {
      id: r.id,
      v: Number(field(f, "version")),
      input,
    });
    const e = res.errors?.[0];
    if (e)
      return view(
        e.extensions?.code === "CONFLICT" ? 409 : 400,
        errors,
        e.extensions?.code === "CONFLICT" ? CONFLICT_TEXT : e.message,
      );
    return { redirect: "/referrals/inbox" };
  }

  // The referrer answers a partner's request for more information.
  if (p === "/referrals/answer") {
    if (!signedIn) return signInFirst(ctx);
    const id = (method === "POST" ? field(f, "id") : ctx.url.searchParams.get("id")) ?? "";
    const read = await ctx.ask<{ referral: any }>(REFERRAL_FOR_ACTION, { id });
    const r = read.data?.referral;
    if (!r)
      return {
        status: 404,
        template: "message.njk",
        data: { title: "Referral not found", body: "It is not one of your referrals." },
      };
    const question =
      [...(r.history ?? [])].reverse().find((h: any) => h.to === "MORE_INFO_REQUESTED") ?? null;
    const information = field(f, "information");
    const view = (status: number, errors: Errors, problem: string | null = null): Rendered => ({
      status,
      template: "referral-answer.njk",
      sensitive: true,
      data: {
        title: `Answer a request about referral ${r.reference}`,
        r,
        question,
        open: r.status === "MORE_INFO_REQUESTED",
        information,
        version: method === "POST" ? field(f, "version") : String(r.version),
        errorSummary: problem ? [{ text: problem }] : errors.summary(),
        fieldErrors: errors.byField(),
      },
    });
    if (method !== "POST" || r.status !== "MORE_INFO_REQUESTED")
      return view(
        r.status === "MORE_INFO_REQUESTED" || method !== "POST" ? 200 : 409,
        new Errors(),
      );
    const errors = new Errors();
    if (!information) errors.add("information", "Enter the information the service asked for");
    if (information.length > 4000)
      errors.add("information", "Your answer must be 4,000 characters or fewer");
    if (errors.any) return view(400, errors);
    const res = await ctx.ask(
      /* GraphQL */ `
        mutation WebProvideReferralInformation($id: ID!, $v: Int!, $information: String!) {
          provideReferralInformation(id: $id, expectedVersion: $v, information: $information) {
            id
            status
          }
        }
      `,
      { id: r.id, v: Number(field(f, "version")), information },
    );
    const e = res.errors?.[0];
    if (e)
      return view(
        e.extensions?.code === "CONFLICT" ? 409 : 400,
        errors,
        e.extensions?.code === "CONFLICT"
          ? "The referral changed since you opened it. Check it again in My referrals."
          : e.message,
      );
    return { redirect: "/referrals/mine" };
  }

  if (p === "/referrals/inbox") {
    if (!signedIn) return signInFirst(ctx);
    if (session!.user?.role !== "partner-admin") return adminsOnly;
    let problem: string | null = null;
    if (method === "POST") {
      const input: Record<string, unknown> = { status: field(f, "status") };
      if (field(f, "declineReason")) input.declineReason = field(f, "declineReason");
      if (field(f, "outcome")) input.outcome = field(f, "outcome");
      if (field(f, "note")) input.note = field(f, "note");
      const res = await ctx.ask(MOVE_REFERRAL, {
        id: field(f, "id"),
        v: Number(field(f, "version")),
        input,
      });
      if (res.errors?.length) {
        const e = res.errors[0]!;
        problem = e.extensions?.code === "CONFLICT" ? CONFLICT_TEXT : e.message;
      } else return { redirect: "/referrals/inbox" };
    }
    const status = ctx.url.searchParams.get("status") || null;
    const res = await ctx.ask<{ referrals: { totalCount: number; edges: { node: any }[] } }>(
      /* GraphQL */ `
        query WebInbox($status: ReferralStatus) {
          referrals(status: $status, first: 50) {
            totalCount
            edges {
              node {
                id
                reference
                status
                overdue
                version
                urgency
                needs
                createdAt
                dueBy
                reason
                service {
                  id
                  name
                }
                child {
                  name
                  dateOfBirth
                  postcode
                }
                referrer {
                  name
                  email
                  phone
                  organisation
                }
              }
            }
          }
        }
      `,
      { status },
    );
    const rows = (res.data?.referrals.edges ?? []).map((e) => ({
      ...e.node,
      tag: statusTag(e.node.status),
    }));
    return {
      status: problem ? 409 : 200,
      template: "referral-inbox.njk",
      sensitive: true,
      data: {
        title: "Referral inbox",
        outcomeOptions: OUTCOME_OPTIONS,
        rows,
        total: res.data?.referrals.totalCount ?? 0,
        problem,
        filter: status,
      },
    };
  }

  if (p === "/referral-health" && method === "GET") {
    if (!signedIn) return signInFirst(ctx);
    const area = (ctx.url.searchParams.get("area") ?? "E10000020").trim();
    const res = await ctx.ask<{ referralHealth: any }>(
      /* GraphQL */ `
        query WebReferralHealth($area: String!) {
          referralHealth(area: $area) {
            localAuthority
            offlinePartners
            partners {
              partner
              sent
              acknowledgedInTime
              accepted
              declined
              overdue
              declineReasons {
                reason
                count
              }
              services {
                service {
                  id
                  name
                }
                sent
                acknowledgedInTime
                accepted
                declined
                overdue
                declineReasons {
                  reason
                  count
                }
              }
            }
          }
        }
      `,
      { area },
    );
    return {
      template: "referral-health.njk",
      data: {
        title: "Referral health",
        area,
        health: res.data?.referralHealth ?? null,
        apiErrors: res.errors ?? [],
      },
    };
  }
  return null;
}
