import { Directive, ObjectType } from "type-graphql";
import { ServiceBase } from "../base.ts";

@Directive('@key(fields: "id")')
@ObjectType("HealthService", {
  description:
    "An NHS service: CAMHS, health visiting, school nursing, community paediatrics, therapies.",
})
export class HealthService extends ServiceBase {}
