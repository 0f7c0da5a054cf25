/**
 * Benchmark data: siftsmall (TEXMEX, with its published exact ground truth) and generated clustered
 * vectors whose ground truth is computed here by brute force.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { bruteForceSearch } from '../../src/ann/usearch.js';
import type { Metric } from '../../src/ann/types.js';

export interface Dataset {
  name: string;
  dim: number;
  metric: Metric;
  base: Float32Array;
  queries: Float32Array;
  /** Exact neighbour ids per query, `k` per row, nearest first. */
  truth: Int32Array;
  k: number;
  note: string;
}

/** Reads an .fvecs file: records [int32 d][d × float32]. */
export function readFvecs(path: string): { dim: number; rows: Float32Array } {
  const b = readFileSync(path);
  const dim = b.readInt32LE(0);
  const n = b.length / (4 * (dim + 1));
  const rows = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) rows[i * dim + j] = b.readFloatLE(i * 4 * (dim + 1) + 4 + 4 * j);
  return { dim, rows };
}

/** Reads an .ivecs file: records [int32 k][k × int32]. */
export function readIvecs(path: string): { k: number; rows: Int32Array } {
  const b = readFileSync(path);
  const k = b.readInt32LE(0);
  const n = b.length / (4 * (k + 1));
  const rows = new Int32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) rows[i * k + j] = b.readInt32LE(i * 4 * (k + 1) + 4 + 4 * j);
  return { k, rows };
}

export function siftsmall(dir: string): Dataset {
  const base = readFvecs(join(dir, 'siftsmall_base.fvecs'));
  const queries = readFvecs(join(dir, 'siftsmall_query.fvecs'));
  const truth = readIvecs(join(dir, 'siftsmall_groundtruth.ivecs'));
  return {
    name: 'siftsmall',
    dim: base.dim,
    metric: 'l2sq',
    base: base.rows,
    queries: queries.rows,
    truth: truth.rows,
    k: truth.k,
    note: '10,000 SIFT descriptors, 100 queries, published exact L2 ground truth (TEXMEX, Jégou et al. 2011)',
  };
}

/** How cluster centres are drawn: 'iso' N(0, I) (well separated), 'decay' N(0, diag 1/(1+j)) (overlapping). */
export type CentreLayout = 'iso' | 'decay';

/**
 * n base vectors and nq queries around `clusters` Gaussian centres; offset ~ N(0, diag σ²) with
 * σ_j = 0.6 / sqrt(1 + j) (a decaying spectrum, like learned embeddings; effective dimension ≈ 18).
 * Centres: 'iso' ~ N(0, I): centres ≈ 16 apart, clusters ≈ 1.4 wide, i.e. separate islands; 'decay'
 * ~ N(0, diag 1/(1+j)): the whole set has a decaying spectrum and neighbouring clusters overlap.
 */
export function clusteredData(n: number, nq: number, dim: number, clusters: number, seed: number, k: number, threads: number, layout: CentreLayout = 'iso'): Dataset {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: clusters * dim }, (_, i) => rng.normal() * (layout === 'decay' ? 1 / Math.sqrt(1 + (i % dim)) : 1));
  const sigma = Float32Array.from({ length: dim }, (_, j) => 0.6 / Math.sqrt(1 + j));
  const draw = (m: number): Float32Array => {
    const out = new Float32Array(m * dim);
    for (let i = 0; i < m; i++) {
      const c = rng.int(clusters);
      for (let j = 0; j < dim; j++) out[i * dim + j] = centres[c * dim + j] + sigma[j] * rng.normal();
    }
    return out;
  };
  const base = draw(n);
  const queries = draw(nq);
  const truth = bruteForceSearch(base, queries, dim, k, 'l2sq', threads);
  return {
    name: layout === 'iso' ? `clustered-${n}` : `clustered-${layout}-${n}`,
    dim,
    metric: 'l2sq',
    base,
    queries,
    truth,
    k,
    note: `${n.toLocaleString('en')} × ${dim} vectors around ${clusters} Gaussian centres (${layout === 'iso' ? 'centres N(0, I): separated clusters' : 'centres N(0, diag 1/(1+j)): overlapping clusters'}; offsets σ_j = 0.6/√(1+j)), ${nq} held-out queries from the same mixture, exact L2 ground truth by brute force`,
  };
}

/**
 * How often the brute-force ground truth agrees with the float64 ExactIndex on a sample of queries
 * (recall@k of one against the other; < 1 only through ties and rounding at the k-th place).
 */
export function checkTruth(d: Dataset, sample: number): number {
  const x = new ExactIndex(d.dim, d.metric, false, d.base.length / d.dim);
  x.addBatch(Int32Array.from({ length: d.base.length / d.dim }, (_, i) => i), d.base);
  let hit = 0;
  const m = Math.min(sample, d.queries.length / d.dim);
  for (let q = 0; q < m; q++) {
    const want = new Set(x.search(d.queries.subarray(q * d.dim, (q + 1) * d.dim), { k: d.k }).ids);
    for (let j = 0; j < d.k; j++) if (want.has(d.truth[q * d.k + j])) hit++;
  }
  x.close();
  return hit / (m * d.k);
}
