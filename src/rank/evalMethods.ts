/**
 * The learned rankers as evaluation methods (`pymk eval --methods aa,rank-mlp-int8,rank-mlp,rank-gbdt`).
 *
 * prepare() sees only the training side of the split: the training graph, and the activity log up to the
 * last training connection (a random split has no time: its connection times and the log are not used). It builds examples with
 * the same label rules as the pipeline (log labels with a time cut inside the training period; with no
 * times, a held-back share of the training edges), trains, exports and validates the ONNX variants — once
 * per split, shared by the three methods — and ranks each query user's 2-hop candidates through the serving
 * path: a MemoryStore over the training snapshot answers fetchRankingInputs, assembleFeatures builds the
 * matrix, ONNX Runtime scores it.
 */
import { CANDIDATES_PER_USER } from '../core/config.js';
import { Dictionary } from '../core/dictionary.js';
import { emptyProfiles } from '../core/tables.js';
import { registerMethod, type EvalContext, type EvalMethod, type Ranker } from '../eval/methods.js';
import { Graph } from '../graph/csr.js';
import { exclusionsFromEvents } from '../graph/exclusions.js';
import { TwoHopGenerator } from '../graph/twoHop.js';
import { rankOrder } from './heuristic.js';
import { MemoryStore } from '../store/memory.js';
import type { Snapshot } from '../store/snapshot.js';
import { BehaviourIndex, dataTime, pairFeatureColumns } from './behaviour.js';
import { buildExamples, EXAMPLE_DEFAULTS, filterEvents, LIST_DEFAULTS } from './examples.js';
import { exportModel } from './export.js';
import { validateVariant, type Variant } from './modelFiles.js';
import { modelScorer, type ModelScorer } from './scorer.js';
import { RANK_MAX_USERS, trainRanker, TRAIN_DEFAULTS, type TrainedRanker } from './train.js';

/** Label users sampled for training inside an evaluation: the pipeline's cap (each brings a whole list). */
const EVAL_MAX_USERS = RANK_MAX_USERS;

interface Prepared {
  trained: TrainedRanker;
  exported: Awaited<ReturnType<typeof exportModel>>;
  snap: Snapshot;
  behaviour: BehaviourIndex;
}

const cache = new WeakMap<EvalContext, Promise<Prepared>>();

async function prepareShared(ctx: EvalContext): Promise<Prepared> {
  // A random split hides random edges: train for that task (edge labels held back at random, no log), as
  // the pipeline does on a split's train.csv, rather than for "who connects next".
  const g = ctx.split === 'random' ? new Graph(ctx.train.n, ctx.train.offsets, ctx.train.targets, new Uint32Array(ctx.train.targets.length)) : ctx.train;
  const n = g.n;
  const w = ctx.world;
  const end = dataTime(g.times, null);
  // Only what happened before the end of the training period; a split without times uses no log.
  const events = w && end > 0 ? filterEvents(w.events, end + 1) : null;
  const ids = w?.ids ?? Dictionary.from(Array.from({ length: n }, (_, i) => String(i)));
  const profiles = w?.profiles ?? emptyProfiles(n);
  const ex = await buildExamples({ ids, profiles, graph: g, events }, { ...EXAMPLE_DEFAULTS, maxUsers: EVAL_MAX_USERS, seed: ctx.seed });
  const trained = trainRanker(ex, { ...TRAIN_DEFAULTS, seed: ctx.seed });
  const exported = await exportModel(trained, 'mlp', { examples: ex.labels, ...trained.metrics });
  const excl = events ? exclusionsFromEvents(n, events) : null;
  const empty = { offsets: new Int32Array(n + 1), targets: new Int32Array(0) };
  const snap: Snapshot = {
    version: 'eval',
    ids,
    profiles,
    graph: g,
    blocked: excl?.blocked ?? empty,
    dismissed: excl?.dismissed ?? empty,
    candidates: { offsets: new Int32Array(n + 1), cand: new Int32Array(0), score: new Float32Array(0), features: pairFeatureColumns(g, new BehaviourIndex(n, 0, 0), [], Int32Array.of(0), new Int32Array(0)) },
    lists: null,
  };
  const behaviour = events ? BehaviourIndex.fromEvents(n, events, end + 1) : new BehaviourIndex(n, 0, 0);
  return { trained, exported, snap, behaviour };
}

function rankMethod(name: string, variant: Variant, description: string): EvalMethod {
  return {
    name,
    description,
    async prepare(ctx): Promise<Ranker> {
      let shared = cache.get(ctx);
      if (!shared) cache.set(ctx, (shared = prepareShared(ctx)));
      const p = await shared;
      const file = p.exported.card.variants[variant]?.file;
      const bytes = file ? p.exported.files.get(file) : undefined;
      if (!bytes) throw new Error(`${name}: variant ${variant} was refused at export: ${p.exported.refused[variant]}`);
      const golden = p.trained.golden;
      const v = await validateVariant(variant, bytes, golden, `${name} (${variant})`);
      const scorer: ModelScorer = modelScorer({ variant, card: p.exported.card, session: v.session, maxGoldenDiff: v.maxGoldenDiff });
      const g = p.snap.graph;
      // The served list: the candidates stage's settings and count (and the tie rule's seed 0).
      const gen = new TwoHopGenerator(g, { ...LIST_DEFAULTS, topN: Math.max(CANDIDATES_PER_USER, ctx.maxK) });
      // Candidates for the next fetch: a fixed list (pair scoring) or u's 2-hop candidates (ranking).
      let fixed: Int32Array | null = null;
      const store = new MemoryStore(p.snap, {
        live: (_snap, u) => {
          const ids = fixed ?? gen.cand.slice(0, gen.run(u));
          const features = pairFeatureColumns(g, p.behaviour, [u], Int32Array.of(0, ids.length), ids);
          return { ids, score: features.aa, features };
        },
      });
      return {
        probability: true,
        async rank(u, k, out) {
          fixed = null;
          const inputs = await store.fetchRankingInputs(u);
          const scores = await scorer.score(inputs);
          const order = rankOrder(scores, inputs.candidates.ids);
          const c = Math.min(k, order.length);
          for (let i = 0; i < c; i++) out[i] = inputs.candidates.ids[order[i]];
          return c;
        },
        async score(u, v) {
          fixed = Int32Array.of(v);
          const inputs = await store.fetchRankingInputs(u);
          return (await scorer.score(inputs))[0];
        },
      };
    },
  };
}

registerMethod(rankMethod('rank-blend-int8', 'blend-int8', 'learned ranker: INT8 MLP + trees blended (the default), ONNX, over 2-hop candidates'));
registerMethod(rankMethod('rank-mlp-int8', 'mlp-int8', 'learned ranker: MLP, INT8 ONNX, over 2-hop candidates'));
registerMethod(rankMethod('rank-mlp', 'mlp', 'learned ranker: MLP, fp32 ONNX, over 2-hop candidates'));
registerMethod(rankMethod('rank-gbdt', 'gbdt', 'learned ranker: gradient-boosted trees, ONNX, over 2-hop candidates'));
