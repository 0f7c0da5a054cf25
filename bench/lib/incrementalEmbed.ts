/**
 * The embedding side of bench/incremental.ts: how the incremental bundle's vectors and index compare with a
 * full rerun's, and what the alternative to a frozen encoder — fine-tuning it and re-embedding only the
 * affected users next to the copied vectors of the old model — would do to the space.
 */
import { join } from 'node:path';
import { openBundleIndex } from '../../src/ann/open.js';
import { bruteForceSearch } from '../../src/ann/usearch.js';
import { readArrays } from '../../src/bundle/binary.js';
import { GRAPH_COLUMNS } from '../../src/bundle/artifacts.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { readProfiles } from '../../src/bundle/read.js';
import { Rng } from '../../src/core/rng.js';
import { affectedEmbeddings } from '../../src/embed/affected.js';
import { EMBED_ARTIFACTS, loadBundleModel } from '../../src/embed/checkpoint.js';
import { embedUsers, inputsFor } from '../../src/embed/embedUsers.js';
import type { ProfileSpec } from '../../src/embed/features.js';
import { Graph } from '../../src/graph/csr.js';
import { EMBED_DEFAULTS } from '../../src/pipeline/stages/embed.js';

const K = 20;
const D = (v: Float32Array, n: number): number => v.length / n;

async function vectorsOf(dir: string): Promise<Float32Array> {
  const v = (await readArrays(join(dir, EMBED_ARTIFACTS.vectors), { vectors: 'float32' })).vectors;
  return v.byteOffset === 0 ? v : v.slice(); // usearch's brute force wants arrays that start their buffer
}

async function graphOf(dir: string): Promise<Graph> {
  const g = await readArrays(join(dir, 'graph/graph.bin'), GRAPH_COLUMNS);
  return new Graph(g.offsets.length - 1, g.offsets, g.targets, g.times);
}

/** Exact top-K neighbours (by dot) of the sampled users in `v`, themselves left out. */
function exactTop(v: Float32Array, dim: number, users: Int32Array): Int32Array[] {
  const q = new Float32Array(users.length * dim);
  users.forEach((u, i) => q.set(v.subarray(u * dim, (u + 1) * dim), i * dim));
  const rows = bruteForceSearch(v, q, dim, K + 1, 'cos');
  return Array.from(users, (u, i) => rows.subarray(i * (K + 1), (i + 1) * (K + 1)).filter((x) => x !== u).slice(0, K));
}

/** Mean share of b's lists found in a's. */
function overlap(a: Int32Array[], b: Int32Array[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const want = new Set(b[i]);
    s += a[i].filter((x) => want.has(x)).length / Math.max(1, want.size);
  }
  return +(s / Math.max(1, a.length)).toFixed(4);
}

function shuffle(a: number[], rng: Rng): number[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The served index's top-K for the sampled users (by their own vector, themselves excluded). */
function servedTop(dir: string, v: Float32Array, dim: number, users: Int32Array): Int32Array[] {
  const ix = openBundleIndex(dir);
  try {
    return Array.from(users, (u) => ix.search(v.subarray(u * dim, (u + 1) * dim), { k: K, exclude: [u] }).ids);
  } finally {
    ix.close();
  }
}

export interface EmbedComparison {
  sampled: { affected: number; others: number };
  /** The incremental bundle's served ANN top-20 vs exact top-20 over its own vectors. */
  indexRecallAt20: { affected: number; others: number };
  /** The incremental bundle's served ANN top-20 vs the full rerun's (retrained encoder, rebuilt index). */
  vsFullRerunAt20: { affected: number; others: number };
  /** The alternative: fine-tune from the weekly checkpoint, re-embed the affected users, copy the rest. */
  fineTune: null | {
    seconds: number;
    trainEdges: number;
    /** Exact top-20 of the mixed vectors vs of the fine-tuned model's full re-embed. */
    mixedVsFineTunedAt20: { affected: number; others: number };
    /** Exact top-20 of the frozen encoder's vectors (the incremental bundle's) vs the fine-tuned re-embed. */
    frozenVsFineTunedAt20: { affected: number; others: number };
    /** Mean cosine between an unaffected user's copied vector and the fine-tuned model's vector for it. */
    meanCosCopiedToFineTuned: number;
  };
}

export async function compareEmbeddings(weeklyDir: string, incDir: string, fullDir: string, opts: { fineTune: boolean; sample: number; seed: number }): Promise<EmbedComparison> {
  const [vi, vf] = [await vectorsOf(incDir), await vectorsOf(fullDir)];
  const g = await graphOf(incDir);
  const n = g.n;
  const dim = D(vi, n);
  const weekly = await openBundle(weeklyDir);
  const model = (await loadBundleModel(weekly))!;
  const spec = model.config.inputs as ProfileSpec;
  const g0 = await graphOf(weeklyDir);
  const profiles = await readProfiles(await openBundle(incDir), n);
  const i1 = inputsFor(profiles, n, spec).inputs;
  const i0 = inputsFor(await readProfiles(weekly, g0.n), g0.n, spec).inputs;
  const aff = affectedEmbeddings(g0, i0, g, i1, EMBED_DEFAULTS.inferFanouts, 1).marked;
  const rng = new Rng(opts.seed);
  const pick = (want: boolean): Int32Array => {
    const pool: number[] = [];
    for (let u = 0; u < n; u++) if ((aff[u] === 1) === want) pool.push(u);
    return Int32Array.from(shuffle(pool, rng).slice(0, opts.sample));
  };
  const groups = { affected: pick(true), others: pick(false) };
  const both = <T>(f: (users: Int32Array) => T): { affected: T; others: T } => ({ affected: f(groups.affected), others: f(groups.others) });
  const exactInc = both((us) => exactTop(vi, dim, us));
  const servedInc = both((us) => servedTop(incDir, vi, dim, us));
  const servedFull = both((us) => servedTop(fullDir, vf, dim, us));
  const res: EmbedComparison = {
    sampled: { affected: groups.affected.length, others: groups.others.length },
    indexRecallAt20: { affected: overlap(servedInc.affected, exactInc.affected), others: overlap(servedInc.others, exactInc.others) },
    vsFullRerunAt20: { affected: overlap(servedInc.affected, servedFull.affected), others: overlap(servedInc.others, servedFull.others) },
    fineTune: null,
  };
  if (!opts.fineTune) return res;
  const t0 = performance.now();
  const ft = embedUsers(g, profiles, { train: EMBED_DEFAULTS.train, init: model, fineTuneEpochs: EMBED_DEFAULTS.fineTuneEpochs, fineTuneLr: EMBED_DEFAULTS.fineTuneLr, inferFanouts: EMBED_DEFAULTS.inferFanouts });
  const seconds = (performance.now() - t0) / 1000;
  const vw = await vectorsOf(weeklyDir);
  const mixed = ft.vectors.slice();
  let cos = 0;
  let copied = 0;
  for (let u = 0; u < g0.n; u++) {
    if (aff[u]) continue;
    mixed.set(vw.subarray(u * dim, (u + 1) * dim), u * dim);
    let c = 0;
    for (let k = 0; k < dim; k++) c += vw[u * dim + k] * ft.vectors[u * dim + k];
    cos += c;
    copied++;
  }
  const exactFt = both((us) => exactTop(ft.vectors, dim, us));
  const exactMixed = both((us) => exactTop(mixed, dim, us));
  res.fineTune = {
    seconds: +seconds.toFixed(1),
    trainEdges: ft.train.stats.edges,
    mixedVsFineTunedAt20: { affected: overlap(exactMixed.affected, exactFt.affected), others: overlap(exactMixed.others, exactFt.others) },
    frozenVsFineTunedAt20: { affected: overlap(exactInc.affected, exactFt.affected), others: overlap(exactInc.others, exactFt.others) },
    meanCosCopiedToFineTuned: +(cos / Math.max(1, copied)).toFixed(4),
  };
  return res;
}
