// A service's page: everything the caller may see. Professional-only fields are asked for only when
// someone is signed in, so the public page never carries an authorisation error.
import type { PageContext, Rendered } from "../server.ts";
import { DAY_LABELS, DELIVERY_LABELS, REFERRAL_LABELS } from "../labels.ts";
import { ageText, offlineBanner, NEEDS_QUERY, type NeedInfo } from "./common.ts";

const service = (professional: boolean) => /* GraphQL */ `
  query WebService($id: ID!) {
    service(id: $id) {
      id name alternateName partner description status url email applicationProcess fees eligibilityDescription alert
      ageRange { minimumAge maximumAge }
      needs referralRoutes deliveryModes
      capacity { acceptingReferrals typicalWaitWeeks updatedAt }
      funding { contractEndDate funder }
      lastModified
      organization { name url }
      locations { name description confidential area address { address1 city postalCode } ${professional ? "exact { address { address1 city postalCode } }" : ""} }
      serviceAreas { code name }
      schedules { byDay opensAt closesAt description }
      costOptions { option amount currency amountDescription }
      contacts { name title email phone }
      languages { name code }
      ${professional ? "referralNotes professionalContacts { name title email phone }" : ""}
      ... on CouncilService { coDelivery { role staffShare organization { name } } }
    }
    ${NEEDS_QUERY}
  }
`;

export async function servicePage(ctx: PageContext, id: string): Promise<Rendered> {
  const professional = !!ctx.session?.token;
  const res = await ctx.ask<{ service: any; needs: NeedInfo[] }>(service(professional), { id });
  const banner = offlineBanner(res.errors);
  const s = res.data?.service;
  if (!s) {
    if (banner)
      return {
        status: 503,
        template: "message.njk",
        data: {
          title: "Service details unavailable",
          body: `${banner.names} could not be reached, so this service's details cannot be shown. Try again later.`,
          banner,
        },
      };
    return {
      status: 404,
      template: "message.njk",
      data: {
        title: "Service not found",
        body: "No partner lists a service with that address. It may have closed.",
      },
    };
  }
  const needLabel = Object.fromEntries((res.data?.needs ?? []).map((n) => [n.code, n.label]));
  return {
    template: "service.njk",
    data: {
      title: s.name,
      banner,
      professional,
      s,
      ages: ageText(s.ageRange),
      needs: s.needs.map((n: string) => needLabel[n] ?? n),
      referral: s.referralRoutes.map((r: string) => REFERRAL_LABELS[r] ?? r),
      delivery: s.deliveryModes.map((m: string) => DELIVERY_LABELS[m] ?? m),
      schedules: s.schedules.map((x: any) => ({
        days: x.byDay.map((d: string) => DAY_LABELS[d] ?? d).join(", "),
        hours: x.opensAt && x.closesAt ? `${x.opensAt} to ${x.closesAt}` : "",
        description: x.description,
      })),
      cost: s.costOptions.length
        ? s.costOptions.map((c: any) =>
            [c.option, c.amount ? `£${Number(c.amount).toFixed(2)}` : "Free", c.amountDescription]
              .filter(Boolean)
              .join(": "),
          )
        : ["Free"],
      coDelivery: (s.coDelivery ?? []).map((c: any) => ({
        name: c.organization?.name,
        role: c.role,
        share: c.staffShare != null ? `${Math.round(c.staffShare * 100)}% of staff` : null,
      })),
    },
  };
}
