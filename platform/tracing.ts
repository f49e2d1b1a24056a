// OpenTelemetry traces. Each process registers one tracer provider at its entry point (only when
// OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise every span is a no-op and costs nothing). Context
// crosses processes as a W3C `traceparent` header: platform/http.ts opens a server span per request
// (continuing the caller's trace where the caller is trusted), the gateway's datasource opens a
// client span per subgraph attempt and injects its context into the request.
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-node";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { IncomingHttpHeaders } from "node:http";

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: an OTLP/HTTP receiver; spans go to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
}

export interface Tracing {
  /** Sends every span ended so far. */
  forceFlush(): Promise<void>;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

const propagator = new W3CTraceContextPropagator();
const TRACER = "wayfinder";

export const tracer = () => trace.getTracer(TRACER);

/**
 * Registers this process's tracer provider. `spanProcessors` replaces the OTLP exporter (tests).
 * Returns null when there is nowhere to send spans. @apollo/gateway's own spans (request, plan,
 * fetch) join the same traces through the global provider.
 */
export function initTracing(
  serviceName: string,
  cfg: TracingConfig,
  spanProcessors?: SpanProcessor[],
): Tracing | null {
  const processors =
    spanProcessors ??
    (cfg.otlpEndpoint
      ? [
          new BatchSpanProcessor(
            new OTLPTraceExporter({ url: `${cfg.otlpEndpoint.replace(/\/+$/, "")}/v1/traces` }),
          ),
        ]
      : []);
  if (!processors.length) return null;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }),
    spanProcessors: processors,
  });
  provider.register({ propagator });
  return {
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      // Everything register() set globally, so that a later provider in the same process (a test
      // file after this one in a shared worker) can register its own.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

/** The caller's trace context from `traceparent`/`tracestate`, or none. */
export function extractContext(headers: IncomingHttpHeaders): Context {
  return propagator.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** Adds `traceparent` (and `tracestate`) for the span active in `ctx` to outgoing headers. */
export function injectContext(ctx: Context, headers: Record<string, string>): void {
  propagator.inject(ctx, headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
}

/** Runs `fn` in a new span, ended (and marked failed on a throw) when `fn` settles. */
export async function inSpan<T>(
  name: string,
  opts: { kind: SpanKind; parent?: Context; attributes?: Record<string, string | number> },
  fn: (span: Span, ctx: Context) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: opts.kind, attributes: opts.attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  try {
    return await context.with(ctx, () => fn(span, ctx));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

/** The trace id of the active span, for log lines; undefined when not tracing. */
export function activeTraceId(): string | undefined {
  const sc = trace.getActiveSpan()?.spanContext();
  return sc && trace.isSpanContextValid(sc) ? sc.traceId : undefined;
}

export { SpanKind, SpanStatusCode };
