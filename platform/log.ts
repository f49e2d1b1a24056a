// Structured JSON logs (pino) for every Wayfinder process. Callers pass only what is safe to keep:
// never tokens, never a child's profile (routing logs timings and counts only), never query text or
// variables; redaction catches them if someone tries. Each composition root calls
// configureLogging() once with the LOG_LEVEL its config loader read.
import pino, { type Logger } from "pino";
import type { LogLevel } from "./config.ts";
import { requestScope } from "./request.ts";
import { activeTraceId } from "./tracing.ts";

/**
 * pino `mixin`: every line written while serving a request carries its requestId (the gateway's,
 * forwarded to subgraphs as x-request-id) and, when tracing, its traceId.
 */
export function requestBindings(): Record<string, string> {
  const requestId = requestScope()?.requestId;
  const traceId = activeTraceId();
  return { ...(requestId ? { requestId } : {}), ...(traceId ? { traceId } : {}) };
}

/** Paths censored wherever they appear (one level of nesting for the starred ones). */
export const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "headers.authorization",
  "headers.cookie",
  "token",
  "*.token",
  "variables",
  "*.variables",
  "profile",
  "*.profile",
];

export interface LoggerOptions {
  /** The process: "gateway", "council", "directory" … */
  service?: string;
  level: LogLevel;
  /** Defaults to stderr; tests pass a sink. */
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service ?? "wayfinder" },
      mixin: requestBindings,
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    opts.destination ?? pino.destination(2),
  );
}

// Until a composition root configures it (a library use, a unit test), the process logs at info.
let root = createLogger({ service: "wayfinder", level: "info" });

/** Sets the process-wide logger; called once by each entry point with its config's level. */
export function configureLogging(opts: LoggerOptions): Logger {
  root = createLogger(opts);
  return root;
}

/** The process-wide logger configured by the entry point. */
export function rootLogger(): Logger {
  return root;
}

type Level = "debug" | "info" | "warn" | "error";

/** Tests capture log lines through this; returns a function restoring the previous logger. */
export function setLogSink(
  sink: (line: string) => void,
  level: Level | "silent" = "debug",
): () => void {
  const prev = root;
  root = createLogger({
    service: "subgraph",
    level,
    destination: { write: (s: string) => sink(s.trimEnd()) },
  });
  return () => {
    root = prev;
  };
}

export function log(
  level: Level,
  event: string,
  fields: Record<string, string | number | boolean | null> = {},
) {
  root[level]({ event, ...fields });
}

export type { Logger };
