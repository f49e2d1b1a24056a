// Process lifecycle shared by every Wayfinder process (gateway, subgraphs, scripts).

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
