// Attack 1, statically: every list field of the supergraph has a bound, and the cost of the
// nesting query grows with each level and with a `first` sent as a variable.
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { undeclaredListFields, operationCost } from "../../gateway/cost.ts";
import { DEFAULT_LIMITS } from "../../gateway/hardening.ts";
import { apiSchema, nesting } from "./helpers.ts";

const schema = apiSchema();

function cost(query: string, variables?: Record<string, unknown>): number {
  const doc = parse(query);
  const op = doc.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION,
  ) as OperationDefinitionNode;
  return operationCost(schema, op, {}, variables);
}

describe("cost analysis", () => {
  it("bounds every list field of the supergraph (a first argument or a declared size)", () => {
    expect(undeclaredListFields(schema)).toEqual([]);
  });

  it("counts the nesting query by its real fan-out, over the limit from two levels on", () => {
    const costs = [1, 2, 3, 4, 6].map((n) => cost(nesting(n)));
    expect(costs[0]).toBe(50 + 50 * 50);
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeGreaterThan(costs[i - 1]! * 10);
    expect(costs[1]).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
  });

  it("takes a page size from the request's variables, and the argument's default without one", () => {
    const q = /* GraphQL */ `
      query ($n: Int!) {
        searchServices(first: $n) {
          edges {
            node {
              id
              locations {
                name
              }
            }
          }
        }
      }
    `;
    expect(cost(q, { n: 1 })).toBe(1 + 1 + 1 + 10);
    expect(cost(q, { n: 100 })).toBe(1 + 100 + 100 + 1000);
    const d = /* GraphQL */ `
      query ($n: Int) {
        councilOrganizations(first: $n) {
          id
        }
      }
    `;
    expect(cost(d, {})).toBe(50);
  });
});
