// Serves any Wayfinder subgraph schema over HTTP: Apollo Server behind the kit's node:http front,
// accepting only requests that carry gateway-signed claims.
import { ApolloServer, type BaseContext } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import type { GraphQLSchema } from "graphql";
import { startHttp, type Route, type RunningHttp } from "../../platform/http.ts";
import { CLAIMS_HEADER, verifyClaims, type Claims } from "../../platform/claims.ts";

export async function serveSubgraph<C extends BaseContext>(opts: {
  schema: GraphQLSchema;
  host: string;
  port: number;
  secret: string;
  routes: Record<string, Route>;
  context: (claims: Claims) => C;
}): Promise<RunningHttp> {
  const apollo = new ApolloServer<C>({
    schema: opts.schema,
    introspection: true,
    // Traces are for Apollo Studio, which Wayfinder does not report to; they cost time per request.
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  const running = await startHttp({
    apollo,
    host: opts.host,
    port: opts.port,
    routes: opts.routes,
    authenticate: (req) => verifyClaims(req.headers[CLAIMS_HEADER] as string | undefined, opts.secret),
    context: async (_req, claims) => opts.context(claims),
  });
  return {
    ...running,
    async close() {
      await running.close();
      await apollo.stop();
    },
  };
}
