/**
 * Stage 3: 2-hop candidates per user with their pair features, ranked by a heuristic (Adamic-Adar).
 *
 * Users are split into ranges computed by a pool of worker threads over a shared copy of the graph
 * (graph/twoHopParallel.ts); ranges come back in user order and are appended to per-column spill files, so
 * memory stays at graph + scratch per worker + a few ranges whatever the number of users, and the artifact
 * is byte-identical to a single-threaded twoHopAll for any worker count. Sizes and timings: docs/pipeline.md.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CANDIDATES_PER_USER } from '../../core/config.js';
import { PymkError } from '../../core/errors.js';
import { Graph } from '../../graph/csr.js';
import { exclusionMask } from '../../graph/exclusions.js';

export { exclusionMask };
import { HEURISTIC_NAMES, type HeuristicName } from '../../graph/heuristics.js';
import { shareGraph, toShared, twoHopParallel, type ParallelOptions } from '../../graph/twoHopParallel.js';
import { ARTIFACTS, CANDIDATE_COLUMNS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../../bundle/artifacts.js';
import { ColumnStreamWriter } from '../../bundle/columnStream.js';
import { describePartition, ownedRanges, type Partition } from '../partition.js';
import type { Stage, StageContext } from '../stage.js';

export interface CandidateParams {
  /** Candidates kept per user. */
  topN: number;
  score: HeuristicName;
  /** Neighbours above this degree are hubs (0 = no cap): skipped or sampled, see `hubMode`. */
  maxFanout: number;
  /** 'sample' walks a seeded stride of maxFanout of a hub's neighbours, weighted; 'skip' ignores hubs. */
  hubMode: 'skip' | 'sample';
  /** Recompute the kept candidates' features exactly for users next to a hub. */
  exactFeatures: boolean;
}

/** Defaults chosen for 1M users; the measurements behind them are in docs/pipeline.md. */
export const CANDIDATE_DEFAULTS: CandidateParams = { topN: CANDIDATES_PER_USER, score: 'aa', maxFanout: 2000, hubMode: 'sample', exactFeatures: true };

/** How the work is spread (does not change the output, so it is not part of the run's params). */
export type CandidateRunOptions = ParallelOptions;

/** What one computation did. */
export interface CandidateStats {
  users: number;
  candidates: number;
  usersWithCandidates: number;
  workers: number;
  rangeSize: number;
  seconds: number;
}

/**
 * `partition`: compute only the users this partition owns (src/pipeline/partition.ts); the artifact keeps
 * the full layout (n + 1 offsets) with empty rows for the other users, so `pymk merge` can take each user's
 * rows from its owner.
 */
export function candidatesStage(params: CandidateParams = CANDIDATE_DEFAULTS, run: CandidateRunOptions = {}, partition?: Partition): Stage {
  return {
    name: 'candidates',
    params: { params, partition: partition ?? null },
    async run(ctx) {
      const { g, exclude } = await readInputs(ctx);
      // Spill files sit next to the artifact (same disk; a failed run's leftovers go with the staging folder).
      await mkdir(dirname(ctx.path(ARTIFACTS.candidates)), { recursive: true });
      const out = await ColumnStreamWriter.open(ctx.path(ARTIFACTS.candidates), CANDIDATE_COLUMNS);
      let stats: CandidateStats;
      try {
        const bar = ctx.progress('2-hop candidates', g.n);
        const onProgress = (done: number): void => bar.update(done);
        stats = partition ? await streamOwned(g, exclude, params, run, out, ownedRanges(g.n, partition), onProgress) : await streamCandidates(g, exclude, params, run, out, onProgress);
        bar.done();
      } catch (e) {
        await out.close();
        throw e;
      }
      const t0 = performance.now();
      await ctx.writeArrayStream(ARTIFACTS.candidates, out.chunks());
      const writeSeconds = (performance.now() - t0) / 1000;
      ctx.setSchema('candidates', { source: '2-hop', score: params.score, topN: params.topN, features: [...HEURISTIC_NAMES] });
      if (partition) {
        ctx.setSchema('partition', partition);
        ctx.log(`partition ${describePartition(partition)}: ${stats.users} of ${g.n} users`);
      }
      return {
        ...params,
        ...stats,
        meanListLength: stats.users > 0 ? stats.candidates / stats.users : 0,
        usersPerSecond: Math.round(stats.users / Math.max(stats.seconds, 1e-9)),
        writeSeconds: round2(writeSeconds),
        seconds: round2(stats.seconds),
        peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      };
    },
  };
}

/**
 * The graph in shared memory and the exclusion mask. Only these are returned, so the file buffers they
 * were read from (times included) can be collected before the long computation starts.
 */
async function readInputs(ctx: StageContext): Promise<{ g: Graph; exclude: Uint8Array }> {
  const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
  const g = shareGraph(new Graph(gc.offsets.length - 1, gc.offsets, gc.targets, gc.times));
  const { flags } = await ctx.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
  return { g, exclude: toShared(exclusionMask(flags)) };
}


/**
 * The stage's computation without the bundle: every user's candidates (or those of users run.lo ..
 * run.hi-1, a partition), appended range by range to `out` in the CANDIDATE_COLUMNS layout, offsets
 * starting at 0. `onProgress(users done)` follows the ranges.
 */
export async function streamCandidates(
  g: Graph,
  exclude: Uint8Array,
  params: CandidateParams,
  run: CandidateRunOptions,
  out: ColumnStreamWriter<typeof CANDIDATE_COLUMNS>,
  onProgress?: (done: number) => void,
): Promise<CandidateStats> {
  if (g.n * params.topN > 2 ** 31 - 1) {
    throw new PymkError('PYMK_BAD_PARAM', `${g.n} users × topN ${params.topN} may overflow the int32 candidate offsets; lower topN`);
  }
  const opts = { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: params.hubMode, exactFeatures: params.exactFeatures, exclude };
  await out.append({ offsets: Int32Array.of(0) });
  const lo = run.lo ?? 0;
  const acc = { total: 0, withCandidates: 0 };
  const s = await twoHopParallel(g, opts, run, async (r) => {
    await appendRange(out, r, acc);
    onProgress?.(r.hi - lo);
  });
  return { users: (run.hi ?? g.n) - lo, candidates: acc.total, usersWithCandidates: acc.withCandidates, workers: s.workers, rangeSize: s.rangeSize, seconds: s.seconds };
}

/** Appends a computed range's rows to `out`, its offsets continuing from `acc.total`; counts the users with candidates. */
async function appendRange(
  out: ColumnStreamWriter<typeof CANDIDATE_COLUMNS>,
  r: Parameters<Parameters<typeof twoHopParallel>[3]>[0],
  acc: { total: number; withCandidates: number },
): Promise<void> {
  const offsets = new Int32Array(r.counts.length);
  for (let i = 0; i < r.counts.length; i++) {
    acc.total += r.counts[i];
    offsets[i] = acc.total;
    if (r.counts[i] > 0) acc.withCandidates++;
  }
  await out.append({ offsets, cand: r.cand, score: r.score, ...r.features });
}

/**
 * The candidates of the users in `ranges` (sorted, disjoint), in the full layout: n + 1 offsets, the other
 * users' rows empty. Each range is computed as streamCandidates computes it, so every owned row is the
 * single-process row.
 */
export async function streamOwned(
  g: Graph,
  exclude: Uint8Array,
  params: CandidateParams,
  run: CandidateRunOptions,
  out: ColumnStreamWriter<typeof CANDIDATE_COLUMNS>,
  ranges: readonly [number, number][],
  onProgress?: (done: number) => void,
): Promise<CandidateStats> {
  const opts = { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: params.hubMode, exactFeatures: params.exactFeatures, exclude };
  await out.append({ offsets: Int32Array.of(0) });
  const acc = { total: 0, withCandidates: 0 };
  let users = 0;
  let cursor = 0;
  let seconds = 0;
  let workers = 0;
  let rangeSize = 0;
  const pad = async (to: number): Promise<void> => {
    if (to > cursor) await out.append({ offsets: new Int32Array(to - cursor).fill(acc.total) });
    cursor = to;
  };
  for (const [lo, hi] of ranges) {
    await pad(lo);
    const s = await twoHopParallel(g, opts, { ...run, lo, hi }, async (r) => {
      await appendRange(out, r, acc);
      onProgress?.(users + r.hi - lo);
    });
    users += hi - lo;
    cursor = hi;
    seconds += s.seconds;
    workers = s.workers;
    rangeSize = s.rangeSize;
  }
  await pad(g.n);
  return { users, candidates: acc.total, usersWithCandidates: acc.withCandidates, workers, rangeSize, seconds };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
