import { Directive, ObjectType } from "type-graphql";
import { ServiceBase } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("CharityService", {
  description: "A service a charity owns (some are co-delivered with the council).",
})
export class CharityService extends ServiceBase {}
