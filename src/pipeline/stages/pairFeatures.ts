/**
 * The `pair-features` stage: the log-derived pair features (profile views each way, impressions,
 * rejections; the reserved embedding-similarity and source columns; the path features) of every stored
 * candidate as of the data time, written row-aligned with the candidate lists (ARTIFACTS.pairExtra).
 *
 * Incremental (`since`, `pymk pipeline --incremental`): computed only for the users whose candidate row
 * differs from the earlier bundle's, whose own connections or flag changed (stages/affected.ts), or who have
 * events newer than that bundle's data time; every other user's rows are copied from it.
 */
import { ARTIFACTS, CANDIDATE_COLUMNS, EVENT_COLUMNS, GRAPH_COLUMNS, PAIR_EXTRA_COLUMNS, PROFILE_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle } from '../../bundle/bundle.js';
import { readIds } from '../../bundle/read.js';
import { Graph } from '../../graph/csr.js';
import { exclusionMask } from '../../graph/exclusions.js';
import { BehaviourIndex, behaviourPairColumns, dataTime } from '../../rank/behaviour.js';
import { pathFeaturesParallel } from '../../graph/pathsParallel.js';
import type { Partition } from '../partition.js';
import { roundSeconds, type Stage, type StageContext } from '../stage.js';
import { changedSince, patchProblem, readRecomputed, writeRecomputed } from './affected.js';
import { markChangedRows, markedUsers, patchedChunks, patchRuns } from './rows.js';

/** The columns of the candidates artifact this stage reads. */
const CANDIDATE_IDS = { offsets: CANDIDATE_COLUMNS.offsets, cand: CANDIDATE_COLUMNS.cand } as const;
const EXTRA_NAMES = Object.keys(PAIR_EXTRA_COLUMNS) as (keyof typeof PAIR_EXTRA_COLUMNS)[];

type EventCols = Awaited<ReturnType<StageContext['readArrays']>> & { type: Uint8Array; actor: Int32Array; target: Int32Array; ts: Uint32Array };

/**
 * `partition`: only recorded (the candidates artifact already holds only the partition's rows). `since`: patch that bundle's rows.
 * `workers`: threads for the path features (default os.availableParallelism(); does not change the output).
 */
export function pairFeaturesStage(partition?: Partition, since?: string, workers?: number): Stage {
  return {
    name: 'pair-features',
    params: { partition: partition ?? null, ...(since !== undefined && { incrementalSince: since }) },
    async run(ctx) {
      if (partition) ctx.setSchema('partition', partition);
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const n = gc.offsets.length - 1;
      const ev = (await ctx.readArrays(ARTIFACTS.events, EVENT_COLUMNS)) as EventCols;
      const events = { count: ev.type.length, ...ev };
      // Only the candidate ids and their offsets (not the heuristic columns: most of the file).
      const c = await ctx.readColumns(ARTIFACTS.candidates, CANDIDATE_IDS);
      const asOf = dataTime(gc.times, events);
      const b = BehaviourIndex.fromEvents(n, events, asOf + 1);
      const users = Int32Array.from({ length: n }, (_, u) => u);
      const graph = new Graph(n, gc.offsets, gc.targets, gc.times);
      const patched = since === undefined ? null : await patchSince(ctx, since, graph, ev, c);
      const rows = patched ? patched.fresh : { offsets: c.offsets, cand: c.cand };
      const t0 = performance.now();
      // The path features on the worker pool while this thread looks up the behaviour counts.
      const paths = pathFeaturesParallel(graph, users, rows.offsets, rows.cand, { workers });
      const behaviour = behaviourPairColumns(b, users, rows.offsets, rows.cand);
      const t1 = performance.now();
      const computed: Extra = { ...behaviour, ...(await paths) };
      const t2 = performance.now();
      // Patched: the file streamed from the computed rows and BUNDLE's, run by run, never assembled in memory.
      const runs = patched ? patchRuns(patched.marked, 0, n, rows.offsets, patched.prevOffsets) : Int32Array.of(1, 0, c.cand.length);
      const prevExtra = patched ? patched.prevExtra : computed;
      if (patched) await ctx.writeArrayStream(ARTIFACTS.pairExtra, patchedChunks(runs, computed, prevExtra, EXTRA_NAMES));
      else await ctx.writeArrays(ARTIFACTS.pairExtra, computed);
      if (patched) await patched.record();
      const seconds = { behaviourSeconds: roundSeconds(t1 - t0), computeSeconds: roundSeconds(t2 - t0), writeSeconds: roundSeconds(performance.now() - t2) };
      let withBehaviour = 0;
      for (let r = 0; r < runs.length; r += 3) {
        const x = runs[r] ? computed : prevExtra;
        for (let i = runs[r + 1]; i < runs[r + 2]; i++) if (x.views_out[i] || x.views_in[i] || x.impressions[i] || x.rejections[i]) withBehaviour++;
      }
      ctx.setSchema('pairExtra', { columns: [...EXTRA_NAMES], asOf, windowFrom: b.from });
      return { asOf, pairsWithEvents: b.pairs, candidatesWithBehaviour: withBehaviour, candidates: c.cand.length, ...seconds, ...patched?.metrics };
    },
  };
}

type Extra = Record<(typeof EXTRA_NAMES)[number], Float32Array>;

/**
 * The users to recompute against bundle `since`, their candidate rows (the others' left empty) and how
 * to patch the result with `since`'s rows; null (logged) when `since` cannot be patched.
 */
async function patchSince(
  ctx: StageContext,
  since: string,
  g: Graph,
  ev: EventCols,
  c: { offsets: Int32Array; cand: Int32Array },
): Promise<{
  fresh: { offsets: Int32Array; cand: Int32Array };
  marked: Uint8Array;
  prevOffsets: Int32Array;
  prevExtra: Extra;
  record: () => Promise<void>;
  metrics: Record<string, unknown>;
} | null> {
  const prev = await openBundle(since);
  const why = await patchProblem(ctx, prev, [ARTIFACTS.candidates, ARTIFACTS.pairExtra]);
  if (why !== null) {
    ctx.log(`computing every user: ${why}`);
    return null;
  }
  // The users whose candidate rows the candidates stage recomputed (the others' rows are BUNDLE's), else a comparison.
  const rec = await readRecomputed(ctx, ARTIFACTS.recomputedCandidates, prev, g.n);
  let marked: Uint8Array;
  let prevOffsets: Int32Array;
  if (rec?.prevLengths) {
    marked = rec.marked;
    const n0 = (await readIds(prev)).size;
    prevOffsets = new Int32Array(n0 + 1);
    for (let u = 0; u < n0; u++) prevOffsets[u + 1] = prevOffsets[u] + (marked[u] ? rec.prevLengths[u] : c.offsets[u + 1] - c.offsets[u]);
  } else {
    const { flags } = await ctx.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
    marked = await changedSince(prev, g, exclusionMask(flags));
    const pc = await prev.readColumns(ARTIFACTS.candidates, CANDIDATE_IDS);
    markChangedRows(marked, { offsets: pc.offsets, cols: { cand: pc.cand } }, { offsets: c.offsets, cols: { cand: c.cand } }, ['cand']);
    prevOffsets = pc.offsets;
  }
  const prevAsOf = (prev.stage('pair-features')?.schema?.pairExtra as { asOf?: number } | undefined)?.asOf;
  if (prevAsOf !== undefined) {
    for (let i = 0; i < ev.type.length; i++) {
      if (ev.ts[i] <= prevAsOf) continue;
      for (const u of [ev.actor[i], ev.target[i]]) if (u >= 0 && u < g.n) marked[u] = 1;
    }
  }
  const recomputed = markedUsers(marked).length;
  // The marked users' candidate rows; everyone else's row is empty (nothing computed for them).
  const offsets = new Int32Array(g.n + 1);
  for (let u = 0; u < g.n; u++) offsets[u + 1] = offsets[u] + (marked[u] ? c.offsets[u + 1] - c.offsets[u] : 0);
  const cand = new Int32Array(offsets[g.n]);
  for (let u = 0; u < g.n; u++) if (marked[u]) cand.set(c.cand.subarray(c.offsets[u], c.offsets[u + 1]), offsets[u]);
  ctx.log(`recomputed ${recomputed} of ${g.n} users (candidate row or connections changed, new, or new events), copied the others from ${prev.dir}`);
  const prevExtra = await prev.readArrays(ARTIFACTS.pairExtra, PAIR_EXTRA_COLUMNS);
  return {
    fresh: { offsets, cand },
    marked,
    prevOffsets,
    prevExtra,
    record: () => writeRecomputed(ctx, ARTIFACTS.recomputedPairExtra, prev, marked),
    metrics: { incremental: true, recomputed, copied: g.n - recomputed, since: prev.version, staleAsOf: prevAsOf ?? null },
  };
}
