/**
 * Waiting on something real that happens in the background (a store's pointer poll, a Redis expiry): check a
 * condition every few milliseconds and give up, failing with `what`, after a bound. Never a fixed delay.
 */
export interface WaitOptions {
  /** Fail after this long (default 5000 ms): far beyond what the awaited event needs, so only a bug hits it. */
  timeoutMs?: number;
  /** Check this often (default 5 ms). */
  everyMs?: number;
  /** Named in the failure. */
  what?: string;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const everyMs = opts.everyMs ?? 5;
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
