/**
 * Evaluation methods backed by the encoder, registered with the offline evaluator (`pymk eval`):
 *   embed       — active users ranked by the dot product of GNN embeddings (pairs scored the same way)
 *   2hop+embed  — the union of the Adamic-Adar 2-hop list and the embedding list, by reciprocal-rank fusion
 * Both train one model on the evaluation's training graph (profiles when the data has any, plus identity
 * embeddings), shared between the two methods of one run and with evalEmbedding() callers.
 */
import { createHash } from 'node:crypto';
import type { World } from '../data/world.js';
import { registerMethod, type EvalContext, type Ranker } from '../eval/methods.js';
import type { Graph } from '../graph/csr.js';
import { TwoHopGenerator } from '../graph/twoHop.js';
import { emptyInputs, profileInputs, profileSpec, type InputSpec, type NodeInputs } from './features.js';
import { anyProfile } from './embedUsers.js';
import { embedAll, towerAll } from './infer.js';
import type { Model } from './model.js';
import { TopK } from '../core/topk.js';
import { dotRows, fuseRanked, topByDot } from './rank.js';
import { trainModel, type TrainOptions, type TrainResult } from './train.js';

/** Training settings of the evaluation methods. */
export const EVAL_TRAIN: Readonly<Partial<TrainOptions>> = Object.freeze({ identity: true, epochs: 4, patience: 4, fanouts: [10, 10] as [number, number] });
/** Neighbours averaged per layer when embedding everyone for ranking (more than in training: less noise). */
export const EVAL_INFER_FANOUTS: [number, number] = [25, 25];

let evalTraining: Partial<TrainOptions> = EVAL_TRAIN;
let evalLog: ((line: string) => void) | undefined;

/** Replaces the training settings (and adds a log) of the registered methods — for benchmarks that sweep them. */
export function setEvalTraining(options: Partial<TrainOptions>, log?: (line: string) => void): void {
  evalTraining = { ...options };
  evalLog = log;
}

export interface EvalEmbedding {
  model: Model;
  inputs: NodeInputs;
  /** GNN embeddings of all users (n × dim) over the training graph. */
  vectors: Float32Array;
  /** Profile-tower embeddings of all users, when the data has profiles. */
  tower: Float32Array | null;
  train: TrainResult;
}

let cache: { key: string; value: EvalEmbedding } | null = null;

/** Whether any user has any profile field. */
function hasProfiles(world: World | undefined): boolean {
  return world !== undefined && anyProfile(world.profiles);
}

function cacheKey(g: Graph, withProfiles: boolean, seed: number, options: Partial<TrainOptions>): string {
  const h = createHash('sha256');
  h.update(new Uint8Array(g.offsets.buffer, g.offsets.byteOffset, g.offsets.byteLength));
  h.update(new Uint8Array(g.targets.buffer, g.targets.byteOffset, g.targets.byteLength));
  h.update(JSON.stringify({ withProfiles, seed, options }));
  return h.digest('hex');
}

/** Trains on `train` (memoised on its content, the seed and options; the last one is kept). */
export function evalEmbedding(train: Graph, world: World | undefined, seed: number, options: Partial<TrainOptions> = evalTraining): EvalEmbedding {
  const withProfiles = hasProfiles(world);
  const key = cacheKey(train, withProfiles, seed, options);
  if (cache?.key === key) return cache.value;
  let spec: InputSpec = { kind: 'list', dim: 0 };
  let inputs = emptyInputs(train.n);
  if (withProfiles && world) {
    const s = profileSpec(world.profiles);
    spec = s;
    inputs = profileInputs(s, world.profiles, train.n);
  }
  const result = trainModel({ graph: train, inputs, spec }, { ...options, seed, identity: options.identity || !withProfiles }, { log: evalLog });
  const vectors = embedAll(result.model, train, inputs, { seed, fanouts: EVAL_INFER_FANOUTS });
  const tower = withProfiles ? towerAll(result.model, inputs) : null;
  const value: EvalEmbedding = { model: result.model, inputs, vectors, tower, train: result };
  cache = { key, value };
  return value;
}

/** A Ranker that answers synchronously. */
interface SyncRanker extends Ranker {
  rank(u: number, k: number, out: Int32Array): number;
  score(u: number, v: number): number;
}

/** Ranks active non-neighbours by dot product with u's embedding. */
function embeddingRanker(ctx: EvalContext, e: EvalEmbedding): SyncRanker {
  const g = ctx.train;
  const d = e.model.config.dim;
  const stamp = new Int32Array(g.n);
  let epoch = 0;
  const heap = new TopK(ctx.maxK);
  const buf = new Int32Array(ctx.maxK);
  return {
    rank(u, k, out) {
      epoch++;
      stamp[u] = epoch;
      for (const w of g.neighbors(u)) stamp[w] = epoch;
      const c = Math.min(k, topByDot(e.vectors, u, e.vectors, d, ctx.active, (v) => stamp[v] === epoch, heap, buf));
      out.set(buf.subarray(0, c));
      return c;
    },
    score: (u, v) => dotRows(e.vectors, u, e.vectors, v, d),
  };
}

registerMethod({
  name: 'embed',
  description: 'GraphSAGE embeddings (profiles + identities), dot product over active users',
  prepare: (ctx) => embeddingRanker(ctx, evalEmbedding(ctx.train, ctx.world, ctx.seed)),
});

registerMethod({
  name: '2hop+embed',
  description: 'union of the Adamic-Adar 2-hop list and the embedding list (reciprocal-rank fusion)',
  prepare(ctx) {
    const e = evalEmbedding(ctx.train, ctx.world, ctx.seed);
    const emb = embeddingRanker(ctx, e);
    const gen = new TwoHopGenerator(ctx.train, { topN: ctx.maxK, score: 'aa', seed: ctx.seed });
    const a = new Int32Array(ctx.maxK);
    const b = new Int32Array(ctx.maxK);
    return {
      rank(u, k, out) {
        const la = Math.min(k, gen.run(u));
        a.set(gen.cand.subarray(0, la));
        const lb = emb.rank(u, k, b);
        return fuseRanked(a, la, b, lb, k, out);
      },
      score: emb.score,
    };
  },
});
