// Structured JSON log lines. Callers pass only what is safe to keep: never tokens, never a child's
// profile (routing logs timings and counts only).
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export type LogSink = (line: string) => void;
let sink: LogSink = (line) => process.stderr.write(line + "\n");
let threshold = ORDER[(process.env.LOG_LEVEL as Level) ?? "info"] ?? ORDER.info;

/** Tests capture log lines through this. */
export function setLogSink(next: LogSink, level: Level | "silent" = "debug"): () => void {
  const prev = { sink, threshold };
  sink = next;
  threshold = ORDER[level];
  return () => {
    sink = prev.sink;
    threshold = prev.threshold;
  };
}

export function log(level: Level, event: string, fields: Record<string, string | number | boolean | null> = {}) {
  if (ORDER[level] < threshold) return;
  sink(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }));
}
