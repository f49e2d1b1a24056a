// The route replica's local schema (gateway/route-replica.ts) on its own: the API schema from the
// committed supergraph, executed by graphql-jit over a plan the way the replica does, must run the
// directory's own field resolvers and type resolution. Through the gateway, an area's county under
// a routed service is beyond the cost limit, so this is where it is checked.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Supergraph } from "@apollo/federation-internals";
import { forGateway } from "./supergraph.ts";
import { localSchema } from "./route-replica.ts";
import { buildDirectorySchema } from "../subgraphs/directory/follower.ts";
import { localAuthority } from "../subgraphs/directory/types/entities.ts";

// The graphql-jit the replica loads (the CommonJS entry, beside @apollo/federation-internals).
const { compileQuery, isCompiledQuery } = createRequire(import.meta.url)(
  "graphql-jit",
) as typeof import("graphql-jit");
const { parse } = createRequire(import.meta.url)("graphql") as typeof import("graphql");

describe("the route replica's local schema", () => {
  it("runs the directory's field resolvers (a district's county, its upper tier) and resolves a service's type from its id", async () => {
    const supergraph = Supergraph.build(
      forGateway(readFileSync("schema/supergraph.graphql", "utf8")),
    );
    const norwich = localAuthority("E07000148")!;
    const plan = {
      needs: [
        {
          need: "ADHD",
          status: "COVERED",
          gaps: [],
          services: [
            {
              service: { id: "health:00000000-0000-4000-8000-000000000001", partner: "HEALTH" },
              directoryCopy: { areas: [norwich] },
            },
          ],
        },
      ],
    };
    const schema = localSchema(supergraph, await buildDirectorySchema(), async () => plan);
    const query = compileQuery(
      schema,
      parse(`query($profile: ChildProfileInput!) {
        routeChild(profile: $profile) {
          needs { services {
            service { __typename id }
            directoryCopy { areas { name county { name } upperTier { code } } }
          } }
        }
      }`),
    );
    if (!isCompiledQuery(query)) throw new Error(JSON.stringify(query));
    const result = await query.query(
      undefined,
      {},
      {
        profile: { age: 9, needs: ["ADHD"], localAuthority: "E07000148" },
      },
    );
    expect(result.errors).toBeUndefined();
    const routed = (result.data as any).routeChild.needs[0].services[0];
    expect(routed.service.__typename).toBe("HealthService");
    expect(routed.directoryCopy.areas[0]).toEqual({
      name: "Norwich",
      county: { name: "Norfolk" },
      upperTier: { code: "E10000020" },
    });
  });
});
