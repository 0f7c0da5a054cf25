/**
 * Ranking lab: fast screening of ranker variants on a written split (`pymk eval --write-split DIR`), without
 * the pipeline. Builds the pipeline's training examples from DIR/train.csv, trains the variants, and scores
 * the query users' served lists (top-200 2-hop by AA on the training graph, features through
 * assembleFeatures) against the hidden edges: Recall@20 of each variant ÷ AA's. fp32 forward passes (no
 * ONNX, no INT8), so figures are close to but not the served ones; confirm with bench/servedRecall.ts.
 *
 *   node dist/bench/rankLab.js --split DIR[,DIR...] [--variants base,gbdt,ens,avg3,lr5,avg3@rb0.5,...] [--extras walk4w,recip,...]
 *     [--log aa,ra,ra3] [--log-extras 1] [--topk K --deep-weight W] [--rounds R] [--max-users N] [--shift 1]
 *
 * --variants: trainer settings (VARIANTS; avgN: the mean logit of N MLP seeds, merged3 the same as one MLP by
 * averageMlps; NAME@rbL: NAME's rank within each list blended with AA's, model rank + L × AA rank); each is
 * also scored on the pipeline's validation users (trainRanker's) — what a model selection would read; --extras: candidate columns appended after the schema's, computed
 * here from the graph the rows use (the training snapshot for the examples, the training graph for the
 * queries) — screening only, not schema features; --log: log1p of schema columns; --topk: train only on
 * list positions < K (or weight deeper negatives by W); --rounds: examples built R times with seeds 1..R
 * (different hold-backs) and stacked; --shift: medians and means of some columns, training vs query rows.
 * The examples are the pipeline's (RANK_DEFAULTS.examples); training excludes validation users' rows as
 * trainRanker does. Seeds: the split's is in DIR; the MLP's is 1 unless a variant sets it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANDIDATES_PER_USER } from '../src/core/config.js';
import { loadDataset } from '../src/data/load.js';
import { embedUsers } from '../src/embed/embedUsers.js';
import { EMBED_DEFAULTS } from '../src/pipeline/stages/embed.js';
import { buildGraph, type Graph } from '../src/graph/csr.js';
import { exclusionMask } from '../src/graph/exclusions.js';
import { TwoHopGenerator } from '../src/graph/twoHop.js';
import { RANK_DEFAULTS } from '../src/pipeline/stages/rank.js';
import { assembleFeatures } from '../src/rank/assemble.js';
import { BehaviourIndex, pairFeatureColumns } from '../src/rank/behaviour.js';
import { buildExamples, LIST_DEFAULTS } from '../src/rank/examples.js';
import { gbdtForward, trainGbdt, GBDT_DEFAULTS } from '../src/rank/gbdt.js';
import { rankOrder } from '../src/rank/heuristic.js';
import { averageMlps, MLP_DEFAULTS, mlpForward, trainMlp, type MlpOptions, type MlpParams, type TrainingSet } from '../src/rank/mlp.js';
import { COL, FEATURE_COUNT } from '../src/rank/schema.js';
import { TRAIN_DEFAULTS } from '../src/rank/train.js';
import { isValidationUser, scoreMetrics } from '../src/rank/validation.js';
import { MemoryStore } from '../src/store/memory.js';
import type { Snapshot } from '../src/store/snapshot.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : def;
};

interface Variant {
  kind: 'mlp' | 'gbdt' | 'ens' | 'avg';
  mlp?: Partial<MlpOptions>;
  /** kind 'avg': the mean of these variants' logits (plus the GBDT's logit when `gbdt`). */
  of?: string[];
  gbdt?: boolean;
  /** The GBDT logit's weight in the blend (default 1). */
  gbdtWeight?: number;
}
const VARIANTS: Record<string, Variant> = {
  base: { kind: 'mlp' },
  gbdt: { kind: 'gbdt' },
  ens: { kind: 'ens' },
  ep1: { kind: 'mlp', mlp: { epochs: 1 } },
  l2: { kind: 'mlp', mlp: { l2: 1e-4 } },
  small: { kind: 'mlp', mlp: { hidden: [32, 16] } },
  lr5: { kind: 'mlp', mlp: { lr: 5e-4 } },
  lr5e6: { kind: 'mlp', mlp: { lr: 5e-4, epochs: 6 } },
  lr5s2: { kind: 'mlp', mlp: { lr: 5e-4, seed: 2 } },
  lr5s3: { kind: 'mlp', mlp: { lr: 5e-4, seed: 3 } },
  lr1: { kind: 'mlp', mlp: { lr: 1e-3 } },
  b1k: { kind: 'mlp', mlp: { batch: 1024 } },
  seed2: { kind: 'mlp', mlp: { seed: 2 } },
  seed3: { kind: 'mlp', mlp: { seed: 3 } },
  wide: { kind: 'mlp', mlp: { hidden: [128, 64] } },
  ep6: { kind: 'mlp', mlp: { epochs: 6 } },
  seed4: { kind: 'mlp', mlp: { seed: 4 } },
  seed5: { kind: 'mlp', mlp: { seed: 5 } },
  ema: { kind: 'mlp', mlp: { ema: 0.999 } },
  ema2: { kind: 'mlp', mlp: { ema: 0.999, seed: 2 } },
  ema3: { kind: 'mlp', mlp: { ema: 0.999, seed: 3 } },
  ema4: { kind: 'mlp', mlp: { ema: 0.999, seed: 4 } },
  ema5: { kind: 'mlp', mlp: { ema: 0.999, seed: 5 } },
  avg2: { kind: 'avg', of: ['base', 'seed2'] },
  avg3: { kind: 'avg', of: ['base', 'seed2', 'seed3'] },
  avg5: { kind: 'avg', of: ['base', 'seed2', 'seed3', 'seed4', 'seed5'] },
  avg3g: { kind: 'avg', of: ['base', 'seed2', 'seed3'], gbdt: true },
  ema3avg: { kind: 'avg', of: ['ema', 'ema2', 'ema3'] },
  ema3avgg: { kind: 'avg', of: ['ema', 'ema2', 'ema3'], gbdt: true },
  ema3avgh: { kind: 'avg', of: ['ema', 'ema2', 'ema3'], gbdt: true, gbdtWeight: 0.5 },
  ema5avgg: { kind: 'avg', of: ['ema', 'ema2', 'ema3', 'ema4', 'ema5'], gbdt: true },
  merged3: { kind: 'avg', of: ['base', 'seed2', 'seed3'] }, // as avg3, but through averageMlps (one MLP)
};

/** Extra candidate columns for screening (appended after the schema's), from the graph the rows use. */
type Extra = (g: Graph, u: number, cand: Int32Array, lo: number, hi: number, out: Float32Array[]) => void;
let scratch: { n: number; a: Float64Array; b: Float64Array; c: Float64Array; mark: Uint8Array; mark2: Uint8Array; touched: Int32Array } | null = null;
function sc(n: number): NonNullable<typeof scratch> {
  if (!scratch || scratch.n !== n) scratch = { n, a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n), mark: new Uint8Array(n), mark2: new Uint8Array(n), touched: new Int32Array(n) };
  return scratch;
}
const deg = (g: Graph, x: number): number => g.offsets[x + 1] - g.offsets[x];
const EXTRAS: Record<string, { cols: number; fn: Extra }> = {
  // 4-step walk weight Σ 1/(d_a d_b d_c) over walks u-a-b-c-v, and the walk count (log1p).
  walk4: {
    cols: 2,
    fn(g, u, cand, lo, hi, out) {
      const { offsets: o, targets: t } = g;
      const s = sc(g.n);
      const w1 = s.a.fill(0);
      const w2 = s.b.fill(0);
      const c1 = new Float64Array(g.n);
      const c2 = new Float64Array(g.n);
      for (let i = o[u]; i < o[u + 1]; i++) { w1[t[i]] += 1 / deg(g, t[i]); c1[t[i]] += 1; }
      // two more steps: w2 = walk weights to 2 hops, w3 (in s.c) to 3 hops
      for (let a = 0; a < g.n; a++) if (c1[a]) for (let j = o[a]; j < o[a + 1]; j++) { w2[t[j]] += w1[a] / deg(g, t[j]); c2[t[j]] += c1[a]; }
      const w3 = s.c.fill(0);
      const c3 = new Float64Array(g.n);
      for (let b = 0; b < g.n; b++) if (c2[b]) for (let j = o[b]; j < o[b + 1]; j++) { w3[t[j]] += w2[b] / deg(g, t[j]); c3[t[j]] += c2[b]; }
      for (let p = lo; p < hi; p++) {
        const v = cand[p];
        let w = 0;
        let c = 0;
        for (let j = o[v]; j < o[v + 1]; j++) { w += w3[t[j]]; c += c3[t[j]]; }
        out[0][p] = w;
        out[1][p] = Math.log1p(c);
      }
    },
  },
  walk4w: { cols: 1, fn(g, u, cand, lo, hi, out) { const two = [new Float32Array(cand.length), new Float32Array(cand.length)]; EXTRAS.walk4.fn(g, u, cand, lo, hi, two); for (let i = lo; i < hi; i++) out[0][i] = two[0][i]; } },
  walk4c: { cols: 1, fn(g, u, cand, lo, hi, out) { const two = [new Float32Array(cand.length), new Float32Array(cand.length)]; EXTRAS.walk4.fn(g, u, cand, lo, hi, two); for (let i = lo; i < hi; i++) out[0][i] = two[1][i]; } },
  walk5w: {
    cols: 1,
    fn(g, u, cand, lo, hi, out) {
      const { offsets: o, targets: t } = g;
      let w = new Float64Array(g.n);
      for (let i = o[u]; i < o[u + 1]; i++) w[t[i]] += 1 / deg(g, t[i]);
      for (let step = 0; step < 3; step++) {
        const nx = new Float64Array(g.n);
        for (let a = 0; a < g.n; a++) if (w[a]) for (let j = o[a]; j < o[a + 1]; j++) nx[t[j]] += w[a] / deg(g, t[j]);
        w = nx;
      }
      for (let p = lo; p < hi; p++) {
        const v = cand[p];
        let x = 0;
        for (let j = o[v]; j < o[v + 1]; j++) x += w[t[j]];
        out[0][p] = x;
      }
    },
  },
  walk4p: { cols: 2, fn(g, u, cand, lo, hi, out) { const two = [new Float32Array(cand.length), new Float32Array(cand.length)]; EXTRAS.walk4.fn(g, u, cand, lo, hi, two); for (let i = lo; i < hi; i++) { out[0][i] = two[0][i] / deg(g, u); out[1][i] = two[0][i] / deg(g, cand[i]); } } },
  // The candidate's side of the pair: aa over the best and the 20th-best AA in v's own list, u's rank there.
  recip: {
    cols: 3,
    fn(g, u, cand, lo, hi, out) {
      const st = listStats(g);
      for (let i = lo; i < hi; i++) {
        const v = cand[i];
        const a = aaOf(g, u, v);
        out[0][i] = st.top1[v] > 0 ? a / st.top1[v] : 0;
        out[1][i] = st.top20[v] > 0 ? a / st.top20[v] : 0;
        let r = 200;
        for (let k = st.off[v]; k < st.off[v + 1]; k++) if (st.cand[k] === u) { r = k - st.off[v]; break; }
        out[2][i] = Math.log1p(r);
      }
    },
  },
  // Common neighbours weighted by other powers of their degree: Σ d^-0.5, Σ d^-2, and 1 / the smallest degree.
  cnpow: {
    cols: 3,
    fn(g, u, cand, lo, hi, out) {
      const { offsets: o, targets: t } = g;
      const mark = sc(g.n).mark.fill(0);
      for (let i = o[u]; i < o[u + 1]; i++) mark[t[i]] = 1;
      for (let p = lo; p < hi; p++) {
        const v = cand[p];
        let a = 0, b = 0, m = 0;
        for (let j = o[v]; j < o[v + 1]; j++) {
          const x = t[j];
          if (!mark[x]) continue;
          const d = deg(g, x);
          a += 1 / Math.sqrt(d);
          b += 1 / (d * d);
          m = Math.max(m, 1 / d);
        }
        out[0][p] = a;
        out[1][p] = b;
        out[2][p] = m;
      }
    },
  },
  // How central the common neighbours are: Σ_{a∈CN} |N(u)∩N(a)| / d_u, and the same from v's side / d_v.
  cntri: {
    cols: 2,
    fn(g, u, cand, lo, hi, out) {
      const { offsets: o, targets: t } = g;
      const s = sc(g.n);
      const tri = s.a.fill(0);
      const mark = s.mark.fill(0);
      for (let i = o[u]; i < o[u + 1]; i++) mark[t[i]] = 1;
      for (let i = o[u]; i < o[u + 1]; i++) {
        const a = t[i];
        let k = 0;
        for (let j = o[a]; j < o[a + 1]; j++) k += mark[t[j]];
        tri[a] = k;
      }
      const du = deg(g, u);
      const mv = s.mark2;
      for (let p = lo; p < hi; p++) {
        const v = cand[p];
        let su = 0;
        let sv = 0;
        for (let j = o[v]; j < o[v + 1]; j++) mv[t[j]] = 1;
        for (let j = o[v]; j < o[v + 1]; j++) {
          const a = t[j];
          if (!mark[a]) continue;
          su += tri[a];
          let k = 0;
          for (let q = o[a]; q < o[a + 1]; q++) k += mv[t[q]];
          sv += k;
        }
        for (let j = o[v]; j < o[v + 1]; j++) mv[t[j]] = 0;
        out[0][p] = du ? su / du : 0;
        out[1][p] = deg(g, v) ? sv / deg(g, v) : 0;
      }
    },
  },
  // Cannistraci-Hebb local-community columns over the common neighbours z of (u, v): i_z = z's links to other common
  // neighbours, e_z = its links outside CN ∪ {u, v}. CH2-L2 = Σ (1 + i_z) / (1 + e_z); LCL = Σ i_z / 2 (links among the
  // common neighbours); RA-CH = Σ (1 + i_z) / d_z.
  ch: {
    cols: 3,
    fn(g, u, cand, lo, hi, out) {
      const { offsets: o, targets: t } = g;
      const s = sc(g.n);
      const mark = s.mark.fill(0);
      const inCn = s.mark2;
      for (let i = o[u]; i < o[u + 1]; i++) mark[t[i]] = 1;
      const cn: number[] = [];
      for (let p = lo; p < hi; p++) {
        const v = cand[p];
        cn.length = 0;
        for (let j = o[v]; j < o[v + 1]; j++) if (mark[t[j]]) { cn.push(t[j]); inCn[t[j]] = 1; }
        let ch2 = 0, lcl = 0, rach = 0;
        for (const z of cn) {
          let iz = 0;
          for (let q = o[z]; q < o[z + 1]; q++) iz += inCn[t[q]];
          const dz = deg(g, z);
          const ez = Math.max(0, dz - iz - 2);
          ch2 += (1 + iz) / (1 + ez);
          lcl += iz;
          rach += (1 + iz) / dz;
        }
        for (const z of cn) inCn[z] = 0;
        out[0][p] = ch2;
        out[1][p] = Math.log1p(lcl / 2);
        out[2][p] = rach;
      }
    },
  },
  ch2: { cols: 1, fn(g, u, cand, lo, hi, out) { const three = [new Float32Array(cand.length), new Float32Array(cand.length), new Float32Array(cand.length)]; EXTRAS.ch.fn(g, u, cand, lo, hi, three); for (let i = lo; i < hi; i++) out[0][i] = three[0][i]; } },
  // Embedding similarity: cosine of the pipeline's GraphSAGE vectors (EMBED_DEFAULTS), trained on the graph the rows
  // use (the examples' snapshot lacks the held-back positives, so no leak; the queries' graph is the training graph).
  emb: {
    cols: 1,
    fn(g, u, cand, lo, hi, out) {
      const { vectors: x, dim } = embeddingsOf(g);
      for (let p = lo; p < hi; p++) {
        let d = 0;
        const a = u * dim, b = cand[p] * dim;
        for (let k = 0; k < dim; k++) d += x[a + k] * x[b + k];
        out[0][p] = d;
      }
    },
  },
  // Personalised PageRank from u (α = 0.15, forward push to r ≤ 1e-4 · d), of v; and from v of u (push per candidate).
  ppr: {
    cols: 1,
    fn(g, u, cand, lo, hi, out) {
      const p = pushPpr(g, u, 0.15, 1e-4);
      for (let i = lo; i < hi; i++) out[0][i] = Math.log(1e-7 + p[cand[i]]) ;
    },
  },
  ppr2: {
    cols: 2,
    fn(g, u, cand, lo, hi, out) {
      const p = pushPpr(g, u, 0.15, 1e-4);
      for (let i = lo; i < hi; i++) {
        out[0][i] = Math.log(1e-7 + p[cand[i]]);
        out[1][i] = Math.log(1e-7 + (p[cand[i]] * deg(g, u)) / Math.max(1, deg(g, cand[i])));
      }
    },
  },
};

let labProfiles: Parameters<typeof embedUsers>[1] | null = null;
const embCache = new WeakMap<Graph, { vectors: Float32Array; dim: number }>();
function embeddingsOf(g: Graph): { vectors: Float32Array; dim: number } {
  const hit = embCache.get(g);
  if (hit) return hit;
  const t0 = performance.now();
  const r = embedUsers(g, labProfiles!, { train: EMBED_DEFAULTS.train, inferFanouts: EMBED_DEFAULTS.inferFanouts });
  const e = { vectors: r.vectors, dim: r.vectors.length / g.n };
  console.error(`  embedded ${g.n} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  embCache.set(g, e);
  return e;
}
const statsCache = new WeakMap<Graph, { top1: Float32Array; top20: Float32Array; off: Int32Array; cand: Int32Array }>();
function listStats(g: Graph): { top1: Float32Array; top20: Float32Array; off: Int32Array; cand: Int32Array } {
  const hit = statsCache.get(g);
  if (hit) return hit;
  const gen = new TwoHopGenerator(g, { ...LIST_DEFAULTS, topN: CANDIDATES_PER_USER });
  const top1 = new Float32Array(g.n);
  const top20 = new Float32Array(g.n);
  const off = new Int32Array(g.n + 1);
  const all: number[] = [];
  for (let v = 0; v < g.n; v++) {
    const c = gen.run(v);
    top1[v] = c > 0 ? gen.score[0] : 0;
    top20[v] = c > 0 ? gen.score[Math.min(19, c - 1)] : 0;
    for (let k = 0; k < c; k++) all.push(gen.cand[k]);
    off[v + 1] = all.length;
  }
  const st = { top1, top20, off, cand: Int32Array.from(all) };
  statsCache.set(g, st);
  return st;
}
function aaOf(g: Graph, u: number, v: number): number {
  const { offsets: o, targets: t } = g;
  let i = o[u];
  let j = o[v];
  let s = 0;
  while (i < o[u + 1] && j < o[v + 1]) {
    if (t[i] < t[j]) i++;
    else if (t[i] > t[j]) j++;
    else { s += 1 / Math.log(Math.max(2, deg(g, t[i]))); i++; j++; }
  }
  return s;
}

/** Forward-push personalised PageRank (Andersen, Chung, Lang): estimates with residual ≤ eps · degree. */
function pushPpr(g: Graph, s: number, alpha: number, eps: number): Float64Array {
  const { offsets: o, targets: t } = g;
  const p = new Float64Array(g.n);
  const r = new Float64Array(g.n);
  const queue: number[] = [s];
  const inQ = new Uint8Array(g.n);
  r[s] = 1;
  inQ[s] = 1;
  for (let h = 0; h < queue.length; h++) {
    const x = queue[h];
    inQ[x] = 0;
    const d = o[x + 1] - o[x];
    if (d === 0 || r[x] <= eps * d) continue;
    const rx = r[x];
    p[x] += alpha * rx;
    r[x] = 0;
    const share = ((1 - alpha) * rx) / d;
    for (let j = o[x]; j < o[x + 1]; j++) {
      const y = t[j];
      r[y] += share;
      if (!inQ[y] && r[y] > eps * (o[y + 1] - o[y])) {
        inQ[y] = 1;
        queue.push(y);
      }
    }
  }
  return p;
}
const extraNames = flag('extras', '').split(',').filter(Boolean);

const logCols = flag('log', '').split(',').filter(Boolean).map((c) => COL[c]);
const logExtras = flag('log-extras', '0') === '1';
function withExtras(X: Float32Array, rows: number, g: Graph, user: Int32Array, cand: Int32Array): { X: Float32Array; F: number } {
  for (const c of logCols) for (let r = 0; r < rows; r++) X[r * FEATURE_COUNT + c] = Math.log1p(Math.max(0, X[r * FEATURE_COUNT + c]));
  const cols = extraNames.reduce((s, e) => s + EXTRAS[e].cols, 0);
  if (cols === 0) return { X, F: FEATURE_COUNT };
  const F = FEATURE_COUNT + cols;
  const out = new Float32Array(rows * F);
  const ex = Array.from({ length: cols }, () => new Float32Array(rows));
  for (let lo = 0; lo < rows; ) {
    let hi = lo;
    while (hi < rows && user[hi] === user[lo]) hi++;
    let c = 0;
    for (const e of extraNames) {
      EXTRAS[e].fn(g, user[lo], cand, lo, hi, ex.slice(c, c + EXTRAS[e].cols));
      c += EXTRAS[e].cols;
    }
    lo = hi;
  }
  for (let r = 0; r < rows; r++) {
    out.set(X.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), r * F);
    for (let c = 0; c < cols; c++) out[r * F + FEATURE_COUNT + c] = logExtras ? Math.log1p(ex[c][r]) : ex[c][r];
  }
  return { X: out, F };
}

async function lab(dir: string, variants: string[]): Promise<Record<string, number>> {
  const world = await loadDataset(join(dir, 'train.csv'));
  labProfiles = world.profiles;
  const n = world.ids.size;
  const g = buildGraph(n, world.connections);
  let t0 = performance.now();
  const rounds = Number(flag('rounds', '1'));
  const parts: { e: Awaited<ReturnType<typeof buildExamples>>; x: { X: Float32Array; F: number } }[] = [];
  for (let k = 0; k < rounds; k++) {
    const e = await buildExamples({ ids: world.ids, profiles: world.profiles, graph: g, events: world.events }, { ...RANK_DEFAULTS.examples, seed: RANK_DEFAULTS.examples.seed + k, maxUsers: Number(flag('max-users', String(RANK_DEFAULTS.examples.maxUsers))) });
    const x = withExtras(e.X, e.rows, e.graph, e.user, e.cand);
    parts.push({ e, x });
  }
  const ex = parts[0].e;
  const F = parts[0].x.F;
  const cat = <T extends Float32Array | Int32Array>(get: (p: (typeof parts)[number]) => T, make: (n: number) => T): T => {
    const out = make(parts.reduce((s, p) => s + get(p).length, 0));
    let o = 0;
    for (const p of parts) { out.set(get(p) as never, o); o += get(p).length; }
    return out;
  };
  const exAll: TrainingSet & { user: Int32Array; cand: Int32Array } = {
    X: cat((p) => p.x.X, (n) => new Float32Array(n)),
    rows: parts.reduce((s, p) => s + p.e.rows, 0),
    features: F,
    y: cat((p) => p.e.y, (n) => new Float32Array(n)),
    w: cat((p) => p.e.w, (n) => new Float32Array(n)),
    user: cat((p) => p.e.user, (n) => new Int32Array(n)),
    cand: cat((p) => p.e.cand, (n) => new Int32Array(n)),
  };
  const exX = { X: exAll.X };
  const opts = TRAIN_DEFAULTS;
  let train = examplesWhereF(exAll, F, (u, v) => !isValidationUser(u, opts) && !isValidationUser(v, opts));
  const topk = Number(flag('topk', '0'));
  const deepW = Number(flag('deep-weight', '1'));
  if (topk > 0) {
    // Rows at list position ≥ topk (the lists are best-first by AA): dropped (deep-weight 0) or down-weighted.
    const keep: number[] = [];
    for (let r = 0, pos = 0; r < train.rows; r++) {
      pos = r > 0 && train.user[r] === train.user[r - 1] ? pos + 1 : 0;
      if (pos < topk) keep.push(r);
      else if (deepW > 0) { keep.push(r); train.w[r] *= train.y[r] > 0 ? 1 : deepW; }
    }
    const X = new Float32Array(keep.length * F);
    keep.forEach((r, i) => X.set(train.X.subarray(r * F, (r + 1) * F), i * F));
    train = { X, rows: keep.length, features: F, y: Float32Array.from(keep, (r) => train.y[r]), w: Float32Array.from(keep, (r) => train.w[r]), user: Int32Array.from(keep, (r) => train.user[r]) };
    console.error(`  trained on list positions < ${topk} (deeper weight ${deepW}): ${train.rows} rows`);
  }
  console.error(`${dir} [${extraNames.join(",")}] x${rounds}: ${exAll.rows} example rows, ${train.rows} training, ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Query users' served lists on the full training graph.
  const dense = (s: string): number => world.ids.lookup(s);
  const held = new Map<number, Set<number>>();
  for (const line of readFileSync(join(dir, 'hidden.csv'), 'utf8').split(/\r?\n/).slice(1).filter(Boolean)) {
    const [a, b] = line.split(',').map(dense);
    for (const [x, y] of [[a, b], [b, a]]) (held.get(x) ?? held.set(x, new Set()).get(x)!).add(y);
  }
  const queries = readFileSync(join(dir, 'users.txt'), 'utf8').split(/\r?\n/).filter(Boolean).map(dense);
  const gen = new TwoHopGenerator(g, { ...LIST_DEFAULTS, topN: CANDIDATES_PER_USER, exclude: exclusionMask(world.profiles.flags) });
  const isQ = new Uint8Array(n);
  for (const u of queries) isQ[u] = 1;
  const offsets = new Int32Array(n + 1);
  const cand: number[] = [];
  for (let u = 0; u < n; u++) {
    if (isQ[u]) {
      const c = gen.run(u);
      for (let i = 0; i < c; i++) cand.push(gen.cand[i]);
    }
    offsets[u + 1] = cand.length;
  }
  const candArr = Int32Array.from(cand);
  const features = pairFeatureColumns(g, new BehaviourIndex(n, 0, 0), Int32Array.from({ length: n }, (_, u) => u), offsets, candArr);
  const empty = { offsets: new Int32Array(n + 1), targets: new Int32Array(0) };
  const snap: Snapshot = { version: 'lab', ids: world.ids, profiles: world.profiles, graph: g, blocked: empty, dismissed: empty, candidates: { offsets, cand: candArr, score: features.aa, features }, lists: null };
  const store = new MemoryStore(snap);
  const qX0 = new Float32Array(candArr.length * FEATURE_COUNT);
  const qUser = new Int32Array(candArr.length);
  for (const u of queries) {
    const inp = await store.fetchRankingInputs(u);
    qX0.set(assembleFeatures(inp), offsets[u] * FEATURE_COUNT);
    qUser.fill(u, offsets[u], offsets[u + 1]);
  }
  const qX = withExtras(qX0, candArr.length, g, qUser, candArr).X;
  if (flag('shift', '0') === '1') {
    const med = (X: Float32Array, rows: number, c: number): number => {
      const v = Float32Array.from({ length: rows }, (_, r) => X[r * F + c]).sort();
      return v[Math.floor(rows / 2)];
    };
    const mean = (X: Float32Array, rows: number, c: number): number => {
      let s = 0;
      for (let r = 0; r < rows; r++) s += X[r * F + c];
      return s / rows;
    };
    for (const [name, c] of [['cn', COL.cn], ['aa', COL.aa], ['ra3', COL.ra3], ['p3', COL.p3], ['user_degree', COL.user_degree], ['cand_degree', COL.cand_degree], ...extraNames.map((e, i) => [e, FEATURE_COUNT + i] as [string, number])] as [string, number][]) {
      console.error(`  shift ${name}: train median ${med(exX.X, exAll.rows, c).toPrecision(4)} mean ${mean(exX.X, exAll.rows, c).toPrecision(4)}; query median ${med(qX, candArr.length, c).toPrecision(4)} mean ${mean(qX, candArr.length, c).toPrecision(4)}`);
    }
  }
  const recall = (score: Float32Array): number => {
    let sum = 0;
    for (const u of queries) {
      const lo = offsets[u];
      const hi = offsets[u + 1];
      const order = rankOrder(score.subarray(lo, hi), candArr.subarray(lo, hi));
      const rel = held.get(u)!;
      let hits = 0;
      for (let k = 0; k < Math.min(20, order.length); k++) if (rel.has(candArr[lo + order[k]])) hits++;
      sum += hits / rel.size;
    }
    return sum / queries.length;
  };
  const aa = recall(Float32Array.from({ length: candArr.length }, (_, i) => qX0[i * FEATURE_COUNT + COL.aa]));
  const out: Record<string, number> = { aa: round(aa) };
  {
    let sum = 0;
    for (const u of queries) {
      const rel = held.get(u)!;
      let hits = 0;
      for (let r = offsets[u]; r < offsets[u + 1]; r++) if (rel.has(candArr[r])) hits++;
      sum += hits / rel.size;
    }
    out.ceiling = round(sum / queries.length);
    console.error(`  the lists hold ${out.ceiling} of the hidden edges (recall@${CANDIDATES_PER_USER})`);
  }
  // The pipeline's validation users (trainRanker's): their served lists in the training snapshot, for the
  // validation Recall@20 a model selection would read (printed beside the protocol's ratio).
  const vRows = Int32Array.from({ length: ex.rows }, (_, r) => r).filter((r) => isValidationUser(ex.user[r], opts));
  const vX = new Float32Array(vRows.length * F);
  vRows.forEach((r, i) => vX.set(parts[0].x.X.subarray(r * F, (r + 1) * F), i * F));
  const vY = Float32Array.from(vRows, (r) => ex.y[r]);
  const vUser = Int32Array.from(vRows, (r) => ex.user[r]);
  const vCand = Int32Array.from(vRows, (r) => ex.cand[r]);
  const vOutside = new Map([...ex.outside].filter(([u]) => isValidationUser(u, opts)));
  const vRecall = (s: Float32Array): number => scoreMetrics(s, vY, vUser, false, vOutside, vCand).recall20;
  const vAa = vRecall(Float32Array.from(vRows, (r) => ex.X[r * FEATURE_COUNT + COL.aa]));
  out.validAa = vAa;
  // Position of each row in its user's list (the lists are in AA order, best first): for rank blends.
  const position = (user: Int32Array): Float32Array => {
    const pos = new Float32Array(user.length);
    for (let r = 1; r < user.length; r++) pos[r] = user[r] === user[r - 1] ? pos[r - 1] + 1 : 0;
    return pos;
  };
  const qPos = position(qUser);
  const vPos = position(vUser);
  /** Rank blend with AA: −(model rank + λ · AA rank) within each user's list. */
  const blend = (s: Float32Array, user: Int32Array, cand: Int32Array, pos: Float32Array, lambda: number): Float32Array => {
    const outS = new Float32Array(s.length);
    for (let lo = 0; lo < s.length; ) {
      let hi = lo;
      while (hi < s.length && user[hi] === user[lo]) hi++;
      const order = rankOrder(s.subarray(lo, hi), cand.subarray(lo, hi));
      for (let k = 0; k < order.length; k++) outS[lo + order[k]] = -(k + lambda * pos[lo + order[k]]);
      lo = hi;
    }
    return outS;
  };
  type Scores = { q: Float32Array; v: Float32Array };
  const cache = new Map<string, Scores>();
  const models = new Map<string, MlpParams>();
  const both = (f: (X: Float32Array, rows: number) => Float32Array): Scores => ({ q: logit(f(qX, candArr.length)), v: logit(f(vX, vRows.length)) });
  const score = (name: string): Scores => {
    const hit = cache.get(name);
    if (hit) return hit;
    const at = name.indexOf('@rb');
    if (at > 0) {
      const inner = score(name.slice(0, at));
      const lambda = Number(name.slice(at + 3));
      const r = { q: blend(inner.q, qUser, candArr, qPos, lambda), v: blend(inner.v, vUser, vCand, vPos, lambda) };
      cache.set(name, r);
      return r;
    }
    const v = VARIANTS[name];
    if (!v) throw new Error(`unknown variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
    t0 = performance.now();
    let s: Scores;
    if (v.kind === 'mlp') {
      const m = trainMlp(train, { ...MLP_DEFAULTS, seed: 1, ...v.mlp });
      models.set(name, m);
      s = both((X, rows) => mlpForward(m, X, rows));
    } else if (v.kind === 'gbdt') {
      const m = trainGbdt(train, { ...GBDT_DEFAULTS, seed: 1 });
      s = both((X, rows) => gbdtForward(m, X, rows));
    } else if (v.kind === 'avg' && name.startsWith('merged')) {
      for (const m of v.of!) score(m);
      const m = averageMlps(v.of!.map((k) => models.get(k)!));
      s = both((X, rows) => mlpForward(m, X, rows));
    } else {
      const members = v.kind === 'ens' ? ['base', 'gbdt'] : [...v.of!, ...(v.gbdt ? ['gbdt'] : [])];
      // The mean of the first k members' logits, plus the others' (the GBDT's) as they are.
      const ms = members.map(score);
      const k = v.kind === 'ens' ? 1 : v.of!.length;
      const combine = (get: (p: Scores) => Float32Array): Float32Array => {
        const o = new Float32Array(get(ms[0]).length);
        for (const p of ms.slice(0, k)) { const a = get(p); for (let i = 0; i < o.length; i++) o[i] += a[i] / k; }
        const wg = v.gbdtWeight ?? 1;
        for (const p of ms.slice(k)) { const a = get(p); for (let i = 0; i < o.length; i++) o[i] += wg * a[i]; }
        return o;
      };
      s = { q: combine((p) => p.q), v: combine((p) => p.v) };
    }
    console.error(`  ${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    cache.set(name, s);
    return s;
  };
  for (const name of variants) {
    const scores = score(name);
    const r = recall(scores.q);
    const vr = vRecall(scores.v);
    out[name] = round(r / aa, 4);
    out[`valid:${name}`] = round(vr / vAa, 4);
    console.error(`  ${name}: R@20 ${r.toFixed(4)} vs AA ${aa.toFixed(4)} = ${(r / aa).toFixed(4)}; validation ${vr.toFixed(4)} vs AA ${vAa.toFixed(4)} = ${(vr / vAa).toFixed(4)}`);
  }
  return out;
}

/** As train.ts's examplesWhere (same rows, same order), for any width, keeping each row's user. */
function examplesWhereF(ex: TrainingSet & { user: Int32Array; cand: Int32Array }, F: number, keep: (u: number, v: number) => boolean): TrainingSet & { user: Int32Array } {
  const idx: number[] = [];
  for (let r = 0; r < ex.rows; r++) if (keep(ex.user[r], ex.cand[r])) idx.push(r);
  const X = new Float32Array(idx.length * F);
  idx.forEach((r, i) => X.set(ex.X.subarray(r * F, (r + 1) * F), i * F));
  return { X, rows: idx.length, features: F, y: Float32Array.from(idx, (r) => ex.y[r]), w: Float32Array.from(idx, (r) => ex.w[r]), user: Int32Array.from(idx, (r) => ex.user[r]) };
}

function logit(p: Float32Array): Float32Array {
  return Float32Array.from(p, (x) => Math.log(Math.max(x, 1e-12) / Math.max(1 - x, 1e-12)));
}

function round(x: number, d = 4): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

const variants = flag('variants', 'base').split(',');
const results: Record<string, Record<string, number>> = {};
for (const dir of flag('split', '').split(',').filter(Boolean)) results[dir] = await lab(dir, variants);
console.log(JSON.stringify(results, null, 1));
