// Referral documents and inputs shared by the referral tests.
export const REFERRAL_FIELDS = /* GraphQL */ `
  id reference partner status overdue version urgency needs createdAt dueBy acknowledgedAt
  service { id name }
  child { name dateOfBirth postcode }
  reason
  consent { givenBy givenAt sharing }
  referrer { name email phone organisation }
  routePlan { reference need rankedServiceIds }
  declineReason suggestedAlternative { id } nextOption { id name } outcome purged
  history { at actor actorRole actorPartner from to versionFrom versionTo note }
`;

export const CREATE = /* GraphQL */ `
  mutation Create($input: ReferralInput!) { createReferral(input: $input) { ${REFERRAL_FIELDS} } }
`;
export const MOVE = /* GraphQL */ `
  mutation Move($id: ID!, $expectedVersion: Int!, $input: ReferralStatusInput!) {
    updateReferralStatus(id: $id, expectedVersion: $expectedVersion, input: $input) { ${REFERRAL_FIELDS} }
  }
`;
export const INBOX = /* GraphQL */ `
  query Inbox($status: ReferralStatus, $first: Int, $after: String) {
    referrals(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ${REFERRAL_FIELDS} } }
    }
  }
`;
export const MINE = /* GraphQL */ `
  query Mine { myReferrals { ${REFERRAL_FIELDS} } }
`;

const isoDaysAgo = (now: Date, days: number) =>
  new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
/** A date of birth making the child `years` old (and a few weeks) on `now`. */
export const bornYearsAgo = (now: Date, years: number) => {
  const d = new Date(now.getTime() - 30 * 86_400_000);
  d.setUTCFullYear(d.getUTCFullYear() - years);
  return d.toISOString().slice(0, 10);
};

export function referralInput(now: Date, overrides: Record<string, unknown> = {}) {
  return {
    serviceId: "council:fh-norwich",
    child: {
      name: "Amelia Quenby-Tarrant",
      dateOfBirth: bornYearsAgo(now, 7),
      postcode: "nr2 4ab",
    },
    needs: ["FAMILY_STRESS", "PARENTING"],
    reason: "Parents separating; Amelia is withdrawn at school and mother asks for family support.",
    consent: {
      givenBy: "Mother",
      givenAt: isoDaysAgo(now, 1),
      sharing: "Referral details shared with the family hub team only",
    },
    urgency: "SOON",
    referrer: {
      name: "Dan Teacher",
      email: "dan@school.example",
      phone: "01603 111111",
      organisation: "Norwich Primary",
    },
    ...overrides,
  };
}
