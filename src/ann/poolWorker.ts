/**
 * A search worker: opens the index its spec describes (usearch files are memory-mapped, so all workers
 * share one copy) and answers the pool's messages. Searches run here, off the server's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isPymkError } from '../core/errors.js';
import { exclusionSet, unionExclusion, type ExclusionSet } from './exclude.js';
import { openSpec, type OpenSpec } from './open.js';
import { TieredIndex, type MainSpec } from './tiered.js';
import type { VectorIndex } from './types.js';

/** Requests the pool sends (id pairs a reply with its request). */
export type WorkerRequest =
  | { id: number; op: 'search'; query: Float32Array; k: number; exclude?: number[]; includeSkipped?: boolean }
  | { id: number; op: 'batch'; queries: Float32Array; k: number; excludes?: (number[] | undefined)[]; threads?: number }
  | { id: number; op: 'user'; user: number; k: number; exclude?: number[]; includeSkipped?: boolean }
  | { id: number; op: 'upsert'; user: number; vector: Float32Array; unlessSame?: boolean }
  | { id: number; op: 'remove'; user: number }
  | { id: number; op: 'size' }
  | { id: number; op: 'setEf'; ef: number }
  | { id: number; op: 'compact'; main: MainSpec }
  | { id: number; op: 'stats' }
  | { id: number; op: 'reopen' };

export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };

const port = parentPort;
if (!port) throw new Error('poolWorker must run in a worker thread');
const { spec, skip: skipIds } = workerData as { spec: OpenSpec; skip?: Int32Array };
/** Ids the pool's searches leave out unless a request includes them (pool.ts PoolOptions.skip). */
const skip = skipIds && skipIds.length > 0 ? new Set(skipIds) : null;

/** A request's exclusions, joined by the skip set unless the request includes skipped ids. */
function exclusions(ids: number[] | undefined, includeSkipped: boolean | undefined): ExclusionSet | null {
  return unionExclusion(exclusionSet(ids), includeSkipped ? null : skip);
}
let index: VectorIndex = openSpec(spec);
port.postMessage({ id: 0, ok: true, value: { dim: index.dim, metric: index.metric, size: index.size() } } satisfies WorkerReply);

function handle(m: WorkerRequest): unknown {
  switch (m.op) {
    case 'search':
      return index.search(m.query, { k: m.k, exclude: exclusions(m.exclude, m.includeSkipped) ?? undefined });
    case 'batch':
      return index.searchBatch(m.queries, { k: m.k, excludes: m.excludes, threads: m.threads });
    case 'user': {
      const v = index.vector(m.user);
      if (!v) return null;
      return index.search(v, { k: m.k, exclude: unionExclusion(new Set([m.user]), exclusions(m.exclude, m.includeSkipped)) ?? undefined });
    }
    case 'upsert':
      if (m.unlessSame && sameVector(index.vector(m.user), m.vector)) return false;
      index.upsert(m.user, m.vector);
      return true;
    case 'remove':
      return index.remove(m.user);
    case 'size':
      return index.size();
    case 'setEf':
      index.setEf(m.ef);
      return null;
    case 'compact':
      if (!(index instanceof TieredIndex)) throw new Error('compaction needs a tiered index');
      return index.compact(m.main);
    case 'stats':
      return index instanceof TieredIndex ? index.stats() : { main: index.size() };
    case 'reopen':
      index.close();
      index = openSpec(spec);
      return index.size();
  }
}

port.on('message', (m: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: m.id, ok: true, value: handle(m) };
  } catch (e) {
    reply = { id: m.id, ok: false, code: isPymkError(e) ? e.code : 'PYMK_INTERNAL', message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});

/**
 * Whether the index already holds `v` for an id: the same direction within what f16/i8 storage loses
 * (cosine ≥ 0.999). Another vector under the id (a stale entry of the tier's log) is replaced.
 */
function sameVector(held: Float32Array | null, v: Float32Array): boolean {
  if (!held || held.length !== v.length) return false;
  let dot = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < v.length; i++) {
    dot += held[i] * v[i];
    a += held[i] * held[i];
    b += v[i] * v[i];
  }
  return a > 0 && b > 0 && dot / Math.sqrt(a * b) >= 0.999;
}
