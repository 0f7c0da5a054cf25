/** Stage 3: 2-hop candidates per user with their pair features, ranked by a heuristic (Adamic-Adar). */
import { FLAG_BANNED, FLAG_DEACTIVATED } from '../../core/tables.js';
import { Graph } from '../../graph/csr.js';
import type { HeuristicName } from '../../graph/heuristics.js';
import { twoHopAll } from '../../graph/twoHop.js';
import { ARTIFACTS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../artifacts.js';
import type { Stage } from '../stage.js';

export interface CandidateParams {
  /** Candidates kept per user. */
  topN: number;
  score: HeuristicName;
  /** Neighbours above this degree are sampled rather than walked in full (0 = no cap). */
  maxFanout: number;
}

export const CANDIDATE_DEFAULTS: CandidateParams = { topN: 200, score: 'aa', maxFanout: 2000 };

export function candidatesStage(params: CandidateParams = CANDIDATE_DEFAULTS): Stage {
  return {
    name: 'candidates',
    async run(ctx) {
      const gc = await ctx.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
      const n = gc.offsets.length - 1;
      const g = new Graph(n, gc.offsets, gc.targets, gc.times);
      const { flags } = await ctx.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
      // Deactivated and banned users are never shown, so they never take a candidate slot.
      const exclude = new Uint8Array(n);
      for (let u = 0; u < n; u++) exclude[u] = flags[u] & (FLAG_DEACTIVATED | FLAG_BANNED) ? 1 : 0;
      const bar = ctx.progress('2-hop candidates', n);
      const t0 = performance.now();
      const c = twoHopAll(g, null, { topN: params.topN, score: params.score, maxFanout: params.maxFanout, hubMode: 'sample', exactFeatures: true, exclude }, (done) =>
        bar.update(done),
      );
      bar.done();
      const seconds = (performance.now() - t0) / 1000;
      await ctx.writeArrays(ARTIFACTS.candidates, { offsets: c.offsets, cand: c.cand, score: c.score, ...c.features });
      ctx.setSchema('candidates', { source: '2-hop', score: params.score, topN: params.topN, features: Object.keys(c.features) });
      let withCandidates = 0;
      for (let u = 0; u < n; u++) if (c.offsets[u + 1] > c.offsets[u]) withCandidates++;
      return {
        ...params,
        users: n,
        usersWithCandidates: withCandidates,
        meanListLength: n > 0 ? c.cand.length / n : 0,
        usersPerSecond: Math.round(n / Math.max(seconds, 1e-9)),
      };
    },
  };
}
