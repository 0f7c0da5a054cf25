/**
 * Edge splits for link-prediction evaluation, and negative sampling of non-edges.
 *
 * Every split first reduces the input to unique undirected pairs (u < v, self-loops dropped, the earliest
 * known time kept, as `buildGraph` does), then assigns each pair to exactly one part. So a pair listed
 * twice, or in both directions, can never be in training and in test at once.
 */
import { EdgeBuilder, type EdgeTable } from '../core/tables.js';
import { PymkError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { buildGraph, type Graph } from './csr.js';

export const TRAIN = 0;
export const VALID = 1;
export const TEST = 2;

export interface EdgeSplit {
  /** The unique undirected pairs the split partitions (src < dst). */
  edges: EdgeTable;
  /** Per entry of `edges`: TRAIN, VALID or TEST. */
  part: Uint8Array;
  train: EdgeTable;
  valid: EdgeTable;
  test: EdgeTable;
  /** Temporal splits: train has ts < validCut (or < cut without valid), test has ts ≥ cut. */
  cut?: number;
  validCut?: number;
  /** Counts worth reporting (e.g. edges without a time kept in train, held-out edges a constraint refused). */
  notes: Record<string, number>;
}

export interface RandomSplitOptions {
  /** Fraction of pairs held out for test (default 0.1). */
  testFrac?: number;
  /** Fraction of pairs held out for validation (default 0). */
  validFrac?: number;
  seed?: number;
  /**
   * Keep the training graph's connectivity: a random spanning forest stays in train and only the other
   * pairs may be held out (node2vec's protocol: remove 50% of edges, the residual graph stays connected).
   * When too few pairs are left to hold out, fewer are held out and `notes.shortfall` says how many.
   */
  keepConnected?: boolean;
}

export interface TemporalSplitOptions {
  /** Test = pairs first seen at ts ≥ cut. Either this or `testFrac`. */
  cut?: number;
  /** Test = the latest fraction of timed pairs (the boundary moves so one timestamp is never split). */
  testFrac?: number;
  /** Validation = the latest fraction of pairs before the test boundary (default 0). */
  validFrac?: number;
}

/** Unique undirected pairs (src < dst), self-loops dropped, earliest known time per pair. */
export function uniquePairs(n: number, edges: EdgeTable): EdgeTable {
  return graphEdges(buildGraph(n, edges));
}

/** The edges of a graph as a table, each undirected pair once (src < dst). */
export function graphEdges(g: Graph): EdgeTable {
  const m = g.edgeCount;
  const src = new Int32Array(m);
  const dst = new Int32Array(m);
  const ts = new Uint32Array(m);
  let k = 0;
  for (let u = 0; u < g.n; u++) {
    for (let p = g.offsets[u]; p < g.offsets[u + 1]; p++) {
      const v = g.targets[p];
      if (v <= u) continue;
      src[k] = u;
      dst[k] = v;
      ts[k] = g.times[p];
      k++;
    }
  }
  return { count: k, src, dst, ts };
}

/** Random split of the unique pairs into train / valid / test, seeded. */
export function randomEdgeSplit(n: number, edges: EdgeTable, opts: RandomSplitOptions = {}): EdgeSplit {
  const { testFrac = 0.1, validFrac = 0, seed = 0, keepConnected = false } = opts;
  checkFractions(testFrac, validFrac);
  const uniq = uniquePairs(n, edges);
  const m = uniq.count;
  const rng = new Rng(seed);
  const order = rng.shuffle(Int32Array.from({ length: m }, (_, i) => i));
  const part = new Uint8Array(m); // all TRAIN
  const notes: Record<string, number> = {};
  const wantTest = Math.round(testFrac * m);
  const wantValid = Math.round(validFrac * m);
  let free = order;
  if (keepConnected) {
    // Kruskal over the shuffled order: the first edge joining two components is a forest edge.
    const parent = Int32Array.from({ length: n }, (_, i) => i);
    const rest: number[] = [];
    for (const i of order) {
      const a = find(parent, uniq.src[i]);
      const b = find(parent, uniq.dst[i]);
      if (a !== b) parent[a] = b;
      else rest.push(i);
    }
    free = Int32Array.from(rest);
    notes.forestEdges = m - rest.length;
    const shortfall = wantTest + wantValid - free.length;
    if (shortfall > 0) notes.shortfall = shortfall;
  }
  let p = 0;
  for (; p < Math.min(wantTest, free.length); p++) part[free[p]] = TEST;
  for (const end = Math.min(p + wantValid, free.length); p < end; p++) part[free[p]] = VALID;
  return assemble(uniq, part, notes);
}

/** Temporal split of the unique pairs by their first time: train before, test after. */
export function temporalSplit(n: number, edges: EdgeTable, opts: TemporalSplitOptions): EdgeSplit {
  const { cut, testFrac, validFrac = 0 } = opts;
  if ((cut === undefined) === (testFrac === undefined)) {
    throw new PymkError('PYMK_BAD_PARAM', 'temporal split needs exactly one of cut or testFrac');
  }
  checkFractions(testFrac ?? 0, validFrac);
  const uniq = uniquePairs(n, edges);
  const m = uniq.count;
  const order = argsortU32(uniq.ts);
  let untimed = 0;
  while (untimed < m && uniq.ts[order[untimed]] === 0) untimed++;
  if (untimed === m) throw new PymkError('PYMK_BAD_PARAM', 'temporal split needs connection times; this data has none');
  // Unknown times (0) sort first: they are treated as old and stay in train.
  const testStart = cut !== undefined ? lowerBound(uniq.ts, order, untimed, cut) : tieStart(uniq.ts, order, untimed, m - Math.round((testFrac ?? 0) * m));
  const validStart = validFrac > 0 ? tieStart(uniq.ts, order, untimed, testStart - Math.round(validFrac * m)) : testStart;
  if (validStart <= untimed) {
    throw new PymkError('PYMK_BAD_PARAM', 'temporal split leaves no timed edges for training; use a later cut or a smaller fraction');
  }
  const part = new Uint8Array(m);
  for (let p = validStart; p < testStart; p++) part[order[p]] = VALID;
  for (let p = testStart; p < m; p++) part[order[p]] = TEST;
  const split = assemble(uniq, part, untimed > 0 ? { untimedInTrain: untimed } : {});
  split.cut = testStart < m ? uniq.ts[order[testStart]] : (cut ?? 0xffffffff);
  if (validStart < testStart) split.validCut = uniq.ts[order[validStart]];
  return split;
}

/**
 * `count` distinct uniformly random non-edges of `g` (u ≠ v, src < dst), drawn from `nodes` when given.
 * Use the full graph (all parts) so that no held-out edge is sampled as a negative.
 */
export function sampleNonEdges(g: Graph, count: number, seed: number, nodes?: Int32Array): EdgeTable {
  const pool = nodes?.length ?? g.n;
  const pick = nodes ? (i: number): number => nodes[i] : (i: number): number => i;
  // Over the whole graph the number of non-edges is known; within a pool, the retry limit catches density.
  const possible = (pool * (pool - 1)) / 2 - (nodes ? 0 : g.edgeCount);
  if (count > possible) {
    throw new PymkError('PYMK_BAD_PARAM', `cannot sample ${count} non-edges among ${pool} users`);
  }
  const rng = new Rng(seed);
  const seen = new Set<number>();
  const out = new EdgeBuilder();
  const maxTries = 1000 + count * 200;
  for (let tries = 0; out.count < count; tries++) {
    if (tries > maxTries) throw new PymkError('PYMK_BAD_PARAM', `graph too dense to sample ${count} non-edges`);
    let u = pick(rng.int(pool));
    let v = pick(rng.int(pool));
    if (u === v) continue;
    if (u > v) [u, v] = [v, u];
    const key = u * g.n + v;
    if (seen.has(key) || g.hasEdge(u, v)) continue;
    seen.add(key);
    out.push(u, v, 0);
  }
  return out.finish();
}

/** Stable argsort of unsigned 32-bit keys: two 16-bit LSD radix passes, O(m). */
export function argsortU32(keys: Uint32Array): Int32Array {
  const m = keys.length;
  let a = Int32Array.from({ length: m }, (_, i) => i);
  let b = new Int32Array(m);
  for (const shift of [0, 16]) {
    const count = new Int32Array(65537);
    for (let i = 0; i < m; i++) count[((keys[a[i]] >>> shift) & 0xffff) + 1]++;
    for (let k = 0; k < 65536; k++) count[k + 1] += count[k];
    for (let i = 0; i < m; i++) b[count[(keys[a[i]] >>> shift) & 0xffff]++] = a[i];
    [a, b] = [b, a];
  }
  return a;
}

/** Rows of `edges` whose part equals `which`. */
export function selectPart(edges: EdgeTable, part: Uint8Array, which: number): EdgeTable {
  let c = 0;
  for (let i = 0; i < edges.count; i++) if (part[i] === which) c++;
  const out: EdgeTable = { count: c, src: new Int32Array(c), dst: new Int32Array(c), ts: new Uint32Array(c) };
  let k = 0;
  for (let i = 0; i < edges.count; i++) {
    if (part[i] !== which) continue;
    out.src[k] = edges.src[i];
    out.dst[k] = edges.dst[i];
    out.ts[k] = edges.ts[i];
    k++;
  }
  return out;
}

function assemble(edges: EdgeTable, part: Uint8Array, notes: Record<string, number>): EdgeSplit {
  return {
    edges,
    part,
    train: selectPart(edges, part, TRAIN),
    valid: selectPart(edges, part, VALID),
    test: selectPart(edges, part, TEST),
    notes,
  };
}

function checkFractions(test: number, valid: number): void {
  if (!(test >= 0 && valid >= 0 && test + valid < 1)) {
    throw new PymkError('PYMK_BAD_PARAM', `split fractions must be >= 0 and sum below 1, got test ${test}, valid ${valid}`);
  }
}

function find(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}

/** First position p in [from, m) of the sorted order with ts ≥ t. */
function lowerBound(ts: Uint32Array, order: Int32Array, from: number, t: number): number {
  let lo = from;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[order[mid]] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Moves a boundary position back to the first pair with the same time, so one timestamp is never split. */
function tieStart(ts: Uint32Array, order: Int32Array, from: number, p: number): number {
  if (p >= order.length) return order.length;
  if (p <= from) return from;
  return lowerBound(ts, order, from, ts[order[p]]);
}
