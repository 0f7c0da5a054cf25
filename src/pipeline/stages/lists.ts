/**
 * Stage 4: the precomputed static ranking per user — the recommend core run offline for every user, the
 * same code the server runs — kept as the first fallback when the full online path is degraded.
 */
import { selectScorer } from '../../rank/select.js';
import { rankUser, type RecommendDeps } from '../../serve/recommend.js';
import type { RuleConfig } from '../../serve/rules.js';
import { MemoryStore } from '../../store/memory.js';
import { ARTIFACTS } from '../artifacts.js';
import { snapshotFrom } from '../snapshot.js';
import type { Stage } from '../stage.js';
import { stageModelReader } from './rank.js';

export interface ListParams {
  /** Results kept per user. */
  k: number;
  rules: RuleConfig;
  /** Scorer (src/rank/select.ts): 'auto' = the bundle's model when the rank stage made one, else 'stored'. */
  scorer?: string;
}

export const LIST_DEFAULTS: ListParams = { k: 50, rules: { maxPerCompany: 5, maxPerSchool: 3, backfill: false } };

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
      for (let u = 0; u < n; u++) {
        const { inputs, scores, outcome } = await rankUser(deps, u, params.k);
        for (const i of outcome.picked) {
          cand[pos] = inputs.candidates.ids[i];
          score[pos] = scores[i];
          pos++;
        }
        offsets[u + 1] = pos;
        if ((u & 4095) === 4095) bar.update(u + 1);
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
