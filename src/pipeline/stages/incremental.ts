/**
 * The incremental candidates stage (`pymk pipeline --incremental --since BUNDLE`): recomputes the 2-hop
 * candidates of the users whose own connections changed since BUNDLE (stages/affected.ts: added or removed,
 * new users, a changed deactivated/banned flag) on the worker pool, and copies every other user's rows from
 * BUNDLE.
 *
 * The recomputed rows are exactly what a full run computes. The copied rows are exact only for users whose
 * neighbours' connections did not change either: a user next to a changed one (a common neighbour gained a
 * connection) keeps last run's list until the next full run. Exact incremental 2-hop would recompute the
 * changed users' neighbours too, which on a mean-degree-25 graph is almost everyone (48% of users for 0.1%
 * new connections, 94% for 1%, measured on the generator's 200k world: docs/pipeline.md), so the stale rows
 * are the price of an incremental run; how much they cost is measured as the overlap with a full run.
 * Dense ids must be stable: the earlier bundle's ids a prefix of this run's (append-only sources);
 * otherwise the stage computes every user, saying why.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ARTIFACTS, CANDIDATE_COLUMNS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle, type Bundle } from '../../bundle/bundle.js';
import { ColumnStreamWriter } from '../../bundle/columnStream.js';
import { Graph } from '../../graph/csr.js';
import { HEURISTIC_NAMES } from '../../graph/heuristics.js';
import { shareGraph, toShared, twoHopParallel, type CandidateRange } from '../../graph/twoHopParallel.js';
import { roundSeconds, type Stage, type StageContext } from '../stage.js';
import { changedSince, patchProblem, writeRecomputed } from './affected.js';
import { CANDIDATE_DEFAULTS, exclusionMask, streamCandidates, type CandidateParams, type CandidateRunOptions } from './candidates.js';
import { markedUsers, patchedChunks, patchedOffsets, patchRuns } from './rows.js';

/** The candidate columns besides the offsets, in the artifact's order. */
const ROW_COLUMNS = ['cand', 'score', ...HEURISTIC_NAMES] as const;

export function incrementalCandidatesStage(params: CandidateParams = CANDIDATE_DEFAULTS, since: string, run: CandidateRunOptions = {}): Stage {
  return {
    name: 'candidates',
    params: { params, incrementalSince: since },
    async run(ctx) {
      const t0 = performance.now();
      const prev = await openBundle(since);
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const g = shareGraph(new Graph(gc.offsets.length - 1, gc.offsets, gc.targets, gc.times));
      const { flags } = await ctx.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
      const exclude = toShared(exclusionMask(flags));
      const why = await unusable(ctx, prev);
      const stats = why === null ? await patch(ctx, prev, g, exclude, params, run) : await everyone(ctx, g, exclude, params, run, why);
      ctx.setSchema('candidates', { source: '2-hop', score: params.score, topN: params.topN, features: [...HEURISTIC_NAMES] });
      return { ...params, ...stats, since: prev.version, seconds: Math.round(performance.now() - t0) / 1000 };
    },
  };
}

/** Every user's candidates, as the full stage computes them (streamed through spill files). */
async function everyone(ctx: StageContext, g: Graph, exclude: Uint8Array, params: CandidateParams, run: CandidateRunOptions, why: string): Promise<Record<string, unknown>> {
  ctx.log(`computing every user: ${why}`);
  await mkdir(dirname(ctx.path(ARTIFACTS.candidates)), { recursive: true });
  const out = await ColumnStreamWriter.open(ctx.path(ARTIFACTS.candidates), CANDIDATE_COLUMNS);
  let s: Awaited<ReturnType<typeof streamCandidates>>;
  try {
    s = await streamCandidates(g, exclude, params, run, out);
  } catch (e) {
    await out.close();
    throw e;
  }
  await ctx.writeArrayStream(ARTIFACTS.candidates, out.chunks());
  return { incremental: false, why, users: s.users, recomputed: s.users, copied: 0, candidates: s.candidates, workers: s.workers };
}

/** Why the earlier bundle's candidates cannot be patched (null: they can). */
async function unusable(ctx: StageContext, prev: Bundle): Promise<string | null> {
  const was = prev.stage('candidates')?.metrics as Partial<CandidateParams> | undefined;
  const p = ctx.params as { candidates?: CandidateParams } | null;
  const keys = ['topN', 'score', 'maxFanout', 'hubMode', 'exactFeatures'] as const;
  if (was && p?.candidates && keys.some((k) => was[k] !== p.candidates![k])) return `${prev.dir} was built with other candidate parameters`;
  return patchProblem(ctx, prev, [ARTIFACTS.candidates]);
}

/**
 * The changed users' rows computed on the pool (the others come back empty) and kept in memory — a share of
 * the whole — then the artifact streamed from them and BUNDLE's rows (rows.ts patchedChunks): BUNDLE's rows
 * are read once and written once, with no spill files.
 */
async function patch(ctx: StageContext, prev: Bundle, g: Graph, exclude: Uint8Array, params: CandidateParams, run: CandidateRunOptions): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const changed = await changedSince(prev, g, exclude);
  const recomputed = markedUsers(changed).length;
  const old = await prev.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
  const t1 = performance.now();
  const opts = { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: params.hubMode, exactFeatures: params.exactFeatures, exclude };
  const counts = new Int32Array(g.n);
  const ranges: CandidateRange[] = [];
  const bar = ctx.progress('2-hop candidates (changed users)', g.n);
  const s = await twoHopParallel(g, opts, { ...run, only: changed }, (r) => {
    counts.set(r.counts, r.lo);
    if (r.cand.length > 0) ranges.push(r);
    bar.update(r.hi);
  });
  bar.done();
  const t2 = performance.now();
  const freshOffsets = new Int32Array(g.n + 1);
  for (let u = 0; u < g.n; u++) freshOffsets[u + 1] = freshOffsets[u] + counts[u];
  const fresh = joinRanges(ranges, freshOffsets[g.n]);
  const offsets = patchedOffsets(changed, 0, g.n, freshOffsets, old.offsets);
  const runs = patchRuns(changed, 0, g.n, freshOffsets, old.offsets);
  await ctx.writeArrayStream(ARTIFACTS.candidates, patchedChunks(runs, fresh, old, ROW_COLUMNS, { offsets }));
  const seconds = { readSeconds: roundSeconds(t1 - t0), computeSeconds: roundSeconds(t2 - t1), writeSeconds: roundSeconds(performance.now() - t2) };
  const n0 = old.offsets.length - 1;
  await writeRecomputed(ctx, ARTIFACTS.recomputedCandidates, prev, changed, (u) => (u < n0 ? old.offsets[u + 1] - old.offsets[u] : 0));
  ctx.log(`recomputed ${recomputed} of ${g.n} users on ${s.workers} workers (connections or flags changed, or new), copied the others from ${join(prev.dir, ARTIFACTS.candidates)}`);
  return { incremental: true, users: g.n, recomputed, copied: g.n - recomputed, newUsers: g.n - n0, candidates: offsets[g.n], workers: s.workers, ...seconds };
}

/** The computed ranges' columns, concatenated in user order (`total` entries). */
function joinRanges(ranges: readonly CandidateRange[], total: number): Record<(typeof ROW_COLUMNS)[number], Int32Array | Float32Array> {
  const cols = { cand: new Int32Array(total), score: new Float32Array(total), ...Object.fromEntries(HEURISTIC_NAMES.map((h) => [h, new Float32Array(total)])) } as Record<(typeof ROW_COLUMNS)[number], Int32Array | Float32Array>;
  let pos = 0;
  for (const r of ranges) {
    cols.cand.set(r.cand, pos);
    cols.score.set(r.score, pos);
    for (const h of HEURISTIC_NAMES) cols[h].set(r.features[h], pos);
    pos += r.cand.length;
  }
  return cols;
}

