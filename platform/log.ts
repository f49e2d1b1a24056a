// Structured JSON logs (pino) for subgraphs. Callers pass only what is safe to keep: never tokens,
// never a child's profile (routing logs timings and counts only).
import pino, { type Logger } from "pino";

type Level = "debug" | "info" | "warn" | "error";

function make(level: string, write?: (line: string) => void): Logger {
  return pino(
    { level, base: { service: "subgraph" }, redact: { paths: ["authorization", "token", "profile", "variables"], censor: "[redacted]" } },
    write ? { write: (s: string) => write(s.trimEnd()) } : pino.destination(2),
  );
}

let logger = make(process.env.LOG_LEVEL ?? "info");

/** Tests capture log lines through this; returns a function restoring the previous logger. */
export function setLogSink(sink: (line: string) => void, level: Level | "silent" = "debug"): () => void {
  const prev = logger;
  logger = make(level, sink);
  return () => {
    logger = prev;
  };
}

export function log(level: Level, event: string, fields: Record<string, string | number | boolean | null> = {}) {
  logger[level]({ event, ...fields });
}
