// Test support for operations: a real OTLP/HTTP trace receiver (the protocol collectors speak), and
// /metrics read through a Prometheus text-format parser.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import parsePrometheusTextFormat, { type Family } from "parse-prometheus-text-format";

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};

function value(v: AnyValue): unknown {
  return (
    v.stringValue ??
    (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue))
  );
}

/** Accepts OTLP/HTTP JSON export requests on /v1/traces and keeps every span. */
export async function startOtlpReceiver(): Promise<{
  url: string;
  spans: ReceivedSpan[];
  close(): Promise<void>;
}> {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
    if (
      req.method !== "POST" ||
      req.url !== "/v1/traces" ||
      !String(req.headers["content-type"]).includes("json")
    ) {
      res.writeHead(415).end();
      return;
    }
    const body = JSON.parse(raw.toString("utf8"));
    for (const rs of body.resourceSpans ?? []) {
      const service = value(
        (rs.resource?.attributes ?? []).find((a: { key: string }) => a.key === "service.name")
          ?.value ?? {},
      ) as string;
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          spans.push({
            service,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            name: s.name,
            kind: s.kind,
            attributes: Object.fromEntries(
              (s.attributes ?? []).map((a: { key: string; value: AnyValue }) => [
                a.key,
                value(a.value),
              ]),
            ),
          });
        }
      }
    }
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface Scrape {
  /** The exposition as parse-prometheus-text-format reads it (it throws on a malformed line). */
  families: Family[];
  /** Every sample line: histograms as their _bucket/_count/_sum series (the parser merges those). */
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** GETs /metrics with the operator token and parses it as the Prometheus text format. */
export async function scrape(baseUrl: string, token: string): Promise<Scrape> {
  const res = await fetch(new URL("/metrics", baseUrl), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain; version=0.0.4"))
    throw new Error("not the Prometheus text format");
  const text = await res.text();
  const families = parsePrometheusTextFormat(text);
  const samples = text
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = SAMPLE_LINE.exec(l);
      if (!m) throw new Error(`unparsable sample line: ${l}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? "").matchAll(LABEL)].map((x) => [x[1]!, x[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
  return { families, samples };
}

/** The value of the first sample named `name` whose labels include `labels`. */
export function sample(
  s: Scrape,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return s.samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  )?.value;
}

/** The sum over every sample named `name`. */
export function total(s: Scrape, name: string): number {
  return s.samples.filter((x) => x.name === name).reduce((n, x) => n + x.value, 0);
}
