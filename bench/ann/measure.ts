/** Timing and recall helpers for the ANN benchmark. */
import type { Hits, VectorIndex } from '../../src/ann/types.js';

/** recall@r: the fraction of each query's true r nearest found among its first r results. */
export function recallAt(results: readonly Hits[], truth: Int32Array, truthK: number, r: number): number {
  let hit = 0;
  for (let q = 0; q < results.length; q++) {
    const want = new Set(truth.subarray(q * truthK, q * truthK + r));
    const got = results[q].ids;
    for (let j = 0; j < Math.min(r, got.length); j++) if (want.has(got[j])) hit++;
  }
  return hit / (results.length * r);
}

export interface SingleRun {
  /** Queries per wall-clock second. */
  qps: number;
  /** Queries per CPU second of this process: robust when other jobs share the cores. */
  cpuQps: number;
  results: Hits[];
  p50us: number;
  p99us: number;
}

/** Searches every query one at a time on this thread, repeating until `minMs` passed; returns QPS and the first pass. */
export function timeSingle(index: VectorIndex, queries: Float32Array, dim: number, k: number, minMs = 1500): SingleRun {
  const n = queries.length / dim;
  const results: Hits[] = [];
  const lat: number[] = [];
  let done = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (done < n || performance.now() - t0 < minMs) {
    const i = done % n;
    const s = performance.now();
    const h = index.search(queries.subarray(i * dim, (i + 1) * dim), { k });
    lat.push(performance.now() - s);
    if (done < n) results.push(h);
    done++;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  lat.sort((a, b) => a - b);
  const pct = (p: number): number => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] * 1000);
  return { qps: (done / ms) * 1000, cpuQps: done / ((cpu.user + cpu.system) / 1e6), results, p50us: pct(0.5), p99us: pct(0.99) };
}

/** The median of some numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One batch call over all queries (repeated until `minMs`); QPS. */
export function timeBatch(index: VectorIndex, queries: Float32Array, dim: number, k: number, threads: number, minMs = 1500): number {
  const n = queries.length / dim;
  let done = 0;
  const t0 = performance.now();
  while (done === 0 || performance.now() - t0 < minMs) {
    index.searchBatch(queries, { k, threads });
    done += n;
  }
  return (done / (performance.now() - t0)) * 1000;
}

export const rssMiB = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

/** Runs a full GC when node was started with --expose-gc. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d;
