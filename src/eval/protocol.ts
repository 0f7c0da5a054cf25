/**
 * The offline evaluation protocol.
 *
 * 1. Split the unique connections into train / test: random (the default: a seeded 10%), or temporal by a
 *    cut or the latest fraction (data without times is split at random instead, and the result says so).
 * 2. Build the training graph. Users with at least one training connection are "active": only they can
 *    be recommended, and only held-out connections between two active users count (a user who appears
 *    after the cut is not in the training id space of any method).
 * 3. Query users are the active users with at least one such held-out connection; up to `users` of them
 *    are sampled with the seed (0 = all).
 * 4. Each method ranks maxK candidates per query user; Recall, NDCG, Hits @K and MRR are computed against
 *    the user's held-out neighbours and averaged.
 * 5. Methods with a pair score are also scored on held-out pairs (up to `pairs`, sampled) against as many
 *    uniformly random non-connected pairs of active users (checked against all connections, so no future
 *    edge is a negative): ROC-AUC and average precision.
 */
import { unknownName } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { EdgeTable } from '../core/tables.js';
import type { World } from '../data/world.js';
import { buildGraph, type Graph } from '../graph/csr.js';
import { randomEdgeSplit, sampleNonEdges, selectPart, temporalSplit, type EdgeSplit } from '../graph/splits.js';
import { getMethod, type EvalContext } from './methods.js';
import { RankingAccumulator, averagePrecision, rocAuc, type RankingMetrics } from './metrics.js';

/** What to evaluate on: dense user ids 0..n-1 and their connections. */
export interface EvalDataset {
  name: string;
  n: number;
  edges: EdgeTable;
  world?: World;
}

export interface EvalOptions {
  split?: (typeof SPLITS)[number];
  /** Held-out fraction (default 0.1); ignored by a temporal split given a cut. */
  testFrac?: number;
  /** Temporal split: connections first seen at or after this time are held out. */
  cut?: number;
  /** Random split: keep the training graph's components connected. */
  keepConnected?: boolean;
  ks?: number[];
  methods?: string[];
  /** Query users to sample (default DEFAULT_USERS, 1,000; 0 = all). */
  users?: number;
  /** Held-out pairs scored for AUC / AP (default 10,000; 0 = skip). */
  pairs?: number;
  seed?: number;
  onProgress?: (method: string, done: number, total: number) => void;
}

export interface MethodResult {
  method: string;
  description: string;
  ranking: RankingMetrics;
  auc: number | null;
  ap: number | null;
  /** Mean binary log loss on the AUC pairs, for methods whose score is a probability. */
  logLoss: number | null;
  /** Mean candidates returned per query user. */
  meanListLength: number;
  prepareMs: number;
  msPerUser: number;
}

export interface EvalResult {
  dataset: string;
  split: {
    kind: 'temporal' | 'random';
    testFrac: number | null;
    cut: number | null;
    keepConnected: boolean;
    seed: number;
    notes: Record<string, number>;
    /** Why the split is not the one asked for (a temporal split of data without times is random). */
    fallback?: string;
  };
  counts: {
    users: number;
    activeUsers: number;
    edges: number;
    trainEdges: number;
    testEdges: number;
    /** Held-out edges whose both ends are active. */
    usableTestEdges: number;
    eligibleQueryUsers: number;
    queryUsers: number;
    pairPositives: number;
    pairNegatives: number;
  };
  ks: number[];
  methods: MethodResult[];
  durationMs: number;
}

export const SPLITS = ['temporal', 'random'] as const;
export const DEFAULT_METHODS = ['random', 'pa', 'cn', 'jaccard', 'aa', 'ra'];
export const DEFAULT_KS = [10, 20, 50, 100];
/** Query users sampled by default: the protocol's 1,000. */
export const DEFAULT_USERS = 1000;

/** Runs the protocol for each method; deterministic for a given dataset, options and seed. */
export async function runEval(ds: EvalDataset, opts: EvalOptions = {}): Promise<EvalResult> {
  const started = performance.now();
  const seed = opts.seed ?? 1;
  const ks = [...new Set(opts.ks ?? DEFAULT_KS)].sort((a, b) => a - b);
  const methods = (opts.methods ?? DEFAULT_METHODS).map(getMethod); // fail fast on an unknown name
  const { split, train, activeMask, active, usable, heldOut, eligible, queries, rng } = prepareSplit(ds, opts);
  const pairs = pairSample(buildGraph(ds.n, split.edges), usable, active, opts.pairs ?? 10_000, rng);
  const { kind, fallback } = chooseSplit(ds.edges, opts);
  const ctx: EvalContext = { train, active, activeMask, maxK: ks[ks.length - 1], seed, world: ds.world, split: kind };
  const results: MethodResult[] = [];
  for (const m of methods) {
    const t0 = performance.now();
    const ranker = await m.prepare(ctx);
    const t1 = performance.now();
    const acc = new RankingAccumulator(ks);
    const out = new Int32Array(ctx.maxK);
    let listTotal = 0;
    for (let i = 0; i < queries.length; i++) {
      const u = queries[i];
      const len = await ranker.rank(u, ctx.maxK, out);
      listTotal += len;
      acc.add(out, len, new Set(heldOut.neighbors(u)));
      if (opts.onProgress && ((i + 1) % 256 === 0 || i + 1 === queries.length)) opts.onProgress(m.name, i + 1, queries.length);
    }
    const t2 = performance.now();
    let auc: number | null = null;
    let ap: number | null = null;
    let logLoss: number | null = null;
    if (ranker.score && pairs.pos.count > 0) {
      const score = ranker.score.bind(ranker);
      const ps = new Float64Array(pairs.pos.count);
      const ns = new Float64Array(pairs.neg.count);
      for (let i = 0; i < ps.length; i++) ps[i] = await score(pairs.pos.src[i], pairs.pos.dst[i]);
      for (let i = 0; i < ns.length; i++) ns[i] = await score(pairs.neg.src[i], pairs.neg.dst[i]);
      auc = rocAuc(ps, ns);
      ap = averagePrecision(ps, ns);
      if (ranker.probability) logLoss = binaryLogLoss(ps, ns);
    }
    results.push({
      method: m.name,
      description: m.description,
      ranking: acc.result(),
      auc,
      ap,
      logLoss,
      meanListLength: queries.length ? listTotal / queries.length : 0,
      prepareMs: t1 - t0,
      msPerUser: queries.length ? (t2 - t1) / queries.length : 0,
    });
  }
  return {
    dataset: ds.name,
    split: {
      kind,
      testFrac: kind === 'temporal' && opts.cut !== undefined ? null : (opts.testFrac ?? 0.1),
      cut: split.cut ?? null,
      keepConnected: kind === 'random' && (opts.keepConnected ?? false),
      seed,
      notes: split.notes,
      ...(fallback && { fallback }),
    },
    counts: {
      users: ds.n,
      activeUsers: active.length,
      edges: split.edges.count,
      trainEdges: split.train.count,
      testEdges: split.test.count,
      usableTestEdges: usable.count,
      eligibleQueryUsers: eligible.length,
      queryUsers: queries.length,
      pairPositives: pairs.pos.count,
      pairNegatives: pairs.neg.count,
    },
    ks,
    methods: results,
    durationMs: performance.now() - started,
  };
}

/** Steps 1–3 of the protocol: the split, the training graph, the usable held-out edges and the query users. */
export interface PreparedSplit {
  kind: (typeof SPLITS)[number];
  fallback?: string;
  split: EdgeSplit;
  train: Graph;
  activeMask: Uint8Array;
  active: Int32Array;
  /** Held-out edges between two active users. */
  usable: EdgeTable;
  heldOut: Graph;
  eligible: Int32Array;
  /** The sampled query users, ascending. */
  queries: Int32Array;
  /** The seeded generator after the query sample (the pair sample continues from it). */
  rng: Rng;
}

export function prepareSplit(ds: EvalDataset, opts: EvalOptions = {}): PreparedSplit {
  const seed = opts.seed ?? 1;
  const { kind, fallback } = chooseSplit(ds.edges, opts);
  const split = makeSplit(ds, kind, opts, seed);
  const train = buildGraph(ds.n, split.train);
  const activeMask = new Uint8Array(ds.n);
  for (let u = 0; u < ds.n; u++) if (train.degree(u) > 0) activeMask[u] = 1;
  const active = Int32Array.from({ length: ds.n }, (_, u) => u).filter((u) => activeMask[u] === 1);
  const usable = selectPart(split.test, Uint8Array.from({ length: split.test.count }, (_, i) => (activeMask[split.test.src[i]] && activeMask[split.test.dst[i]] ? 1 : 0)), 1);
  const heldOut = buildGraph(ds.n, usable);
  const eligible = active.filter((u) => heldOut.degree(u) > 0);
  const rng = new Rng(seed);
  const want = opts.users ?? DEFAULT_USERS;
  const queries = want > 0 && want < eligible.length ? rng.shuffle(Int32Array.from(eligible)).slice(0, want).sort() : eligible;
  return { kind, fallback, split, train, activeMask, active, usable, heldOut, eligible, queries, rng };
}

/**
 * The split to make: the one asked for (default random), except that a temporal split of connections
 * without times (and without a given cut) becomes a random split, saying so.
 */
export function chooseSplit(edges: EdgeTable, opts: Pick<EvalOptions, 'split' | 'cut'>): { kind: (typeof SPLITS)[number]; fallback?: string } {
  const kind = opts.split ?? 'random';
  if (kind !== 'temporal' || opts.cut !== undefined) return { kind };
  for (let i = 0; i < edges.count; i++) if (edges.ts[i] > 0) return { kind };
  return { kind: 'random', fallback: 'temporal split asked for, but the connections have no times: random split instead' };
}

function makeSplit(ds: EvalDataset, kind: string, opts: EvalOptions, seed: number): EdgeSplit {
  const testFrac = opts.testFrac ?? 0.1;
  if (kind === 'temporal') return opts.cut !== undefined ? temporalSplit(ds.n, ds.edges, { cut: opts.cut }) : temporalSplit(ds.n, ds.edges, { testFrac });
  if (kind === 'random') return randomEdgeSplit(ds.n, ds.edges, { testFrac, seed, keepConnected: opts.keepConnected });
  throw unknownName('split', kind, SPLITS);
}

/** Up to `limit` usable held-out pairs and as many random non-connected pairs of active users. */
function pairSample(full: Graph, usable: EdgeTable, active: Int32Array, limit: number, rng: Rng): { pos: EdgeTable; neg: EdgeTable } {
  const take = Math.min(limit, usable.count);
  const order = rng.shuffle(Int32Array.from({ length: usable.count }, (_, i) => i)).slice(0, take);
  const pos: EdgeTable = {
    count: take,
    src: Int32Array.from(order, (i) => usable.src[i]),
    dst: Int32Array.from(order, (i) => usable.dst[i]),
    ts: Uint32Array.from(order, (i) => usable.ts[i]),
  };
  const neg = take > 0 ? sampleNonEdges(full, take, rng.u32(), active) : pos;
  return { pos, neg };
}

/** Mean log loss of probabilities for positives (label 1) and negatives (label 0), clipped away from 0 and 1. */
function binaryLogLoss(pos: Float64Array, neg: Float64Array): number {
  const clip = (p: number): number => Math.min(1 - 1e-7, Math.max(1e-7, p));
  let s = 0;
  for (const p of pos) s -= Math.log(clip(p));
  for (const p of neg) s -= Math.log(1 - clip(p));
  return s / Math.max(pos.length + neg.length, 1);
}
