// The committed SDL and supergraph must match what the code emits (Apollo's codegen:check habit),
// and composition must reject a partner that breaks the shared Service contract, clearly.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CompositionError, composeSdl, composeSupergraph } from "../scripts/supergraph.ts";

describe("schema", () => {
  it("committed subgraph SDL and supergraph match the code (run npm run schema:compose)", async () => {
    const { subgraphs, supergraph } = await composeSupergraph();
    for (const [name, sdl] of Object.entries(subgraphs)) {
      expect(
        await readFile(`schema/subgraphs/${name}.graphql`, "utf8"),
        `schema/subgraphs/${name}.graphql`,
      ).toBe(sdl.trimEnd() + "\n");
    }
    expect(await readFile("schema/supergraph.graphql", "utf8")).toBe(supergraph.trimEnd() + "\n");
  });

  it("gives every type and field a description", async () => {
    const { subgraphs } = await composeSupergraph();
    const { buildASTSchema, parse, isObjectType, isInterfaceType, isInputObjectType, isEnumType } =
      await import("graphql");
    for (const [name, sdl] of Object.entries(subgraphs)) {
      const schema = buildASTSchema(parse(sdl.replace(/extend schema[\s\S]*?\)\s*\n/, "")), {
        assumeValid: true,
      });
      for (const type of Object.values(schema.getTypeMap())) {
        if (
          type.name.startsWith("_") ||
          type.name.startsWith("link__") ||
          ["Query", "Mutation", "String", "Int", "Float", "Boolean", "ID"].includes(type.name)
        )
          continue;
        if (
          ["FieldSet", "link__Import", "federation__Scope", "federation__Policy"].includes(
            type.name,
          )
        )
          continue;
        if (isEnumType(type) && type.name.startsWith("link__")) continue;
        expect(type.description, `${name}: type ${type.name}`).toBeTruthy();
        if (isObjectType(type) || isInterfaceType(type) || isInputObjectType(type)) {
          for (const field of Object.values(type.getFields())) {
            if (field.name.startsWith("_")) continue;
            expect(field.description, `${name}: ${type.name}.${field.name}`).toBeTruthy();
          }
        }
      }
    }
  });

  it("rejects a partner whose Service fields drift from the contract, naming the field", async () => {
    const { subgraphs } = await composeSupergraph();
    const broken = {
      ...subgraphs,
      council: subgraphs.council.replace(
        /(type CouncilService[\s\S]*?)\bname: String!/,
        "$1name: Int!",
      ),
    };
    expect(broken.council).not.toBe(subgraphs.council);
    expect(() => composeSdl(broken)).toThrowError(CompositionError);
    try {
      composeSdl(broken);
    } catch (err) {
      expect((err as Error).message).toMatch(/CouncilService\.name/);
    }
  });
});
