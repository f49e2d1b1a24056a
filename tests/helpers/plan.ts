// Query plans for tests (gateway-js's `toCallService` habit): the plan @apollo/query-planner
// builds from the committed supergraph, the same planner @apollo/gateway runs, reduced to which
// subgraphs it fetches from and in what order, so a test can pin how many hops a query costs.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import {
  QueryPlanner,
  prettyFormatQueryPlan,
  type PlanNode,
  type QueryPlan,
} from "@apollo/query-planner";
import { forGateway } from "../../gateway/supergraph.ts";

let planner: { supergraph: Supergraph; planner: QueryPlanner } | null = null;

function load() {
  if (!planner) {
    const supergraph = Supergraph.build(
      forGateway(readFileSync("schema/supergraph.graphql", "utf8")),
    );
    planner = { supergraph, planner: new QueryPlanner(supergraph) };
  }
  return planner;
}

export function queryPlan(query: string): QueryPlan {
  const { supergraph, planner: qp } = load();
  return qp.buildQueryPlan(operationFromDocument(supergraph.schema, parse(query)));
}

export const printPlan = (query: string) => prettyFormatQueryPlan(queryPlan(query));

/** The plan's fetches as subgraph names: sequence as an array, parallel branches as a sorted set. */
export type Calls = string | Calls[] | { parallel: Calls[] };

function calls(node: PlanNode | undefined): Calls[] {
  if (!node) return [];
  switch (node.kind) {
    case "Fetch":
      return [node.serviceName];
    case "Flatten":
      return calls(node.node);
    case "Sequence":
      return node.nodes.flatMap(calls);
    case "Parallel": {
      const branches = node.nodes.map((n) => {
        const c = calls(n);
        return c.length === 1 ? c[0]! : c;
      });
      return [
        { parallel: branches.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) },
      ];
    }
    default:
      throw new Error(`plan node ${node.kind} not handled`);
  }
}

/** Which subgraphs a query's plan calls, in order, e.g. ["directory", { parallel: ["charity", "council", "health"] }]. */
export function subgraphCalls(query: string): Calls[] {
  return calls(queryPlan(query).node as PlanNode | undefined);
}

/** Every subgraph the plan touches, each once, sorted. */
export function subgraphsTouched(query: string): string[] {
  const out = new Set<string>();
  const walk = (c: Calls) =>
    typeof c === "string"
      ? out.add(c)
      : Array.isArray(c)
        ? c.forEach(walk)
        : c.parallel.forEach(walk);
  subgraphCalls(query).forEach(walk);
  return [...out].sort();
}
