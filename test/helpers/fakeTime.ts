/**
 * A fake clock with repeating timers, for code that takes a `clock` and an `every` (serve/server.ts): time
 * moves only when the test says so, and a timer runs exactly at the times it falls due.
 */
import type { Every } from '../../src/serve/server.js';

export interface FakeTime {
  /** The current fake time in ms (pass as `clock`). */
  now: () => number;
  /** Registers a repeating timer on the fake clock (pass as `every`). */
  every: Every;
  /** The periods (ms) of the timers now registered. */
  periods(): number[];
  /** Moves the clock `ms` forward, running each timer at every time it falls due, in time order. */
  advance(ms: number): Promise<void>;
  /** Moves the clock `ms` forward without running any timer (as if they had not fired). */
  jump(ms: number): void;
}

interface Timer {
  ms: number;
  fn: () => void;
  due: number;
}

export function fakeTime(start = 1_000_000): FakeTime {
  let t = start;
  const timers = new Set<Timer>();
  return {
    now: () => t,
    every(ms, fn) {
      if (!(ms > 0)) throw new Error(`fake timer period must be > 0 (got ${ms})`);
      const timer = { ms, fn, due: t + ms };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    periods: () => [...timers].map((x) => x.ms),
    async advance(ms) {
      const end = t + ms;
      for (;;) {
        let next: Timer | null = null;
        for (const x of timers) if (x.due <= end && (!next || x.due < next.due)) next = x;
        if (!next) break;
        t = next.due;
        next.due += next.ms;
        next.fn();
        await new Promise((r) => setImmediate(r)); // let what the timer started (e.g. a reload) run
      }
      t = end;
    },
    jump(ms) {
      t += ms;
      for (const x of timers) while (x.due <= t) x.due += x.ms;
    },
  };
}
