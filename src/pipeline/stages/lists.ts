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

export function listsStage(params: ListParams = LIST_DEFAULTS): Stage {
  return {
    name: 'lists',
    async run(ctx) {
      const snap = await snapshotFrom(ctx, 'offline');
      const n = snap.ids.size;
      const scorer = await selectScorer(params.scorer ?? 'auto', stageModelReader(ctx));
      const deps: RecommendDeps = { store: new MemoryStore(snap), scorer, rules: params.rules };
      const offsets = new Int32Array(n + 1);
      const cand = new Int32Array(n * params.k);
      const score = new Float32Array(n * params.k);
      let pos = 0;
      const bar = ctx.progress('static lists', n);
      for (let start = 0; start < n; start += USERS_PER_BATCH) {
        const uids = Int32Array.from({ length: Math.min(USERS_PER_BATCH, n - start) }, (_, i) => start + i);
        const batch = await rankUsers(deps, uids, params.k);
        batch.forEach(({ inputs, scores, outcome }, j) => {
          for (const i of outcome.picked) {
            cand[pos] = inputs.candidates.ids[i];
            score[pos] = scores[i];
            pos++;
          }
          offsets[uids[j] + 1] = pos;
        });
        bar.update(start + uids.length);
      }
      bar.update(n);
      bar.done();
      await ctx.writeArrays(ARTIFACTS.lists, { offsets, cand: cand.slice(0, pos), score: score.slice(0, pos) });
      scorer.dispose?.();
      ctx.setSchema('lists', { k: params.k, rules: params.rules, scorer: scorer.name });
      return { users: n, k: params.k, meanLength: n > 0 ? pos / n : 0 };
    },
  };
}
