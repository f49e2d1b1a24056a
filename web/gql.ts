// The web app's only way to data: the gateway's public GraphQL endpoint over HTTP, with the signed-in
// user's bearer token. Nothing here logs variables (a child's profile travels through it).
export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; field?: string; partner?: string; [k: string]: unknown };
}

export interface GqlResult<T> {
  data: T | null;
  errors: GqlError[];
}

export class GatewayUnreachableError extends Error {
  override name = "GatewayUnreachableError";
}

export type Gql = <T>(
  query: string,
  variables?: Record<string, unknown>,
  opts?: { token?: string; clientIp?: string },
) => Promise<GqlResult<T>>;

export function createGql(graphqlUrl: string): Gql {
  return async <T>(
    query: string,
    variables: Record<string, unknown> = {},
    opts: { token?: string; clientIp?: string } = {},
  ) => {
    let res: Response;
    try {
      res = await fetch(graphqlUrl, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          // Apollo's CSRF prevention wants a non-simple request; this is a server-side call.
          "apollo-require-preflight": "true",
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          // Lets a gateway that trusts one proxy hop (GATEWAY_TRUST_PROXY) rate-limit the real caller.
          ...(opts.clientIp ? { "x-forwarded-for": opts.clientIp } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new GatewayUnreachableError(
        `the directory could not be reached (${err instanceof Error ? err.message : err})`,
      );
    }
    let body: { data?: T | null; errors?: GqlError[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new GatewayUnreachableError(`the directory answered ${res.status} without GraphQL`);
    }
    return { data: body.data ?? null, errors: body.errors ?? [] };
  };
}

/** Partners named by PARTNER_UNAVAILABLE errors, deduplicated. */
export function offlinePartnersIn(errors: GqlError[]): string[] {
  const names = errors
    .filter((e) => e.extensions?.code === "PARTNER_UNAVAILABLE")
    .map((e) => String(e.extensions?.partner ?? "").toLowerCase());
  return [...new Set(names.filter(Boolean))];
}
