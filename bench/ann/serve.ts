/** The serving-side measurements: worker pool and shard router throughput, and event-loop delay under load. */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AnnSearcher, Hits, VectorIndex } from '../../src/ann/types.js';
import { round } from './measure.js';

export interface LoadResult {
  qps: number;
  /** Event-loop delay while the load ran (ms). */
  loopP50ms: number;
  loopP99ms: number;
  loopMaxms: number;
  results: Hits[];
}

/** Runs `queries` through `search` with `concurrency` requests in flight (repeating until minMs), sampling event-loop delay. */
export async function underLoad(search: (q: Float32Array) => Promise<Hits>, queries: Float32Array, dim: number, concurrency: number, minMs = 2000): Promise<LoadResult> {
  const n = queries.length / dim;
  const h = monitorEventLoopDelay({ resolution: 2 });
  h.enable();
  await new Promise((r) => setTimeout(r, 10));
  const results: Hits[] = new Array(n);
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n || performance.now() - t0 < minMs) {
      const i = next++ % n;
      const r = await search(queries.subarray(i * dim, (i + 1) * dim));
      if (!results[i]) results[i] = r;
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 10));
  h.disable();
  return { qps: round((done / ms) * 1000), loopP50ms: round(h.percentile(50) / 1e6, 2), loopP99ms: round(h.percentile(99) / 1e6, 2), loopMaxms: round(h.max / 1e6, 2), results };
}

/** Synchronous searches in the request path (what serving must not do): one per macrotask. */
export function inlineLoad(index: VectorIndex, queries: Float32Array, dim: number, k: number, minMs = 2000): Promise<LoadResult> {
  return underLoad(
    async (q) => {
      await new Promise((r) => setImmediate(r));
      return index.search(q, { k });
    },
    queries,
    dim,
    1,
    minMs,
  );
}

export function searcherLoad(s: AnnSearcher, queries: Float32Array, dim: number, k: number, concurrency: number, minMs = 2000): Promise<LoadResult> {
  return underLoad((q) => s.search(q, { k }), queries, dim, concurrency, minMs);
}
