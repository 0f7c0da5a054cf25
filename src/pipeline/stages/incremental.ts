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
import { shareGraph, toShared, twoHopParallel } from '../../graph/twoHopParallel.js';
import type { Stage, StageContext } from '../stage.js';
import { changedSince, patchProblem, writeRecomputed } from './affected.js';
import { CANDIDATE_DEFAULTS, exclusionMask, streamCandidates, type CandidateParams, type CandidateRunOptions } from './candidates.js';
import { markedUsers, patchRows } from './rows.js';


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
      await mkdir(dirname(ctx.path(ARTIFACTS.candidates)), { recursive: true });
      const out = await ColumnStreamWriter.open(ctx.path(ARTIFACTS.candidates), CANDIDATE_COLUMNS);
      let stats: Record<string, unknown>;
      try {
        const why = await unusable(ctx, prev);
        if (why !== null) {
          ctx.log(`computing every user: ${why}`);
          const s = await streamCandidates(g, exclude, params, run, out);
          stats = { incremental: false, why, users: s.users, recomputed: s.users, copied: 0, candidates: s.candidates, workers: s.workers };
        } else stats = await patch(ctx, prev, g, exclude, params, run, out);
      } catch (e) {
        await out.close();
        throw e;
      }
      await ctx.writeArrayStream(ARTIFACTS.candidates, out.chunks());
      ctx.setSchema('candidates', { source: '2-hop', score: params.score, topN: params.topN, features: [...HEURISTIC_NAMES] });
      return { ...params, ...stats, since: prev.version, seconds: Math.round(performance.now() - t0) / 1000 };
    },
  };
}

/** Why the earlier bundle's candidates cannot be patched (null: they can). */
async function unusable(ctx: StageContext, prev: Bundle): Promise<string | null> {
  const was = prev.stage('candidates')?.metrics as Partial<CandidateParams> | undefined;
  const p = ctx.params as { candidates?: CandidateParams } | null;
  const keys = ['topN', 'score', 'maxFanout', 'hubMode', 'exactFeatures'] as const;
  if (was && p?.candidates && keys.some((k) => was[k] !== p.candidates![k])) return `${prev.dir} was built with other candidate parameters`;
  return patchProblem(ctx, prev, [ARTIFACTS.candidates]);
}

async function patch(
  ctx: StageContext,
  prev: Bundle,
  g: Graph,
  exclude: Uint8Array,
  params: CandidateParams,
  run: CandidateRunOptions,
  out: ColumnStreamWriter<typeof CANDIDATE_COLUMNS>,
): Promise<Record<string, unknown>> {
  const changed = await changedSince(prev, g, exclude);
  const recomputed = markedUsers(changed).length;
  const old = await prev.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
  const prevRows = { offsets: old.offsets, cols: old };
  const opts = { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: params.hubMode, exactFeatures: params.exactFeatures, exclude };
  await out.append({ offsets: Int32Array.of(0) });
  let total = 0;
  const bar = ctx.progress('2-hop candidates (changed users)', g.n);
  // The pool computes the changed users only (the others come back empty); each range is patched with BUNDLE's rows.
  const s = await twoHopParallel(g, opts, { ...run, only: changed }, async (r) => {
    const counts = new Int32Array(r.counts.length + 1);
    for (let i = 0; i < r.counts.length; i++) counts[i + 1] = counts[i] + r.counts[i];
    const fresh = { offsets: counts, cols: { cand: r.cand, score: r.score, ...r.features } };
    const rows = patchRows(changed, r.lo, r.hi, fresh, prevRows, ROW_COLUMNS);
    const offsets = rows.offsets.slice(1);
    for (let i = 0; i < offsets.length; i++) offsets[i] += total;
    total += rows.offsets[r.hi - r.lo];
    await out.append({ offsets, ...rows.cols });
    bar.update(r.hi);
  });
  bar.done();
  const n0 = old.offsets.length - 1;
  await writeRecomputed(ctx, ARTIFACTS.recomputedCandidates, prev, changed, (u) => (u < n0 ? old.offsets[u + 1] - old.offsets[u] : 0));
  ctx.log(`recomputed ${recomputed} of ${g.n} users on ${s.workers} workers (connections or flags changed, or new), copied the others from ${join(prev.dir, ARTIFACTS.candidates)}`);
  return { incremental: true, users: g.n, recomputed, copied: g.n - recomputed, newUsers: g.n - n0, candidates: total, workers: s.workers };
}
