// How the gateway talks to one subgraph: keep-alive connections, and the signed claims header that
// is the only thing subgraphs trust.
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { CLAIMS_HEADER, PUBLIC_CLAIMS, signClaims } from "../subgraphs/kit/internal-auth.ts";
import type { GatewayContext } from "./context.ts";

export interface DataSourceOptions {
  name: string;
  url: string;
  internalSecret: string;
}

export class PartnerDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  readonly name: string;
  private readonly secret: string;

  constructor(opts: DataSourceOptions) {
    // Node's fetch (undici) keeps connections to subgraphs alive between requests.
    super({ url: opts.url, fetcher: fetch as never });
    this.name = opts.name;
    this.secret = opts.internalSecret;
  }

  /** What /ready reports about the gateway's link to this subgraph. */
  status(): Record<string, unknown> {
    return { url: this.url };
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    // Gateway-internal requests (health checks, live composition) carry no user: public claims.
    const claims = (context as Partial<GatewayContext> | undefined)?.claims ?? PUBLIC_CLAIMS;
    request.http?.headers.set(CLAIMS_HEADER, await signClaims(claims, this.secret));
  }
}
