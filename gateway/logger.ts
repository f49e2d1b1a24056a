// Structured JSON logs (pino). Tokens and child profiles never reach a log line: the authorization
// header and request bodies are not logged, and redaction catches them if someone tries.
import pino, { type Logger } from "pino";

export function createLogger(opts: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? "info",
      base: { service: "gateway" },
      redact: { paths: ["req.headers.authorization", "headers.authorization", "*.token", "variables", "profile"], censor: "[redacted]" },
    },
    opts.destination,
  );
}

export type { Logger };
