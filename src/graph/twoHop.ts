/**
 * 2-hop candidate generation: for a user u, the users at distance exactly 2 (not u, not already a
 * neighbour), scored by a pair heuristic, with the top N kept together with their pair features.
 *
 * One pass over u's neighbours w and their neighbours x accumulates CN, AA and RA for every x into a
 * reusable scratch buffer (sized n, plus a touched list), so a pass over all users allocates nothing per
 * user. The top N are selected with a size-N min-heap: O(touched · log N), never a full sort.
 *
 * Hubs: a neighbour w whose degree exceeds `maxFanout` would add deg(w) paths on its own. With
 * `hubMode: 'skip'` (the default once a cap is set) paths through w are ignored; with `'sample'` a seeded
 * stride of maxFanout of w's neighbours is walked and each contribution is weighted by deg(w) / maxFanout,
 * an unbiased estimate of the full sum. Either way the accumulated features are then estimates;
 * `exactFeatures: true` recomputes them exactly (one sorted merge per kept candidate).
 */
import { CANDIDATES_PER_USER } from '../core/config.js';
import { HEURISTIC_NAMES, emptyPairFeatures, jaccardFrom, pairFeatures, type HeuristicName } from './heuristics.js';
import type { Graph } from './csr.js';

export interface TwoHopOptions {
  /** Candidates kept per user (default CANDIDATES_PER_USER). */
  topN?: number;
  /** Heuristic that ranks the candidates (default 'aa'). */
  score?: HeuristicName;
  /** Neighbours with a degree above this are hubs (see the module comment); 0 = no cap (default). */
  maxFanout?: number;
  /** How hubs are handled when `maxFanout` is set (default 'skip'). */
  hubMode?: 'skip' | 'sample';
  /** Recompute the kept candidates' features exactly when hubs were capped (default false). */
  exactFeatures?: boolean;
  /** Users that may never be candidates: exclude[v] !== 0. */
  exclude?: Uint8Array;
  /** Seeds the tie-break among equal scores and the hub sampling (default 0). */
  seed?: number;
  /**
   * For a graph over part of the users (recommend/refresh.ts builds one from the store's live rows): the
   * global id of each local id, ascending. Tie keys and hub samples are drawn from the global ids, so the
   * candidates are those the whole graph would give.
   */
  globalIds?: Int32Array;
}

/** Candidates of many users, columnar: user users[i] owns entries offsets[i] .. offsets[i+1]-1. */
export interface PackedCandidates {
  users: Int32Array;
  offsets: Int32Array;
  cand: Int32Array;
  /** The ranking score (the chosen heuristic). */
  score: Float32Array;
  /** One column per heuristic, in HEURISTIC_NAMES order. */
  features: Record<HeuristicName, Float32Array>;
}

/** Reusable working memory for one graph size and one N. Not shared between concurrent passes. */
export class TwoHopScratch {
  /**
   * Per user x, four interleaved slots [stamp, cn, aa, ra] at 4x … 4x+3, so one path step touches one
   * cache line (random access dominates the cost of a pass). stamp = epoch marks u and u's neighbours.
   */
  readonly acc: Float64Array;
  readonly touched: Int32Array;
  readonly heapId: Int32Array;
  readonly heapScore: Float64Array;
  readonly heapTie: Uint32Array;
  epoch = 0;

  constructor(
    readonly n: number,
    readonly topN: number,
  ) {
    this.acc = new Float64Array(4 * n);
    this.touched = new Int32Array(n);
    this.heapId = new Int32Array(topN);
    this.heapScore = new Float64Array(topN);
    this.heapTie = new Uint32Array(topN);
  }
}

/** Column sink that `collect` writes into: arrays of equal length, written from `pos`. */
interface Sink {
  cand: Int32Array;
  score: Float32Array;
  features: Record<HeuristicName, Float32Array>;
}

interface Resolved {
  topN: number;
  score: HeuristicName;
  maxFanout: number;
  sample: boolean;
  exactFeatures: boolean;
  exclude: Uint8Array | undefined;
  seed: number;
  globalIds: Int32Array | undefined;
}

/** The top-N 2-hop candidates of one user, best first. */
export function twoHop(g: Graph, u: number, opts: TwoHopOptions = {}, scratch?: TwoHopScratch): PackedCandidates {
  const cfg = resolve(opts);
  const s = scratch ?? new TwoHopScratch(g.n, cfg.topN);
  checkScratch(g, cfg, s);
  const sink = allocSink(cfg.topN);
  const k = collect(g, u, cfg, s, sink, 0);
  return finish(Int32Array.of(u), Int32Array.of(0, k), sink, k);
}

/**
 * Candidates for many users (all users when `users` is omitted), packed into columns ready to be written
 * to disk. `onProgress(done, total)` is called every 4,096 users and at the end.
 *
 * The result takes 28 bytes per candidate (id + score + five features): 1M users × 200 candidates is
 * 5.6 GB, so at that scale call it per range of users and write each range out.
 */
export function twoHopAll(
  g: Graph,
  users: Int32Array | null,
  opts: TwoHopOptions = {},
  onProgress?: (done: number, total: number) => void,
): PackedCandidates {
  const cfg = resolve(opts);
  const list = users ?? Int32Array.from({ length: g.n }, (_, i) => i);
  const s = new TwoHopScratch(g.n, cfg.topN);
  const offsets = new Int32Array(list.length + 1);
  // Up to 4M entries (112 MB) the worst case is allocated at once; beyond, start small and grow.
  const worst = list.length * cfg.topN;
  let sink = allocSink(worst <= 1 << 22 ? Math.max(worst, 1) : list.length * 32);
  let pos = 0;
  for (let i = 0; i < list.length; i++) {
    if (sink.cand.length - pos < cfg.topN) {
      sink = growSink(sink, pos, Math.min(worst, Math.max(Math.ceil(sink.cand.length * 1.5), pos + cfg.topN)));
    }
    pos += collect(g, list[i], cfg, s, sink, pos);
    offsets[i + 1] = pos;
    if (onProgress && ((i + 1) % 4096 === 0 || i + 1 === list.length)) onProgress(i + 1, list.length);
  }
  return finish(Int32Array.from(list), offsets, sink, pos);
}

/**
 * Candidates user after user into the same buffers, allocating nothing per user: `run(u)` returns the
 * count and fills the first `count` entries of `cand`, `score` and `features` (best first), which stay
 * valid until the next call. For callers that ask for many users: the evaluation methods, the ranker's
 * example builder and the twoHopParallel workers.
 */
export class TwoHopGenerator {
  readonly cand: Int32Array;
  readonly score: Float32Array;
  readonly features: Record<HeuristicName, Float32Array>;
  private readonly cfg: Resolved;
  private readonly scratch: TwoHopScratch;
  private readonly sink: Sink;

  constructor(
    readonly g: Graph,
    opts: TwoHopOptions = {},
  ) {
    this.cfg = resolve(opts);
    this.scratch = new TwoHopScratch(g.n, this.cfg.topN);
    this.sink = allocSink(this.cfg.topN);
    this.cand = this.sink.cand;
    this.score = this.sink.score;
    this.features = this.sink.features;
  }

  run(u: number): number {
    return collect(this.g, u, this.cfg, this.scratch, this.sink, 0);
  }
}

function checkScratch(g: Graph, cfg: Resolved, s: TwoHopScratch): void {
  if (s.n < g.n || s.topN < cfg.topN) {
    throw new RangeError(`scratch sized for n=${s.n}, topN=${s.topN} cannot serve n=${g.n}, topN=${cfg.topN}`);
  }
}

function resolve(o: TwoHopOptions): Resolved {
  const topN = o.topN ?? CANDIDATES_PER_USER;
  if (!Number.isInteger(topN) || topN < 1) throw new RangeError(`topN must be a positive integer, got ${topN}`);
  const maxFanout = o.maxFanout ?? 0;
  if (!Number.isInteger(maxFanout) || maxFanout < 0) throw new RangeError(`maxFanout must be an integer >= 0, got ${maxFanout}`);
  return {
    topN,
    score: o.score ?? 'aa',
    maxFanout,
    sample: o.hubMode === 'sample',
    exactFeatures: o.exactFeatures ?? false,
    exclude: o.exclude,
    seed: (o.seed ?? 0) >>> 0,
    globalIds: o.globalIds,
  };
}

/** Writes u's top-N candidates, best first, into the sink from `pos`; returns how many. */
function collect(g: Graph, u: number, cfg: Resolved, s: TwoHopScratch, sink: Sink, pos: number): number {
  const off = g.offsets;
  const t = g.targets;
  const { acc, touched } = s;
  const epoch = ++s.epoch;
  const uStart = off[u];
  const uEnd = off[u + 1];
  acc[4 * u] = epoch;
  for (let p = uStart; p < uEnd; p++) acc[4 * t[p]] = epoch;
  const exclude = cfg.exclude;
  const gid = cfg.globalIds;
  let nTouched = 0;
  let capped = false;
  for (let p = uStart; p < uEnd; p++) {
    const w = t[p];
    const wStart = off[w];
    const d = off[w + 1] - wStart;
    if (d < 2) continue;
    const aaW = 1 / Math.log(d);
    const raW = 1 / d;
    let take = d;
    let weight = 1;
    let start = 0;
    if (cfg.maxFanout > 0 && d > cfg.maxFanout) {
      capped = true;
      if (!cfg.sample) continue;
      take = cfg.maxFanout;
      weight = d / take;
      start = gid ? mix(gid[w] ^ mix(gid[u] ^ cfg.seed)) % d : mix(w ^ mix(u ^ cfg.seed)) % d;
    }
    for (let i = 0; i < take; i++) {
      // Unsampled rows are walked in order; sampled rows take a seeded stride of distinct positions.
      const x = take === d ? t[wStart + i] : t[wStart + ((start + Math.floor((i * d) / take)) % d)];
      const q = 4 * x;
      if (acc[q] === epoch || (exclude !== undefined && exclude[x] !== 0)) continue;
      if (acc[q + 1] === 0) touched[nTouched++] = x;
      acc[q + 1] += weight;
      acc[q + 2] += weight * aaW;
      acc[q + 3] += weight * raW;
    }
  }
  const k = selectTop(g, u, cfg, s, nTouched);
  writeOut(g, u, cfg, s, sink, pos, k, capped);
  for (let i = 0; i < nTouched; i++) {
    const q = 4 * touched[i];
    acc[q + 1] = 0;
    acc[q + 2] = 0;
    acc[q + 3] = 0;
  }
  return k;
}

/** Keeps the best topN touched users in the scratch min-heap; returns the heap size. */
function selectTop(g: Graph, u: number, cfg: Resolved, s: TwoHopScratch, nTouched: number): number {
  const { heapId, heapScore, heapTie, touched } = s;
  const du = g.degree(u);
  let size = 0;
  const code = SCORE_CODE[cfg.score];
  for (let i = 0; i < nTouched; i++) {
    const x = touched[i];
    const sc = scoreOf(code, g, s.acc, x, du);
    // Most users fall below a full heap's worst score: reject them before hashing the tie key.
    if (size === cfg.topN && sc < heapScore[0]) continue;
    const tie = tieKey(cfg.globalIds ? cfg.globalIds[x] : x, cfg.seed);
    if (size < cfg.topN) {
      heapId[size] = x;
      heapScore[size] = sc;
      heapTie[size] = tie;
      siftUp(s, size++);
    } else if (better(sc, tie, x, heapScore[0], heapTie[0], heapId[0])) {
      heapId[0] = x;
      heapScore[0] = sc;
      heapTie[0] = tie;
      siftDown(s, 0, size);
    }
  }
  return size;
}

/** Pops the heap (worst first) into the sink back to front, so the sink reads best first. */
function writeOut(g: Graph, u: number, cfg: Resolved, s: TwoHopScratch, sink: Sink, pos: number, k: number, capped: boolean): void {
  const f = sink.features;
  const du = g.degree(u);
  const exact = capped && cfg.exactFeatures ? emptyPairFeatures() : null;
  for (let size = k; size > 0; size--) {
    const x = s.heapId[0];
    const q = pos + size - 1;
    sink.cand[q] = x;
    sink.score[q] = s.heapScore[0];
    if (exact) {
      pairFeatures(g, u, x, exact);
      f.cn[q] = exact.cn;
      f.aa[q] = exact.aa;
      f.ra[q] = exact.ra;
      f.jaccard[q] = exact.jaccard;
      f.pa[q] = exact.pa;
    } else {
      const dx = g.degree(x);
      const cn = s.acc[4 * x + 1];
      f.cn[q] = cn;
      f.aa[q] = s.acc[4 * x + 2];
      f.ra[q] = s.acc[4 * x + 3];
      f.jaccard[q] = jaccardFrom(cn, du, dx);
      f.pa[q] = du * dx;
    }
    // Pop: move the last element to the root and restore the heap over size - 1 elements.
    const last = size - 1;
    s.heapId[0] = s.heapId[last];
    s.heapScore[0] = s.heapScore[last];
    s.heapTie[0] = s.heapTie[last];
    siftDown(s, 0, last);
  }
}

/** Score codes: the heuristic's slot in `acc`, or a computed score. */
const SCORE_CN = 1;
const SCORE_AA = 2;
const SCORE_RA = 3;
const SCORE_JACCARD = 4;
const SCORE_PA = 5;
const SCORE_CODE: Record<HeuristicName, number> = { cn: SCORE_CN, aa: SCORE_AA, ra: SCORE_RA, jaccard: SCORE_JACCARD, pa: SCORE_PA };

function scoreOf(code: number, g: Graph, acc: Float64Array, x: number, du: number): number {
  if (code <= SCORE_RA) return acc[4 * x + code];
  const dx = g.offsets[x + 1] - g.offsets[x];
  return code === SCORE_JACCARD ? jaccardFrom(acc[4 * x + 1], du, dx) : du * dx;
}

/** Whether (score a, tie a, id a) ranks above (score b, …): higher score, then lower tie key, then lower id. */
function better(sa: number, ta: number, ia: number, sb: number, tb: number, ib: number): boolean {
  if (sa !== sb) return sa > sb;
  if (ta !== tb) return ta < tb;
  return ia < ib;
}

function siftUp(s: TwoHopScratch, i: number): void {
  const { heapId: id, heapScore: sc, heapTie: tie } = s;
  while (i > 0) {
    const p = (i - 1) >> 1;
    // Min-heap on rank: the parent must be the worse of the two.
    if (!better(sc[p], tie[p], id[p], sc[i], tie[i], id[i])) break;
    swap(s, i, p);
    i = p;
  }
}

function siftDown(s: TwoHopScratch, i: number, size: number): void {
  const { heapId: id, heapScore: sc, heapTie: tie } = s;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    let worst = l;
    if (r < size && better(sc[l], tie[l], id[l], sc[r], tie[r], id[r])) worst = r;
    if (!better(sc[i], tie[i], id[i], sc[worst], tie[worst], id[worst])) return;
    swap(s, i, worst);
    i = worst;
  }
}

function swap(s: TwoHopScratch, i: number, j: number): void {
  const a = s.heapId[i];
  s.heapId[i] = s.heapId[j];
  s.heapId[j] = a;
  const b = s.heapScore[i];
  s.heapScore[i] = s.heapScore[j];
  s.heapScore[j] = b;
  const c = s.heapTie[i];
  s.heapTie[i] = s.heapTie[j];
  s.heapTie[j] = c;
}

/**
 * THE TIE RULE, for every list pymk ranks (the 2-hop generator, every scorer in serving, the evaluator's
 * heuristics): a higher score first; among equal scores the lower tieKey(id) = mix(id ^ seed) first (seed 0
 * everywhere but in explicitly seeded experiments); then the lower id. A hash, not the id itself, because
 * ids often follow time or community (the order a crawl met users), which would leak into the ranking.
 */
export function tieKey(id: number, seed = 0): number {
  return mix(id ^ seed);
}

/** A 32-bit integer hash (murmur3 finaliser): tie keys that do not follow id order. */
export function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function allocSink(cap: number): Sink {
  const features = {} as Record<HeuristicName, Float32Array>;
  for (const h of HEURISTIC_NAMES) features[h] = new Float32Array(cap);
  return { cand: new Int32Array(cap), score: new Float32Array(cap), features };
}

function growSink(old: Sink, used: number, cap: number): Sink {
  const s = allocSink(cap);
  s.cand.set(old.cand.subarray(0, used));
  s.score.set(old.score.subarray(0, used));
  for (const h of HEURISTIC_NAMES) s.features[h].set(old.features[h].subarray(0, used));
  return s;
}

/** Trims the sink to `used` entries; a sink filled to capacity is returned as it is, without a copy. */
function finish(users: Int32Array, offsets: Int32Array, sink: Sink, used: number): PackedCandidates {
  if (used === sink.cand.length) return { users, offsets, ...sink };
  const features = {} as Record<HeuristicName, Float32Array>;
  for (const h of HEURISTIC_NAMES) features[h] = sink.features[h].slice(0, used);
  return { users, offsets, cand: sink.cand.slice(0, used), score: sink.score.slice(0, used), features };
}
