/**
 * 2-hop candidates for every user on a pool of worker threads, streamed back range by range in user order.
 *
 * The CSR graph (offsets, targets) and the exclusion mask are copied once into SharedArrayBuffers and
 * shared with every worker without further copies; each worker owns one TwoHopGenerator (its own scratch,
 * 32 bytes per user). Users are cut into ranges of `rangeSize`; a worker computes a range into buffers it
 * then transfers (no copy) to the main thread, which hands the ranges to `onRange` strictly in order.
 * At most `workers × inFlightPerWorker` ranges are dispatched and not yet consumed, so memory is bounded by
 * graph + scratch per worker + those ranges, whatever n is.
 *
 * A user's candidates depend only on the graph, the options and the user (the hub sampling and the
 * tie-break are seeded by ids, not by order), so the concatenated output equals twoHopAll's for any
 * number of workers and any scheduling.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PymkError } from '../core/errors.js';
import { Graph } from './csr.js';
import { HEURISTIC_NAMES, type HeuristicName } from './heuristics.js';
import type { TwoHopOptions } from './twoHop.js';

export interface ParallelOptions {
  /** Worker threads (default os.availableParallelism(); never more than there are ranges). */
  workers?: number;
  /** Users per range (default 2,048). */
  rangeSize?: number;
  /** Ranges queued per worker so none waits for the next (default 2). */
  inFlightPerWorker?: number;
  /** First user to compute (default 0): with `hi`, one partition of a run split across processes. */
  lo?: number;
  /** One past the last user to compute (default n). */
  hi?: number;
  /** Compute only the users u with `only[u] === 1` (length n); the others come back with no candidates. */
  only?: Uint8Array;
}

/** The candidates of users lo .. hi-1: user lo + i owns `counts[i]` consecutive entries, best first. */
export interface CandidateRange {
  lo: number;
  hi: number;
  counts: Int32Array;
  cand: Int32Array;
  score: Float32Array;
  /** One column per heuristic, in HEURISTIC_NAMES order. */
  features: Record<HeuristicName, Float32Array>;
}

export interface ParallelStats {
  workers: number;
  rangeSize: number;
  ranges: number;
  candidates: number;
  seconds: number;
}

/** What each worker is started with (see twoHopWorker.ts). */
export interface WorkerInit {
  n: number;
  offsets: Int32Array;
  targets: Int32Array;
  exclude: Uint8Array | null;
  /** Users to compute (1) or skip (0); null: every user. */
  only: Uint8Array | null;
  opts: Omit<TwoHopOptions, 'exclude'>;
  rangeSize: number;
}

/** A range request, and a worker's answer (failures come back as `error`). */
export interface RangeRequest {
  lo: number;
  hi: number;
}
export type RangeReply = { ok: true; range: CandidateRange } | { ok: false; error: string };

const WORKER_URL = new URL('./twoHopWorker.js', import.meta.url);

/** A copy of a typed array in a SharedArrayBuffer (the array itself when it already is shared). */
export function toShared<T extends Int32Array | Uint8Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as new (b: SharedArrayBuffer) => T;
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** The graph's offsets and targets in shared memory (times are not needed for candidates and are dropped). */
export function shareGraph(g: Graph): Graph {
  return new Graph(g.n, toShared(g.offsets), toShared(g.targets), new Uint32Array(0));
}

/**
 * Computes the 2-hop candidates of users 0 .. n-1 (or par.lo .. par.hi-1, or those par.only marks) on a worker pool and calls
 * `onRange` once per range, in user order (awaited: a slow consumer holds dispatching back). Rejects on the first worker or
 * consumer error, after stopping every worker.
 */
export async function twoHopParallel(
  g: Graph,
  opts: TwoHopOptions,
  par: ParallelOptions,
  onRange: (r: CandidateRange) => void | Promise<void>,
): Promise<ParallelStats> {
  const rangeSize = par.rangeSize ?? 2048;
  const lo = par.lo ?? 0;
  const hi = par.hi ?? g.n;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > g.n || lo > hi) {
    throw new PymkError('PYMK_BAD_PARAM', `users ${lo}..${hi} are not a range within 0..${g.n}`);
  }
  if (par.only && par.only.length !== g.n) throw new PymkError('PYMK_BAD_PARAM', `the mask of users to compute has ${par.only.length} entries for ${g.n} users`);
  const perWorker = par.inFlightPerWorker ?? 2;
  const wanted = par.workers ?? availableParallelism();
  for (const [k, v] of [['workers', wanted], ['rangeSize', rangeSize], ['inFlightPerWorker', perWorker]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new PymkError('PYMK_BAD_PARAM', `${k} must be a positive integer, got ${v}`);
  }
  const ranges = Math.ceil((hi - lo) / rangeSize);
  const workers = Math.max(1, Math.min(wanted, ranges));
  const t0 = performance.now();
  const shared = shareGraph(g);
  const { exclude, ...rest } = opts;
  const init: WorkerInit = {
    n: g.n,
    offsets: shared.offsets,
    targets: shared.targets,
    exclude: exclude ? toShared(exclude) : null,
    only: par.only ? toShared(par.only) : null,
    opts: rest,
    rangeSize,
  };
  const pool = Array.from({ length: workers }, () => new Worker(WORKER_URL, { workerData: init }));
  let candidates = 0;
  try {
    await schedule(pool, lo, hi, rangeSize, perWorker, async (r) => {
      candidates += r.cand.length;
      await onRange(r);
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return { workers, rangeSize, ranges, candidates, seconds: (performance.now() - t0) / 1000 };
}

/** Hands out the ranges of users lo..hi-1 to the pool and feeds the answers to `consume` in order. */
function schedule(
  pool: Worker[],
  lo: number,
  hi: number,
  rangeSize: number,
  perWorker: number,
  consume: (r: CandidateRange) => Promise<void>,
): Promise<void> {
  const ranges = Math.ceil((hi - lo) / rangeSize);
  const cap = pool.length * perWorker;
  const queued = new Array<number>(pool.length).fill(0);
  const ready = new Map<number, CandidateRange>();
  let next = 0; // next range to dispatch
  let consumed = 0; // next range to consume
  let draining = false;
  let failed = false;
  return new Promise<void>((resolve, reject) => {
    const fail = (e: unknown): void => {
      if (failed) return;
      failed = true;
      reject(e);
    };
    const dispatch = (): void => {
      for (let w = 0; w < pool.length && !failed; w++) {
        while (queued[w] < perWorker && next < ranges && next - consumed < cap) {
          const req: RangeRequest = { lo: lo + next * rangeSize, hi: Math.min(hi, lo + (next + 1) * rangeSize) };
          pool[w].postMessage(req);
          queued[w]++;
          next++;
        }
      }
    };
    const drain = async (): Promise<void> => {
      if (draining) return;
      draining = true;
      try {
        while (!failed && ready.has(consumed)) {
          const r = ready.get(consumed) as CandidateRange;
          ready.delete(consumed);
          await consume(r);
          consumed++;
          dispatch();
        }
      } catch (e) {
        fail(e);
      } finally {
        draining = false;
      }
      if (!failed && consumed === ranges) resolve();
      else if (!failed && ready.has(consumed)) void drain();
    };
    pool.forEach((worker, w) => {
      worker.on('message', (reply: RangeReply) => {
        if (!reply.ok) return fail(new PymkError('PYMK_INTERNAL', `2-hop worker failed: ${reply.error}`));
        queued[w]--;
        try {
          ready.set((reply.range.lo - lo) / rangeSize, checkRange(reply.range));
        } catch (e) {
          return fail(e);
        }
        dispatch();
        void drain();
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (consumed < ranges) fail(new PymkError('PYMK_INTERNAL', `2-hop worker exited early (code ${code})`));
      });
    });
    if (ranges === 0) resolve();
    else dispatch();
  });
}

/** Checks a range's shape as it arrives from a worker. */
function checkRange(r: CandidateRange): CandidateRange {
  const len = r.cand.length;
  if (r.counts.length !== r.hi - r.lo || r.score.length !== len || HEURISTIC_NAMES.some((h) => r.features[h]?.length !== len)) {
    throw new PymkError('PYMK_INTERNAL', `2-hop worker sent a malformed range ${r.lo}..${r.hi}`);
  }
  return r;
}
