// Query-plan snapshots (gateway-js `toCallService` habit): which subgraphs each README query and
// each web page's query touches, as planned from the committed supergraph by @apollo/query-planner,
// the planner @apollo/gateway runs. The directory answers what a search result, a route plan and a
// coverage card show from its copy (@provides), so those pages are one subgraph fetch; what only a
// partner has (exact location, referral notes, contacts, co-delivery) still goes to the owner.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { printPlan, subgraphCalls, subgraphsTouched } from "./helpers/plan.ts";

const README = readFileSync("README.md", "utf8");
const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (needle: string) => {
  const found = blocks.filter((b) => b.includes(needle));
  if (found.length !== 1)
    throw new Error(`expected one README graphql block with ${needle}, found ${found.length}`);
  return found[0]!;
};
const PARTNERS_IN_PARALLEL = { parallel: ["charity", "council", "health"] };

describe("query plans of the README's queries", () => {
  it("the first search (name, partner, needs, ages, organization, area) is one fetch from the directory", () => {
    expect(subgraphCalls(blocks[0]!)).toEqual(["directory"]);
  });

  it("search with typos, filters, facets and distance (capacity, stale, highlight) is one fetch", () => {
    expect(subgraphCalls(block('query: "cahms"'))).toEqual(["directory"]);
  });

  it("routing a child with several needs, and coverage, is one fetch", () => {
    expect(subgraphCalls(block("YOUNG_CARERS, FAMILY_STRESS, ADHD"))).toEqual(["directory"]);
    expect(subgraphCalls(block("TR21 0HE"))).toEqual(["directory"]);
  });

  it("service(id) still asks the owning partner: the partner is the source of truth for one service", () => {
    expect(subgraphCalls(block('service(id: "health:'))).toEqual([
      "directory",
      PARTNERS_IN_PARALLEL,
      "directory",
    ]);
  });

  it("co-delivery comes from the charity, on a council service", () => {
    const plan = printPlan(block("coDelivery { role staffShare"));
    // The README's co-delivery example starts from a search (directory); the council confirms
    // which co-deliveries it accepted, the charity resolves them; health is never asked.
    expect(subgraphsTouched(block("coDelivery { role staffShare"))).toEqual([
      "charity",
      "council",
      "directory",
    ]);
    expect(plan).toMatch(/Fetch\(service: "charity"\)[\s\S]*coDelivery/);
  });

  it("every non-mutation README query is covered above", () => {
    const reads = blocks.filter((b) => !/^\s*mutation/.test(b));
    expect(reads).toHaveLength(6);
  });
});

describe("query plans of the pages the web app renders", () => {
  it("the search page's result cards are one fetch", () => {
    const web = readFileSync("web/pages/search.ts", "utf8");
    const query = /const SEARCH = \/\* GraphQL \*\/ `([\s\S]*?)`;/.exec(web)![1]!;
    expect(subgraphCalls(query)).toEqual(["directory"]);
  });

  it("the route page's plan is one fetch", () => {
    const web = readFileSync("web/pages/route.ts", "utf8");
    const query = /\/\* GraphQL \*\/ `(\s*query[\s\S]*?routeChild[\s\S]*?)`;/.exec(web)![1]!;
    expect(subgraphCalls(query)).toEqual(["directory"]);
  });
});

describe("fields only a partner has still come from the owner, on the new path too", () => {
  const search = (fields: string) =>
    `{ searchServices(first: 5) { edges { node { name ${fields} } } } }`;

  it("a confidential location's exact position (professionals only) is asked of the partner, which enforces the scope", () => {
    const q = search("locations { area exact { latitude longitude } }");
    expect(subgraphCalls(q)).toEqual(["directory", PARTNERS_IN_PARALLEL]);
    // The directory's Location has no address or position fields at all: only `area` is copied.
    const [directoryFetch, partnerFetches] = printPlan(q).split("Parallel");
    expect(directoryFetch).toMatch(/area/);
    expect(directoryFetch).not.toMatch(/exact|latitude/);
    expect(partnerFetches).toMatch(/Fetch\(service: "council"\)[\s\S]*exact/);
  });

  it("address and position are asked of the partner, which masks confidential places", () => {
    expect(
      subgraphCalls(search("locations { latitude longitude address { postalCode } }")),
    ).toEqual(["directory", PARTNERS_IN_PARALLEL]);
  });

  it("referral notes and professional contacts (@requiresScopes) are asked of the partner", () => {
    expect(subgraphCalls(search("referralNotes"))).toEqual(["directory", PARTNERS_IN_PARALLEL]);
    expect(subgraphCalls(search("professionalContacts { phone }"))).toEqual([
      "directory",
      PARTNERS_IN_PARALLEL,
    ]);
    expect(subgraphCalls(search("contacts { phone }"))).toEqual([
      "directory",
      PARTNERS_IN_PARALLEL,
    ]);
  });

  it("a routed service's partner-only fields are asked of the partner", () => {
    const q = `{ routeChild(profile: { age: 9, needs: [ADHD], localAuthority: "E10000020" }) { needs { services { service { name referralNotes } } } } }`;
    expect(subgraphCalls(q)).toEqual(["directory", PARTNERS_IN_PARALLEL]);
  });
});
