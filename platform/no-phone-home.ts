// Wayfinder never reports to Apollo: @apollo/gateway otherwise starts a usage-metrics exporter to
// Apollo's servers and probes cloud metadata endpoints (AWS, GCP, Azure, Alibaba) when an
// ApolloGateway is constructed. Imported first by gateway/server.ts, so it is set by the product
// itself, whatever the environment says; tests/telemetry.test.ts checks it.
process.env.APOLLO_TELEMETRY_DISABLED = "true";
