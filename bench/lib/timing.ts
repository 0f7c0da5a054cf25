/** Latency of several calls measured side by side: each round runs every call once, in turn, so load hits them alike. */

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** 50 warm-up rounds, then `runs` timed rounds; p50/p99 in ms per call. */
export async function timeInterleaved(fns: ((i: number) => Promise<void>)[], runs: number): Promise<{ p50: number; p99: number }[]> {
  for (let i = 0; i < 50; i++) for (const fn of fns) await fn(i);
  const ts: number[][] = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < fns.length; k++) {
      const a = performance.now();
      await fns[k](i);
      ts[k].push(performance.now() - a);
    }
  }
  return ts.map((t) => {
    t.sort((a, b) => a - b);
    return { p50: r4(t[Math.floor(t.length * 0.5)]), p99: r4(t[Math.floor(t.length * 0.99)]) };
  });
}
