// Wayfinder never reports to Apollo: @apollo/gateway otherwise starts a usage-metrics exporter to
// Apollo's servers and probes cloud metadata endpoints (AWS, GCP, Azure, Alibaba) when an
// ApolloGateway is constructed, unless APOLLO_TELEMETRY_DISABLED is set. Imported first by
// gateway/server.ts, which also calls noPhoneHome() right before it constructs one, so it is set by
// the product itself, whatever the environment says (even if something changed it since this module
// was loaded); tests/telemetry.test.ts checks it.
export function noPhoneHome(): void {
  process.env.APOLLO_TELEMETRY_DISABLED = "true";
}

noPhoneHome();
