/**
 * The registry of methods the offline evaluator compares. A method turns the training context into a
 * Ranker: candidates for a user, best first, and (optionally) a score for any pair for ROC-AUC / AP.
 * Later components (embeddings, the learned ranker) add themselves with `registerMethod`.
 */
import { unknownName, PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { World } from '../data/world.js';
import type { Graph } from '../graph/csr.js';
import { HEURISTICS, type HeuristicName } from '../graph/heuristics.js';
import { TwoHopGenerator, mix } from '../graph/twoHop.js';

/** What a method may use: only training data. */
export interface EvalContext {
  /** The training graph: held-out edges are not in it. */
  train: Graph;
  /** Users with at least one training connection: the only users that may be recommended. */
  active: Int32Array;
  /** activeMask[u] = 1 when u is active. */
  activeMask: Uint8Array;
  /** The largest K evaluated: rankers are asked for this many candidates. */
  maxK: number;
  seed: number;
  /** The loaded dataset (profiles, events) when there is one; its connections include held-out edges. */
  world?: World;
  /** How the held-out edges were chosen: a learned method trains for the same task. */
  split?: 'random' | 'temporal';
}

export interface Ranker {
  /** Writes up to k candidates for u (never u, never a training neighbour), best first; returns how many. */
  rank(u: number, k: number, out: Int32Array): number | Promise<number>;
  /** Higher = more likely connected; absent when the method only ranks. (A model may answer asynchronously.) */
  score?(u: number, v: number): number | Promise<number>;
  /** score() is a probability: log loss is reported too. */
  probability?: boolean;
}

export interface EvalMethod {
  name: string;
  description: string;
  prepare(ctx: EvalContext): Ranker | Promise<Ranker>;
}

const registry = new Map<string, EvalMethod>();

/** Adds a method; a name is registered once. */
export function registerMethod(m: EvalMethod): void {
  if (registry.has(m.name)) throw new PymkError('PYMK_INTERNAL', `evaluation method '${m.name}' registered twice`);
  registry.set(m.name, m);
}

/** The method of that name, or PYMK_UNKNOWN_NAME listing the valid ones. */
export function getMethod(name: string): EvalMethod {
  const m = registry.get(name);
  if (!m) throw unknownName('evaluation method', name, methodNames());
  return m;
}

export function methodNames(): string[] {
  return [...registry.keys()];
}

/** 2-hop candidates ranked by a neighbourhood heuristic; pairs scored by the same heuristic. */
function heuristicMethod(name: HeuristicName, description: string): EvalMethod {
  return {
    name,
    description,
    prepare(ctx) {
      // Tie seed 0: the served tie rule (twoHop.ts, tieKey), so 'aa' here is what `--scorer aa` serves.
      const gen = new TwoHopGenerator(ctx.train, { topN: ctx.maxK, score: name });
      const h = HEURISTICS[name];
      return {
        rank(u, k, out) {
          const c = Math.min(k, gen.run(u));
          out.set(gen.cand.subarray(0, c));
          return c;
        },
        score: (u, v) => h(ctx.train, u, v),
      };
    },
  };
}

/** The highest-degree users that are not u or u's neighbours. */
function preferentialAttachmentMethod(): EvalMethod {
  return {
    name: 'pa',
    description: 'preferential attachment: the highest-degree non-neighbours',
    prepare(ctx) {
      const g = ctx.train;
      const byDegree = Int32Array.from(ctx.active).sort((a, b) => g.degree(b) - g.degree(a) || mix(a ^ ctx.seed) - mix(b ^ ctx.seed));
      return {
        rank(u, k, out) {
          let c = 0;
          for (let i = 0; i < byDegree.length && c < k; i++) {
            const v = byDegree[i];
            if (v !== u && !g.hasEdge(u, v)) out[c++] = v;
          }
          return c;
        },
        score: (u, v) => g.degree(u) * g.degree(v),
      };
    },
  };
}

/** Uniformly random active non-neighbours: the floor every method must clear. */
function randomMethod(): EvalMethod {
  return {
    name: 'random',
    description: 'uniformly random non-neighbours among active users',
    prepare(ctx) {
      const g = ctx.train;
      const pool = ctx.active;
      const rng = new Rng(ctx.seed ^ 0x5eed);
      const stamp = new Int32Array(g.n);
      let epoch = 0;
      return {
        rank(u, k, out) {
          epoch++;
          stamp[u] = epoch;
          for (const w of g.neighbors(u)) stamp[w] = epoch;
          const available = pool.length - g.degree(u) - (ctx.activeMask[u] ? 1 : 0);
          const want = Math.min(k, available);
          let c = 0;
          // Rejection sampling while the pool is mostly free; a shuffled scan finishes dense cases.
          for (let tries = 0; c < want && tries < 20 * want + 100; tries++) {
            const v = pool[rng.int(pool.length)];
            if (stamp[v] === epoch) continue;
            stamp[v] = epoch;
            out[c++] = v;
          }
          if (c < want) {
            for (const v of rng.shuffle(Int32Array.from(pool))) {
              if (c === want) break;
              if (stamp[v] !== epoch) out[c++] = v;
            }
          }
          return c;
        },
        score: (u, v) => mix(mix(u ^ ctx.seed) ^ v),
      };
    },
  };
}

registerMethod(heuristicMethod('cn', 'common neighbours over 2-hop candidates'));
registerMethod(heuristicMethod('aa', 'Adamic-Adar over 2-hop candidates'));
registerMethod(heuristicMethod('ra', 'resource allocation over 2-hop candidates'));
registerMethod(heuristicMethod('jaccard', 'Jaccard over 2-hop candidates'));
registerMethod(preferentialAttachmentMethod());
registerMethod(randomMethod());
