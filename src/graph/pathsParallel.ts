/**
 * The path features (paths.ts) of many candidate rows on a pool of worker threads: the rows are cut
 * into one contiguous slice of users per worker, balanced by candidate count; each worker runs its own
 * PathCounter over the graph shared once in SharedArrayBuffers (graph/twoHopParallel.ts's shareGraph) and
 * transfers its slice's columns back. A row's values depend only on the graph, the user and its
 * candidates, so the result equals pathFeatureColumns's for any number of workers. The caller's thread is
 * free while the pool works (the pair-features stage does its behaviour lookups meanwhile).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PymkError } from '../core/errors.js';
import type { Graph } from './csr.js';
import { emptyPathColumns, pathFeatureColumns, PATH_FEATURES, type PathFeature } from './paths.js';
import { shareGraph } from './twoHopParallel.js';

/** What each worker is started with (see pathsWorker.ts). */
export interface PathsWorkerInit {
  n: number;
  offsets: Int32Array;
  targets: Int32Array;
  /** This worker's users, its rows' offsets (from 0) and candidates. */
  users: Int32Array;
  rowOffsets: Int32Array;
  cand: Int32Array;
}
export type PathsReply = { ok: true; columns: Record<PathFeature, Float32Array> } | { ok: false; error: string };

const WORKER_URL = new URL('./pathsWorker.js', import.meta.url);
/** Below this many candidate rows (default of `minRows`) the pool's start-up costs more than it saves. */
const MIN_PARALLEL_ROWS = 200_000;

/** Every PATH_FEATURES column of every candidate row (user users[i] owns rows offsets[i] .. offsets[i+1]-1), on `workers` threads. */
export async function pathFeaturesParallel(
  g: Graph,
  users: ArrayLike<number>,
  offsets: Int32Array,
  cand: Int32Array,
  opts: { workers?: number; minRows?: number } = {},
): Promise<Record<PathFeature, Float32Array>> {
  const workers = opts.workers ?? availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) throw new PymkError('PYMK_BAD_PARAM', `workers must be a positive integer, got ${workers}`);
  const rows = offsets[users.length] - offsets[0];
  if (workers === 1 || rows < (opts.minRows ?? MIN_PARALLEL_ROWS)) return pathFeatureColumns(g, users, offsets, cand);
  const shared = shareGraph(g);
  const out = emptyPathColumns(cand.length);
  const cuts = balancedCuts(offsets, users.length, workers);
  const pool: Worker[] = [];
  try {
    await Promise.all(
      cuts.slice(0, -1).map(async (lo, w) => {
        const hi = cuts[w + 1];
        const [a, z] = [offsets[lo], offsets[hi]];
        const rowOffsets = Int32Array.from(offsets.subarray(lo, hi + 1), (o) => o - a);
        const init: PathsWorkerInit = { n: g.n, offsets: shared.offsets, targets: shared.targets, users: Int32Array.from(Array.prototype.slice.call(users, lo, hi) as number[]), rowOffsets, cand: cand.slice(a, z) };
        const worker = new Worker(WORKER_URL, { workerData: init });
        pool.push(worker);
        const reply = await new Promise<PathsReply>((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new PymkError('PYMK_INTERNAL', `path-features worker exited early (code ${code})`)));
        });
        if (!reply.ok) throw new PymkError('PYMK_INTERNAL', `path-features worker failed: ${reply.error}`);
        for (const f of PATH_FEATURES) {
          const col = reply.columns[f];
          if (col?.length !== z - a) throw new PymkError('PYMK_INTERNAL', `path-features worker sent ${col?.length ?? 'no'} ${f} rows for ${z - a}`);
          out[f].set(col, a);
        }
      }),
    );
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return out;
}

/** User indices 0 = c0 ≤ c1 ≤ … ≤ c_k = count cutting the rows into k slices of about equal candidate counts. */
export function balancedCuts(offsets: Int32Array, count: number, k: number): number[] {
  const cuts = [0];
  const [first, last] = [offsets[0], offsets[count]];
  let i = 0;
  for (let w = 1; w < k; w++) {
    const target = first + ((last - first) * w) / k;
    while (i < count && offsets[i] < target) i++;
    cuts.push(Math.max(i, cuts[cuts.length - 1]));
  }
  cuts.push(count);
  return cuts;
}
