/**
 * Exact f32 re-ranking over a quantized index: fetch ceil(k × factor) candidates from the inner index (e.g.
 * usearch i8), re-score them with exact distances from a VectorStore, keep the best k. The store can be a
 * memory-mapped file (openVectorFile), so the f32 copy stays on disk and in the shared page cache while
 * only the i8 graph sits in each process's memory (the DiskANN layout, on a small scale).
 *
 * On disk: the inner index at `<path>.inner` (with its own description), the f32 rows at `<path>` (a pymk
 * array file with a 'vectors' column, dense by id) and `<path>.json` with kind 'rerank'.
 */
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PymkError } from '../core/errors.js';
import { encodeArrays } from '../bundle/binary.js';
import { saveAtomic, writeMeta, type IndexMeta } from './files.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';
import { checkK, distanceFn, type DistanceFn } from './distance.js';
import { MemoryVectorStore, openVectorFile, type VectorStore } from './vectors.js';

/** Re-rank settings. */
export interface RerankOptions {
  /** Candidates fetched = ceil(k × factor) (≥ k); 0 = no re-rank (the store only answers vector(id)). */
  factor: number;
  /**
   * Fraction of k taken as the quantized order ranks them, without reading their f32 rows (0, the
   * default, re-scores every candidate). Rounding mostly swaps neighbours at nearly equal distances, so
   * the head of the quantized list is usually in the true top k, and reading rows (a pread each) is what
   * re-ranking costs. But the head keeps its quantized order and distances, which are biased upwards (the
   * rounding noise adds to every squared distance): recall@k of the set holds, order within the head and
   * any merge by distance (tiers, shards) suffer. Measured in bench/results/ann-*.md; opt-in only.
   */
  trust: number;
}

/**
 * Re-rank sort keys: the float32 bits of a distance (non-negative, so the bits order as the values; at most
 * 0x7f800000 < 2^31 for +Infinity) times MAX_FETCH, plus the candidate's position (< MAX_FETCH). The largest
 * key is below 2^31 · 2^21 = 2^52, so a Float64Array holds every key exactly and one numeric sort orders the
 * candidates by distance, ties in the inner index's order.
 */
const MAX_FETCH = 2 ** 21;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function packKey(distance: number, position: number): number {
  F32[0] = distance > 0 ? distance : 0; // -0 and rounding below zero (cos) would set the sign bit
  return U32[0] * MAX_FETCH + position;
}

function keyPosition(key: number): number {
  return key % MAX_FETCH;
}

function keyDistance(key: number): number {
  U32[0] = (key - keyPosition(key)) / MAX_FETCH;
  return F32[0];
}

export const RERANK_DEFAULTS: RerankOptions = { factor: 2, trust: 0 };

export class RerankedIndex implements VectorIndex {
  readonly kind = 'rerank';
  private keys = new Float64Array(0);
  private readonly distance: DistanceFn;

  readonly options: RerankOptions;

  constructor(readonly inner: VectorIndex, readonly store: VectorStore, options: Partial<RerankOptions> = {}) {
    this.options = { ...RERANK_DEFAULTS, ...options };
    this.distance = distanceFn(inner.metric);
    if (store.dim !== inner.dim) throw new PymkError('PYMK_BAD_PARAM', `vector store is ${store.dim}-d, index is ${inner.dim}-d`);
    if (!(this.options.factor >= 1 || this.options.factor === 0)) throw new PymkError('PYMK_BAD_PARAM', `re-rank factor must be 0 or ≥ 1, got ${this.options.factor}`);
    if (!(this.options.trust >= 0 && this.options.trust < 1)) throw new PymkError('PYMK_BAD_PARAM', `re-rank trust must be in [0, 1), got ${this.options.trust}`);
  }

  /**
   * Opens a saved re-ranked index. `open` opens the inner index (by the registry, to avoid a cycle);
   * 'view' reads f32 rows from the file on demand, 'load' reads them into memory.
   */
  static open(path: string, meta: IndexMeta, readOnly: boolean, open: (path: string) => VectorIndex): RerankedIndex {
    const o = meta.options as { inner: string; factor: number; trust?: number };
    const inner = open(join(dirname(path), o.inner));
    const store = readOnly ? openVectorFile(path, meta.dim) : MemoryVectorStore.load(path, meta.dim);
    return new RerankedIndex(inner, store, { factor: o.factor, trust: o.trust ?? 0 });
  }

  get dim(): number {
    return this.inner.dim;
  }
  get metric(): Metric {
    return this.inner.metric;
  }
  get readOnly(): boolean {
    return this.inner.readOnly || !this.store.writable;
  }
  size(): number {
    return this.inner.size();
  }
  has(id: number): boolean {
    return this.inner.has(id);
  }

  upsert(id: number, vector: Float32Array): void {
    this.inner.upsert(id, vector);
    this.store.set(id, vector);
  }

  addBatch(ids: ArrayLike<number>, vectors: Float32Array, threads?: number): void {
    this.inner.addBatch(ids, vectors, threads);
    for (let i = 0; i < ids.length; i++) this.store.set(ids[i], vectors.subarray(i * this.dim, (i + 1) * this.dim));
  }

  remove(id: number): boolean {
    return this.inner.remove(id);
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    checkK(opts.k);
    if (this.options.factor === 0) return this.inner.search(query, opts);
    // The inner index applies the exclusions (with its own over-fetch); re-ranking only reorders.
    const cand = this.inner.search(query, { k: this.fetchCount(opts.k), exclude: opts.exclude });
    return this.rerank(query, 0, opts.k, cand);
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    checkK(opts.k);
    if (this.options.factor === 0) return this.inner.searchBatch(queries, opts);
    const fetched = this.inner.searchBatch(queries, { ...opts, k: this.fetchCount(opts.k) });
    return fetched.map((h, i) => this.rerank(queries, i, opts.k, h));
  }

  vector(id: number): Float32Array | null {
    if (!this.inner.has(id)) return null;
    const out = new Float32Array(this.dim);
    return this.store.copyRow(id, out, 0) ? out : null;
  }

  setEf(ef: number): void {
    this.inner.setEf(ef);
  }

  save(path: string): void {
    const innerPath = `${path}.inner`;
    this.inner.save(innerPath);
    if (!(this.store instanceof MemoryVectorStore)) throw new PymkError('PYMK_BAD_PARAM', 'only an in-memory vector store can be saved with the index');
    const cols = this.store.columns();
    saveAtomic(path, (tmp) => writeFileSync(tmp, Buffer.concat(encodeArrays(cols))));
    writeMeta(path, { kind: this.kind, dim: this.dim, metric: this.metric, count: this.size(), options: { inner: basename(innerPath), factor: this.options.factor, trust: this.options.trust } });
  }

  close(): void {
    this.inner.close();
    this.store.close();
  }

  private fetchCount(k: number): number {
    const n = Math.max(k, Math.ceil(k * this.options.factor));
    if (n >= MAX_FETCH) throw new PymkError('PYMK_BAD_PARAM', `a re-ranked search fetches at most ${MAX_FETCH - 1} candidates; k = ${k} × ${this.options.factor} asks for ${n}`);
    return n;
  }

  /**
   * The trusted head of the candidates as is, then the best of the rest by exact distance; k in all. Each
   * candidate is scored where its row lies (a mapped or in-memory row is not copied), and the scored ones
   * are ordered by one numeric sort of packed keys (packKey). A candidate without a row (or whose row gives
   * NaN) is skipped. Measured in docs/ann.md: reading the rows is most of the cost; copying them into a
   * matrix for usearch's native brute force made the re-rank 78 µs a query at 1M instead of 64–67.
   */
  private rerank(queries: Float32Array, qi: number, k: number, cand: Hits): Hits {
    const n = cand.ids.length; // < MAX_FETCH: fetchCount asked for no more
    const keep = Math.min(n, Math.floor(k * this.options.trust));
    const rest = Math.min(k, n) - keep;
    const fn = this.distance;
    const keys = this.scratchKeys(n);
    let m = 0;
    for (let i = keep; i < n && rest > 0; i++) {
      const d = this.store.distance(cand.ids[i], queries, qi, fn);
      if (!Number.isNaN(d)) keys[m++] = packKey(d, i);
    }
    const take = Math.min(rest, m);
    const ids = new Int32Array(keep + take);
    const distances = new Float32Array(keep + take);
    ids.set(cand.ids.subarray(0, keep));
    distances.set(cand.distances.subarray(0, keep));
    const sorted = keys.subarray(0, m).sort();
    for (let j = 0; j < take; j++) {
      ids[keep + j] = cand.ids[keyPosition(sorted[j])];
      distances[keep + j] = keyDistance(sorted[j]);
    }
    return { ids, distances };
  }

  /** A reusable key array of at least n slots (searches on one index run one at a time on its thread). */
  private scratchKeys(n: number): Float64Array {
    if (this.keys.length < n) this.keys = new Float64Array(Math.max(n, 2 * this.keys.length));
    return this.keys;
  }
}
