/**
 * Stage 4: the precomputed static ranking per user — the recommend core run offline for every user, the
 * same code the server runs — kept as the first fallback when the full online path is degraded.
 */
import { selectScorer } from '../../rank/select.js';
import { rankUsers, type RecommendDeps } from '../../recommend/recommend.js';
import { rulesOf, type RuleConfig } from '../../recommend/rules.js';
import { DEFAULTS } from '../../core/config.js';
import { MemoryStore } from '../../store/memory.js';
import { ARTIFACTS } from '../../bundle/artifacts.js';
import { snapshotFrom } from '../../store/fromBundle.js';
import { ownedRanges, type Partition } from '../partition.js';
import type { Stage } from '../stage.js';
import { stageModelReader } from './rank.js';

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

/** `partition`: rank only this partition's users; the others get empty lists (merged by `pymk merge`). */
export function listsStage(params: ListParams = LIST_DEFAULTS, partition?: Partition): Stage {
  return {
    name: 'lists',
    params: { params, partition: partition ?? null },
    async run(ctx) {
      const snap = await snapshotFrom(ctx, 'offline');
      const n = snap.ids.size;
      const scorer = await selectScorer(params.scorer ?? 'auto', stageModelReader(ctx));
      const deps: RecommendDeps = { store: new MemoryStore(snap), scorer, rules: params.rules };
      const ranges: [number, number][] = partition ? ownedRanges(n, partition) : [[0, n]];
      const users = ranges.reduce((a, [lo, hi]) => a + hi - lo, 0);
      const offsets = new Int32Array(n + 1);
      const cand = new Int32Array(users * params.k);
      const score = new Float32Array(users * params.k);
      let pos = 0;
      let done = 0;
      let filled = 0;
      const bar = ctx.progress('static lists', users);
      // Batches start at multiples of USERS_PER_BATCH in every range (partition blocks are multiples of it).
      for (const [lo, hi] of ranges) {
        offsets.fill(pos, filled + 1, lo + 1);
        for (let start = lo; start < hi; start += USERS_PER_BATCH) {
          const uids = Int32Array.from({ length: Math.min(USERS_PER_BATCH, hi - start) }, (_, i) => start + i);
          const batch = await rankUsers(deps, uids, params.k);
          batch.forEach(({ inputs, scores, outcome }, j) => {
            for (const i of outcome.picked) {
              cand[pos] = inputs.candidates.ids[i];
              score[pos] = scores[i];
              pos++;
            }
            offsets[uids[j] + 1] = pos;
          });
          done += uids.length;
          bar.update(done);
        }
        filled = hi;
      }
      offsets.fill(pos, filled + 1, n + 1);
      bar.update(users);
      bar.done();
      await ctx.writeArrays(ARTIFACTS.lists, { offsets, cand: cand.slice(0, pos), score: score.slice(0, pos) });
      scorer.dispose?.();
      ctx.setSchema('lists', { k: params.k, rules: params.rules, scorer: scorer.name });
      if (partition) ctx.setSchema('partition', partition);
      return { users, k: params.k, meanLength: users > 0 ? pos / users : 0 };
    },
  };
}
