// Process lifecycle shared by every Wayfinder process (gateway, subgraphs, scripts).

/**
 * Runs a config loader at an entry point; a bad setting ends the process with its message (no
 * stack trace: it is the operator's to fix) and exit code 1.
 */
export function loadConfig<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    console.error(`configuration: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

/** Runs cleanup once on SIGINT/SIGTERM, then exits. */
export function onShutdown(cleanup: () => Promise<void>) {
  let done = false;
  const handler = async () => {
    if (done) return;
    done = true;
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await cleanup().catch((err) => console.error("shutdown error", err));
    process.exit(0);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
}
