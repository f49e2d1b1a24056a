import { Directive, ObjectType } from "type-graphql";
import { ServiceBase } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("CouncilService", {
  description:
    "A service the council owns: early help, social care, SEND local offer, family hubs.",
})
export class CouncilService extends ServiceBase {}
