// A subgraph's own limits, so it stays safe whatever sends it a query (the gateway's limits are the
// first line; a gateway bug or misconfiguration must not be able to make a partner load its whole
// database for one request). Depth and breadth are checked before execution; rows are counted as
// the loaders fetch them.
import {
  GraphQLError,
  Kind,
  type ASTNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from "graphql";

export interface SubgraphLimits {
  /** Deepest field nesting (the gateway's 12, plus `_entities` and its inline fragment). */
  maxDepth: number;
  /** Field selections in one operation, fragments expanded. */
  maxFields: number;
  /** Entity representations in one `_entities` call. */
  maxRepresentations: number;
  /** Database rows the loaders may fetch for one request. */
  rowBudget: number;
}

export const SUBGRAPH_LIMITS: SubgraphLimits = {
  maxDepth: 16,
  maxFields: 2_000,
  maxRepresentations: 10_000,
  rowBudget: 50_000,
};

const refuse = (code: string, message: string, nodes?: ASTNode) =>
  new GraphQLError(message, { nodes, extensions: { code, http: { status: 400 } } });

/** Depth, breadth and representation count of each operation. */
export function subgraphLimitRules(limits: SubgraphLimits = SUBGRAPH_LIMITS): ValidationRule[] {
  return [
    (ctx) => {
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const d of ctx.getDocument().definitions)
        if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
      let fields = 0;
      let deepest = 0;
      const walk = (set: SelectionSetNode, depth: number, seen: Set<string>) => {
        for (const s of set.selections) {
          if (fields > limits.maxFields || deepest > limits.maxDepth) return;
          if (s.kind === Kind.FIELD) {
            fields++;
            deepest = Math.max(deepest, depth + 1);
            if (s.selectionSet) walk(s.selectionSet, depth + 1, seen);
          } else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet, depth, seen);
          else {
            const f = fragments.get(s.name.value);
            if (!f || seen.has(f.name.value)) continue;
            walk(f.selectionSet, depth, new Set([...seen, f.name.value]));
          }
        }
      };
      for (const d of ctx.getDocument().definitions) {
        if (d.kind !== Kind.OPERATION_DEFINITION) continue;
        walk(d.selectionSet, 0, new Set());
        if (deepest > limits.maxDepth)
          ctx.reportError(
            refuse(
              "DEPTH_LIMIT_EXCEEDED",
              `Subgraph depth limit of ${limits.maxDepth} exceeded.`,
              d,
            ),
          );
        else if (fields > limits.maxFields)
          ctx.reportError(
            refuse(
              "BREADTH_LIMIT_EXCEEDED",
              `Subgraph limit of ${limits.maxFields} fields exceeded.`,
              d,
            ),
          );
      }
      return {};
    },
  ];
}

/** Refuses an `_entities` call with more representations than allowed (the variables are known here). */
export function checkRepresentations(
  variables: Record<string, unknown> | undefined,
  limits: SubgraphLimits = SUBGRAPH_LIMITS,
): GraphQLError | null {
  const reps = variables?.representations;
  if (Array.isArray(reps) && reps.length > limits.maxRepresentations)
    return refuse(
      "BREADTH_LIMIT_EXCEEDED",
      `Subgraph limit of ${limits.maxRepresentations} entity representations exceeded.`,
    );
  return null;
}

/** Counts the rows one request's loaders fetch; past the budget, every further fetch fails. */
export class RowBudget {
  private used = 0;
  constructor(readonly limit: number = SUBGRAPH_LIMITS.rowBudget) {}

  spend(rows: number): void {
    this.used += rows;
    if (this.used > this.limit) {
      throw new GraphQLError(
        `This request would read more than ${this.limit} rows; ask for smaller pages.`,
        {
          extensions: { code: "ROW_BUDGET_EXCEEDED" },
        },
      );
    }
  }
}
