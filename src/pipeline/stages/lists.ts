/**
 * Stage 4: the precomputed static ranking per user — the recommend core run offline for every user, the
 * same code the server runs — kept as the first fallback when the full online path is degraded.
 *
 * Incremental (`since`, `pymk pipeline --incremental`): ranks only the users whose own connections or flag
 * changed (stages/affected.ts) or whose candidate row, pair features or exclusions differ from the earlier
 * bundle's, and copies every other user's list from it — provided it was ranked with the same list params
 * and the same model files (the incremental rank stage keeps the model); otherwise every user is ranked.
 */
import { selectScorer } from '../../rank/select.js';
import { MODEL_FILES, VARIANTS } from '../../rank/modelFiles.js';
import { rankUsers, type RecommendDeps } from '../../recommend/recommend.js';
import { rulesOf, type RuleConfig } from '../../recommend/rules.js';
import { DEFAULTS } from '../../core/config.js';
import { MemoryStore } from '../../store/memory.js';
import type { Snapshot } from '../../store/snapshot.js';
import { ARTIFACTS, CANDIDATE_COLUMNS, EXCLUSION_COLUMNS, LIST_COLUMNS, PAIR_EXTRA_COLUMNS } from '../../bundle/artifacts.js';
import { openBundle, type Bundle } from '../../bundle/bundle.js';
import { exclusionMask } from '../../graph/exclusions.js';
import { snapshotFrom } from '../../store/fromBundle.js';
import { ownedRanges, type Partition } from '../partition.js';
import { roundSeconds, stageParamsSha, type Stage, type StageContext } from '../stage.js';
import { changedSince, patchProblem, readRecomputed, writeRecomputed } from './affected.js';
import { stageModelReader } from './rank.js';
import { markChangedRows, markedUsers, patchRows } from './rows.js';

export interface ListParams {
  /** Results kept per user. */
  k: number;
  rules: RuleConfig;
  /** Scorer (src/rank/select.ts): 'auto' = the bundle's model when the rank stage made one, else 'stored'. */
  scorer?: string;
}

/** The rules default to the serving configuration's defaults; `pymk pipeline` passes the configured ones. */
export const LIST_DEFAULTS: ListParams = { k: 50, rules: rulesOf(DEFAULTS) };

/** Users ranked together: one scorer call (one ONNX Runtime run for the model) per this many users. */
const USERS_PER_BATCH = 256;

interface ListRows {
  offsets: Int32Array;
  cols: { cand: Int32Array; score: Float32Array };
}

/** `partition`: rank only this partition's users; the others get empty lists (merged by `pymk merge`). `since`: patch that bundle's lists. */
export function listsStage(params: ListParams = LIST_DEFAULTS, partition?: Partition, since?: string): Stage {
  const self: Stage = {
    name: 'lists',
    params: { params, partition: partition ?? null },
    async run(ctx) {
      const t0 = performance.now();
      const snap = await snapshotFrom(ctx, 'offline');
      const n = snap.ids.size;
      const scorer = await selectScorer(params.scorer ?? 'auto', stageModelReader(ctx));
      const deps: RecommendDeps = { store: new MemoryStore(snap), scorer, rules: params.rules };
      const patch = since === undefined ? null : await patchSince(ctx, since, snap, stageParamsSha(self));
      // Batches start at multiples of USERS_PER_BATCH in every range (partition blocks are multiples of it).
      const ranges: [number, number][] = partition ? ownedRanges(n, partition) : [[0, n]];
      const batches: Int32Array[] = [];
      if (patch) for (let i = 0; i < patch.users.length; i += USERS_PER_BATCH) batches.push(patch.users.subarray(i, i + USERS_PER_BATCH));
      else for (const [lo, hi] of ranges) for (let s = lo; s < hi; s += USERS_PER_BATCH) batches.push(Int32Array.from({ length: Math.min(USERS_PER_BATCH, hi - s) }, (_, i) => s + i));
      const users = batches.reduce((a, b) => a + b.length, 0);
      const bar = ctx.progress(patch ? 'static lists (changed users)' : 'static lists', users);
      const t1 = performance.now();
      const ranked = await rankBatches(deps, batches, n, params.k, (done) => bar.update(done));
      bar.done();
      const t2 = performance.now();
      const lists = patch ? patchRows(patch.marked, 0, n, ranked, patch.prev, ['cand', 'score'] as const) : ranked;
      await ctx.writeArrays(ARTIFACTS.lists, { offsets: lists.offsets, cand: lists.cols.cand, score: lists.cols.score });
      scorer.dispose?.();
      ctx.setSchema('lists', { k: params.k, rules: params.rules, scorer: scorer.name });
      if (partition) ctx.setSchema('partition', partition);
      const seconds = { loadSeconds: roundSeconds(t1 - t0), rankSeconds: roundSeconds(t2 - t1), writeSeconds: roundSeconds(performance.now() - t2) };
      const total = lists.offsets[n];
      const listed = patch ? n : users;
      return { users: listed, k: params.k, meanLength: listed > 0 ? total / listed : 0, ...seconds, ...(patch && { incremental: true, recomputed: users, copied: n - users, since: patch.version }) };
    },
  };
  return self;
}

/** The lists of the users in `batches` (ascending), in the full layout: n + 1 offsets, every other user's list empty. */
async function rankBatches(deps: RecommendDeps, batches: Int32Array[], n: number, k: number, onProgress: (done: number) => void): Promise<ListRows> {
  const users = batches.reduce((a, b) => a + b.length, 0);
  const offsets = new Int32Array(n + 1);
  const cand = new Int32Array(users * k);
  const score = new Float32Array(users * k);
  let pos = 0;
  let filled = 0; // users whose offsets[u + 1] is set
  let done = 0;
  for (const uids of batches) {
    const batch = await rankUsers(deps, uids, k);
    batch.forEach(({ inputs, scores, outcome }, j) => {
      const u = uids[j];
      offsets.fill(pos, filled + 1, u + 1);
      for (const i of outcome.picked) {
        cand[pos] = inputs.candidates.ids[i];
        score[pos] = scores[i];
        pos++;
      }
      offsets[u + 1] = pos;
      filled = u + 1;
    });
    done += uids.length;
    onProgress(done);
  }
  offsets.fill(pos, filled + 1, n + 1);
  return { offsets, cols: { cand: cand.slice(0, pos), score: score.slice(0, pos) } };
}

/**
 * The users to rank against bundle `since` and its lists to copy for the others; null (logged) when its
 * lists cannot be patched: missing, other list params (`paramsSha` is this stage's), another model.
 */
async function patchSince(ctx: StageContext, since: string, snap: Snapshot, paramsSha: string | undefined): Promise<{ marked: Uint8Array; users: Int32Array; prev: ListRows; version: string } | null> {
  const prev = await openBundle(since);
  const modelFiles = [MODEL_FILES.card, MODEL_FILES.golden, ...VARIANTS.map(MODEL_FILES.onnx)];
  const otherModel = modelFiles.find((f) => ctx.checksum(f) !== (prev.manifest.artifacts[f]?.sha256 ?? null));
  const why =
    (await patchProblem(ctx, prev, [ARTIFACTS.lists, ARTIFACTS.candidates, ARTIFACTS.exclusions])) ??
    (prev.stage('lists')?.paramsSha !== paramsSha ? `${prev.dir}'s lists were made with other list params` : null) ??
    (otherModel !== undefined ? `${prev.dir}'s lists were ranked by another model (${otherModel} differs)` : null);
  if (why !== null) {
    ctx.log(`ranking every user: ${why}`);
    return null;
  }
  const n = snap.ids.size;
  // When both earlier stages patched `prev`, the users whose pair-feature rows were recomputed (a superset of the
  // recomputed candidate rows; every other row is `prev`'s by construction); otherwise a comparison with `prev`.
  const patched = (await readRecomputed(ctx, ARTIFACTS.recomputedCandidates, prev, n)) && (await readRecomputed(ctx, ARTIFACTS.recomputedPairExtra, prev, n));
  const marked = patched ? patched.marked : await changedInputs(prev, snap);
  const px = await prev.readArrays(ARTIFACTS.exclusions, EXCLUSION_COLUMNS);
  markChangedRows(marked, { offsets: px.blockedOffsets, cols: { t: px.blockedTargets } }, { offsets: snap.blocked.offsets, cols: { t: snap.blocked.targets } }, ['t']);
  markChangedRows(marked, { offsets: px.dismissedOffsets, cols: { t: px.dismissedTargets } }, { offsets: snap.dismissed.offsets, cols: { t: snap.dismissed.targets } }, ['t']);
  const users = markedUsers(marked);
  await writeRecomputed(ctx, ARTIFACTS.recomputedLists, prev, marked);
  const pl = await prev.readArrays(ARTIFACTS.lists, LIST_COLUMNS);
  ctx.log(`ranking ${users.length} of ${n} users (connections, flag, candidates, pair features or exclusions changed, or new), copying the others' lists from ${prev.dir}`);
  return { marked, users, prev: { offsets: pl.offsets, cols: { cand: pl.cand, score: pl.score } }, version: prev.version ?? prev.dir };
}

/** The users whose own connections or flag changed, or whose candidate row or pair features differ from `prev`'s. */
async function changedInputs(prev: Bundle, snap: Snapshot): Promise<Uint8Array> {
  const marked = await changedSince(prev, snap.graph, exclusionMask(snap.profiles.flags));
  const c = snap.candidates;
  const { offsets: prevOffsets, ...pc } = await prev.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
  markChangedRows(marked, { offsets: prevOffsets, cols: pc }, { offsets: c.offsets, cols: { ...c.features, cand: c.cand, score: c.score } }, ['cand', 'score', 'cn', 'aa', 'ra', 'jaccard', 'pa']);
  if (prev.has(ARTIFACTS.pairExtra)) {
    const pe = await prev.readArrays(ARTIFACTS.pairExtra, PAIR_EXTRA_COLUMNS);
    markChangedRows(marked, { offsets: prevOffsets, cols: pe }, { offsets: c.offsets, cols: c.features }, Object.keys(PAIR_EXTRA_COLUMNS) as (keyof typeof PAIR_EXTRA_COLUMNS)[]);
  }
  return marked;
}
