// Attack 1 through the real gateway and subgraphs: the nesting query is refused with
// COST_LIMIT_EXCEEDED at 2, 3, 4 and 6 levels, a `first` sent as a variable counts, and a fuzz
// over generated nested shapes requires every accepted query to return no more objects than its
// computed cost (the budget it was admitted under), and every refused one to be over the limit.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { startTestStack } from "../helpers/stack.ts";
import { DEFAULT_LIMITS } from "../../gateway/hardening.ts";
import { operationCost } from "../../gateway/cost.ts";
import { apiSchema, nesting } from "./helpers.ts";

let stack: Awaited<ReturnType<typeof startTestStack>>;
const schema = apiSchema();
/** Every subgraph fetch, by subgraph (observed in the partner subgraphs' loaders). */
let batches = 0;

beforeAll(async () => {
  stack = await startTestStack("pglite", { observeBatches: () => void batches++ });
});
afterAll(async () => {
  await stack?.close();
});

async function post(query: string, variables?: Record<string, unknown>) {
  const res = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "apollo-require-preflight": "true" },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

const costOf = (query: string, variables?: Record<string, unknown>) =>
  operationCost(
    schema,
    parse(query).definitions.find(
      (d) => d.kind === Kind.OPERATION_DEFINITION,
    ) as OperationDefinitionNode,
    {},
    variables,
  );

/** Objects in a response's data (the data object itself excluded). */
const objects = (data: unknown) => (data ? countObjects(data) - 1 : 0);
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countObjects(v), 0);
  if (value && typeof value === "object")
    return 1 + Object.values(value).reduce((n: number, v) => n + countObjects(v), 0);
  return 0;
}

describe("attack 1: one anonymous request takes the stack down", () => {
  it.each([2, 3, 4, 6])(
    "refuses the nesting query %i levels deep with COST_LIMIT_EXCEEDED, calling no partner",
    async (levels) => {
      const before = batches;
      const r = await post(nesting(levels));
      expect(r.status).toBe(400);
      expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(["COST_LIMIT_EXCEEDED"]);
      expect(r.body.data).toBeUndefined();
      expect(batches).toBe(before);
    },
  );

  it("counts a page size sent as a variable, and still answers a small page", async () => {
    const q = /* GraphQL */ `
      query ($n: Int!) {
        charityOrganizations(first: $n) {
          id
          services(first: $n) {
            id
            organization {
              ... on CharityOrganization {
                services(first: $n) {
                  id
                }
              }
            }
          }
        }
      }
    `;
    const big = await post(q, { n: 200 });
    expect(big.status).toBe(400);
    expect(big.body.errors?.[0]?.extensions?.code).toBe("COST_LIMIT_EXCEEDED");
    const small = await post(q, { n: 3 });
    expect(small.body.errors).toBeUndefined();
    expect(objects(small.body.data)).toBeGreaterThan(0);
    expect(objects(small.body.data)).toBeLessThanOrEqual(costOf(q, { n: 3 }));
  });

  it("an accepted generated query returns no more objects than its computed cost (fuzz)", async () => {
    const SERVICE_LEAVES = [
      "name",
      "status",
      "locations { name area }",
      "contacts { name }",
      "schedules { byDay }",
      "serviceAreas { code }",
      "languages { name }",
      "taxonomyTerms { name }",
      "costOptions { option }",
    ];
    interface Shape {
      leaves: string[];
      page: number;
      inner: Shape | null;
    }
    const shape: fc.Arbitrary<Shape> = fc.letrec<{ s: Shape }>((tie) => ({
      s: fc.record({
        leaves: fc.subarray(SERVICE_LEAVES),
        page: fc.integer({ min: 1, max: 200 }),
        inner: fc.option(tie("s"), { depthSize: "small", maxDepth: 5 }),
      }),
    })).s;
    const partner = fc.constantFrom(
      ["Charity", "charity"],
      ["Council", "council"],
      ["Health", "health"],
    );
    await fc.assert(
      fc.asyncProperty(
        partner,
        fc.integer({ min: 1, max: 200 }),
        shape,
        async ([Type, root], top, s) => {
          const variables: Record<string, number> = { p0: top };
          const defs = ["$p0: Int!"];
          const services = (sh: Shape, i: number): string => {
            variables[`p${i}`] = sh.page;
            defs.push(`$p${i}: Int!`);
            const inner = sh.inner
              ? ` organization { ... on ${Type}Organization { id ${services(sh.inner, i + 1)} } }`
              : "";
            return `services(first: $p${i}) { id ${sh.leaves.join(" ")}${inner} }`;
          };
          const body = services(s, 1);
          const levels = defs.length - 1;
          const query = `query(${defs.join(", ")}) { ${root}Organizations(first: $p0) { id ${body} } }`;
          const cost = costOf(query, variables);
          const r = await post(query, variables);
          // Each level is two fields (services, organization), plus the root list and the leaf.
          // Too deep is refused during validation, before the variables (and so the real cost) are
          // known: then either refusal is right.
          if (2 * levels + 1 > DEFAULT_LIMITS.maxDepth) {
            expect(r.status).toBe(400);
            const code = r.body.errors?.[0]?.extensions?.code;
            expect(
              cost > DEFAULT_LIMITS.maxCost
                ? ["DEPTH_LIMIT_EXCEEDED", "COST_LIMIT_EXCEEDED"]
                : ["DEPTH_LIMIT_EXCEEDED"],
            ).toContain(code);
          } else if (cost > DEFAULT_LIMITS.maxCost) {
            expect(r.status).toBe(400);
            expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(["COST_LIMIT_EXCEEDED"]);
          } else {
            expect(r.body.errors, query).toBeUndefined();
            expect(objects(r.body.data)).toBeLessThanOrEqual(cost);
          }
        },
      ),
      { seed: 20_261_201, numRuns: 60 },
    );
  });
});
