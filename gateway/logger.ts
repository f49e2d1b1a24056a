// Structured JSON logs (pino). Tokens and child profiles never reach a log line: the authorization
// header, query text and variables are not logged (gateway/hardening.ts logs names and counts), and
// redaction catches them if someone tries.
import pino, { type Logger } from "pino";

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

export function createLogger(
  opts: { level?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { service: "gateway" },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    opts.destination,
  );
}

export type { Logger };
