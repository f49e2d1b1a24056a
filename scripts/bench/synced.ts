// Waits shared by the benches that start a stack over generated data.
import type { Stack } from "../stack.ts";

/** Until the index holds every service the partners hold (a first sync can time out under load). */
export async function untilSynced(stack: Stack, total: number): Promise<void> {
  for (let i = 0; i < 30 && (await stack.directory.sync.backend.count()) < total; i++)
    await stack.directory.sync.syncOnce();
  const count = await stack.directory.sync.backend.count();
  if (count < total)
    throw new Error(`the index holds ${count} of ${total} services after 30 syncs`);
}
