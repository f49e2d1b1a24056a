// The soak's traffic: what a mixed day of directory use looks like, as seeded requests. Shared by
// the soak's closed-loop clients (in the stack's process) and its open-loop load generator
// (scripts/bench/open-loop.ts, a process of its own), so both send the same mix.

/** A search page as the web app asks it, with facets (also `npm run bench -- search`'s). */
export const SEARCH_QUERY = /* GraphQL */ `
  query Search($query: String, $filter: ServiceFilter, $near: NearInput, $sort: SearchSort) {
    searchServices(query: $query, filter: $filter, near: $near, sort: $sort, first: 20) {
      totalCount
      edges {
        distanceKm
        highlight
        node {
          id
          name
          partner
          needs
          ageRange {
            minimumAge
            maximumAge
          }
          organization {
            name
          }
        }
      }
      facets {
        needs {
          value
          count
        }
        partner {
          value
          count
        }
      }
    }
  }
`;
const SEARCHES: Record<string, unknown>[] = [
  { query: "bereavment", filter: { localAuthorities: ["E10000020"], age: 9 } },
  { query: "family support" },
  {
    filter: {
      needs: ["MENTAL_HEALTH", "FAMILY_STRESS"],
      needsMatch: "ALL",
      referralRoutes: ["SELF"],
    },
  },
  { near: { postcode: "NR2 4AB", radiusKm: 5 }, sort: "DISTANCE" },
  { query: "CAHMS", filter: { openAt: { day: "MO", time: "16:00" } } },
  { query: "speech therapy", filter: { localAuthorities: ["W06000022"] } },
  { filter: { localAuthorities: ["E06000023"], needs: ["YOUNG_CARERS"] }, sort: "NAME" },
];
const SERVICE_QUERY = /* GraphQL */ `
  query Service($id: ID!) {
    service(id: $id) {
      id
      name
      partner
      needs
      status
      ageRange {
        minimumAge
        maximumAge
      }
      organization {
        name
      }
      locations {
        name
        area
      }
      capacity {
        acceptingReferrals
        typicalWaitWeeks
      }
    }
  }
`;
/** routeChild as the web app's plan asks it (also `npm run bench -- route`'s). */
export const ROUTE_QUERY = /* GraphQL */ `
  query Route($profile: ChildProfileInput!) {
    routeChild(profile: $profile) {
      needs {
        need
        status
        services {
          service {
            id
            name
            partner
          }
          coversNeeds
          distanceKm
          typicalWaitWeeks
        }
        gaps {
          kind
          message
        }
      }
      level {
        level
      }
      leadAgency {
        partner
      }
    }
  }
`;
const PROFILES = [
  {
    age: 9,
    needs: ["MENTAL_HEALTH", "YOUNG_CARERS", "FAMILY_STRESS", "ADHD"],
    postcode: "NR2 4AB",
  },
  {
    age: 14,
    needs: ["SAFEGUARDING", "MENTAL_HEALTH", "LEARNING_DIFFICULTY", "EDUCATION"],
    postcode: "NP20 1AA",
  },
  {
    age: 4,
    needs: ["SPEECH_LANGUAGE", "AUTISM", "PARENTING", "FINANCIAL_HARDSHIP"],
    localAuthority: "E06000023",
    urgency: "SOON",
  },
  {
    age: 16,
    needs: ["SUBSTANCE_MISUSE", "YOUTH_JUSTICE", "HOUSING", "MENTAL_HEALTH"],
    postcode: "BS5 0AA",
    maxTravelKm: 10,
  },
];
const COVERAGE_QUERY = /* GraphQL */ `
  query Coverage($area: String!, $ageBand: AgeBand) {
    coverage(area: $area, ageBand: $ageBand) {
      localAuthority
      needs {
        need
        cells {
          ageBand
          total
          gap
          byPartner {
            partner
            count
          }
        }
      }
      gaps
      endingContracts {
        contractEndDate
        withinMonths
        soleProviderFor
        service {
          id
          name
          partner
        }
      }
      offlinePartners
    }
  }
`;
const AREAS = ["E10000020", "E06000023", "W06000022"];
const AGE_BANDS = [null, "EARLY_YEARS", "PRIMARY", "SECONDARY", "POST_16"];

export type Op = "search" | "service" | "routeChild" | "coverage";
/**
 * The mix: mostly search and service pages, a fifth routing, coverage now and then. A small seeded
 * generator: the same seed picks the same requests.
 */
export function soakMix(serviceIds: readonly string[], seed = 20240611) {
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  return (): { op: Op; query: string; variables: Record<string, unknown> } => {
    const r = rand();
    if (r < 0.45) return { op: "search", query: SEARCH_QUERY, variables: pick(SEARCHES) };
    if (r < 0.75)
      return { op: "service", query: SERVICE_QUERY, variables: { id: pick(serviceIds) } };
    if (r < 0.97)
      return { op: "routeChild", query: ROUTE_QUERY, variables: { profile: pick(PROFILES) } };
    return {
      op: "coverage",
      query: COVERAGE_QUERY,
      variables: { area: pick(AREAS), ageBand: pick(AGE_BANDS) },
    };
  };
}
