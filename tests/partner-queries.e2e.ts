// Queries per `_entities` fetch (issue 14): a partner answers the gateway's fetch of services with
// the relations it selects (organization, locations, contacts …) in ONE query, whatever the number
// of services or relations, and the joined rows keep the privacy rules (confidential locations,
// professional-only contacts) of the loaders they stand in for.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims, type Claims } from "../platform/claims.ts";
import type { RunningHttp } from "../platform/http.ts";
import type { PartnerId } from "../schema/vocabulary.ts";
import type { Db } from "../subgraphs/kit/db/db.ts";
import type { BatchObserver } from "../subgraphs/kit/loaders.ts";
import type { PartnerServer } from "../subgraphs/kit/partner.server.ts";
import { createServer as createCharity } from "../subgraphs/charity/server.ts";
import { createServer as createCouncil } from "../subgraphs/council/server.ts";
import { openFixtureDbs } from "./helpers/stack.ts";

const SECRET = "partner-queries-internal-secret-0123456789";
const PROFESSIONAL: Claims = {
  sub: "pro-1",
  role: "professional",
  partner: null,
  scopes: ["professional"],
};

let fixtures: Awaited<ReturnType<typeof openFixtureDbs>>;
const running: RunningHttp[] = [];
const queries: string[] = [];
const batches: string[] = [];

/** The partner's subgraph over its fixture database, every query it sends recorded. */
async function partner(
  id: PartnerId,
  create: (db: Db, observe: BatchObserver) => Promise<PartnerServer>,
) {
  const db = fixtures.dbs[id];
  const counted: Db = {
    ...db,
    kind: db.kind,
    query: (sql, params) => {
      queries.push(sql);
      return db.query(sql, params);
    },
  };
  const http = await (
    await create(counted, (loader) => batches.push(loader))
  ).start({ host: "127.0.0.1", port: 0, internalSecret: SECRET });
  running.push(http);
  return async (
    typename: string,
    ids: string[],
    selection: string,
    claims = PUBLIC_CLAIMS,
    fragments = "",
  ) => {
    const body = JSON.stringify({
      query: `query ($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } } ${fragments}`,
      variables: { representations: ids.map((i) => ({ __typename: typename, id: i })) },
    });
    queries.length = 0;
    batches.length = 0;
    const res = await fetch(http.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        [CLAIMS_HEADER]: await signClaims(claims, SECRET, { audience: id, body }),
      },
      body,
    });
    return (await res.json()) as { errors?: unknown[]; data: { _entities: any[] } };
  };
}

let charity: Awaited<ReturnType<typeof partner>>;
let council: Awaited<ReturnType<typeof partner>>;
beforeAll(async () => {
  fixtures = await openFixtureDbs("pglite");
  charity = await partner("charity", createCharity);
  council = await partner("council", createCouncil);
});
afterAll(async () => {
  for (const http of running) await http.close();
  await fixtures?.close();
});

const EVERYTHING = /* GraphQL */ `
  ... on CharityService {
    name
    organization { name }
    locations { name confidential latitude longitude address { postalCode } area }
    serviceAreas { code }
    schedules { opensAt }
    costOptions { amount }
    contacts { name }
    languages { code }
    taxonomyTerms { name }
  }
`;

describe("partner _entities fetch", () => {
  it("costs one query for any number of services and relations", async () => {
    const one = await charity("CharityService", ["charity:yc-bristol"], EVERYTHING);
    expect(one.errors).toBeUndefined();
    expect(queries).toHaveLength(1);
    expect(batches).toEqual(["service"]);

    const three = await charity(
      "CharityService",
      ["charity:yc-bristol", "charity:refuge-norfolk", "charity:nope"],
      EVERYTHING,
    );
    expect(three.errors).toBeUndefined();
    expect(queries).toHaveLength(1);
    expect(three.data._entities.map((s) => s?.name ?? null)).toEqual([
      "Barnardo's Young Carers Bristol",
      "Norfolk Refuge for Women and Children",
      null,
    ]);
    expect(three.data._entities[0].organization).toEqual({ name: "Barnardo's" });
    expect(three.data._entities[0].languages).toEqual([{ code: "en" }]);
  });

  it("finds the relations in named fragments too", async () => {
    const fragment = `fragment F on CharityService { name locations { name } organization { name } }`;
    const res = await charity(
      "CharityService",
      ["charity:yc-bristol"],
      "...F",
      PUBLIC_CLAIMS,
      fragment,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities[0].locations).toEqual([{ name: "Barnardo's Bristol" }]);
    expect(queries).toHaveLength(1);
  });

  it("masks a confidential location fetched with its service", async () => {
    const res = await charity("CharityService", ["charity:refuge-norfolk"], EVERYTHING);
    expect(queries).toHaveLength(1);
    const [location] = res.data._entities[0].locations;
    expect(location).toMatchObject({
      name: "Confidential location",
      confidential: true,
      latitude: null,
      longitude: null,
      address: null,
    });
    expect(location.area).toMatch(/^Norwich, NR\d+$/);
  });

  it("keeps professional-only contacts to professionals", async () => {
    const selection = `... on CouncilService { contacts { name } professionalContacts { name } }`;
    const pub = await council("CouncilService", ["council:fh-norwich"], selection);
    expect(queries).toHaveLength(1);
    expect(pub.data._entities[0].contacts).toEqual([{ name: "Reception" }]);
    expect(pub.data._entities[0].professionalContacts).toBeNull();
    const pro = await council("CouncilService", ["council:fh-norwich"], selection, PROFESSIONAL);
    expect(queries).toHaveLength(1);
    expect(pro.data._entities[0].contacts).toEqual([{ name: "Reception" }]);
    expect(pro.data._entities[0].professionalContacts).toEqual([
      { name: "Professionals' duty line" },
    ]);
  });
});
