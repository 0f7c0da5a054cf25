/**
 * usearch (HNSW, SIMD distances) behind the VectorIndex interface: f32, f16 or i8 storage, connectivity
 * (M) and expansion (ef) settings, multi-threaded build and batch search, and `view()` to memory-map a
 * saved index read-only so several processes share one copy in the page cache.
 *
 * Notes from its JS binding: keys are u64 (converted here); search blocks the calling thread; there is no
 * filter predicate (exclusions over-fetch); ef is fixed when the native object is made, so setEf() re-opens
 * a viewed file (cheap: it is a mapping) and is refused for an in-memory index; the native thread contexts
 * are sized by the `threads` of add(), so build with the thread count you search with. i8 goes through the
 * ScalarQuantizer (see quantize.ts for why).
 */
import { availableParallelism } from 'node:os';
import { PymkError } from '../core/errors.js';
import { checkId, checkK, checkRows } from './distance.js';
import { exclusionSet, filterHits, searchExcluding } from './exclude.js';
import { readOnlyError, saveAtomic, writeMeta, type IndexMeta } from './files.js';
import { ScalarQuantizer, type QuantizerParams } from './quantize.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';
import { nativeExactSearch, nativeUsearch, toKeys, type NativeUsearch } from './usearchNative.js';

export const USEARCH_DTYPES = ['f32', 'f16', 'i8'] as const;
export type UsearchDtype = (typeof USEARCH_DTYPES)[number];

export interface UsearchOptions {
  dtype: UsearchDtype;
  /** Graph degree M (level 0 keeps 2M links). */
  connectivity: number;
  /** ef while inserting. */
  expansionAdd: number;
  /** ef while searching (the effective value is max(ef, k)). */
  expansionSearch: number;
  /** Threads for build and batch search; also how many searches may run at once on this index. */
  threads: number;
  /** i8 only: the code book; fitted on the first addBatch() when absent. */
  quantizer?: QuantizerParams;
}

export const USEARCH_DEFAULTS: UsearchOptions = { dtype: 'f32', connectivity: 16, expansionAdd: 128, expansionSearch: 64, threads: availableParallelism() };

export class UsearchIndex implements VectorIndex {
  readonly kind = 'usearch';
  private native: NativeUsearch;
  private quantizer: ScalarQuantizer | null;

  private constructor(
    readonly dim: number,
    readonly metric: Metric,
    readonly options: UsearchOptions,
    readonly readOnly: boolean,
    /** The file a read-only index maps. */
    private readonly path: string | null,
  ) {
    if (!(USEARCH_DTYPES as readonly string[]).includes(options.dtype)) {
      throw new PymkError('PYMK_BAD_PARAM', `unknown usearch dtype '${options.dtype}'; expected one of: ${USEARCH_DTYPES.join(', ')}`);
    }
    this.quantizer = options.quantizer ? ScalarQuantizer.fromJSON(options.quantizer) : null;
    this.native = this.make(options.expansionSearch);
    if (path) this.native.view(path);
  }

  /** An empty in-memory index. */
  static create(dim: number, metric: Metric, options: Partial<UsearchOptions> = {}): UsearchIndex {
    return new UsearchIndex(dim, metric, { ...USEARCH_DEFAULTS, ...options }, false, null);
  }

  /** Opens a saved index: memory-mapped read-only (`view`, the default) or loaded into memory, writable. */
  static open(path: string, meta: IndexMeta, mode: 'view' | 'load' = 'view'): UsearchIndex {
    const options = { ...USEARCH_DEFAULTS, ...(meta.options as Partial<UsearchOptions>) };
    if (mode === 'view') return new UsearchIndex(meta.dim, meta.metric, options, true, path);
    const x = new UsearchIndex(meta.dim, meta.metric, options, false, null);
    x.native.load(path);
    return x;
  }

  size(): number {
    return this.native.size();
  }

  has(id: number): boolean {
    return this.native.contains(toKeys([id]))[0];
  }

  upsert(id: number, vector: Float32Array): void {
    if (this.readOnly) throw readOnlyError(this.kind, 'upsert');
    checkId(id);
    checkRows(vector, this.dim);
    const key = toKeys([id]);
    if (this.native.contains(key)[0]) this.native.remove(key);
    this.native.add(key, this.encode(vector), this.options.threads);
  }

  addBatch(ids: ArrayLike<number>, vectors: Float32Array, threads = this.options.threads): void {
    if (this.readOnly) throw readOnlyError(this.kind, 'add');
    if (checkRows(vectors, this.dim, 'vectors') !== ids.length) throw new PymkError('PYMK_BAD_INPUT', `${ids.length} ids for ${vectors.length / this.dim} vectors`);
    for (let i = 0; i < ids.length; i++) checkId(ids[i]);
    if (this.options.dtype === 'i8' && !this.quantizer) {
      this.quantizer = ScalarQuantizer.fit(vectors, this.dim, this.metric);
    }
    this.native.add(toKeys(ids), this.encode(vectors), threads);
  }

  remove(id: number): boolean {
    if (this.readOnly) throw readOnlyError(this.kind, 'remove');
    return this.native.remove(toKeys([id]))[0] > 0;
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    const q = this.encode(query);
    return searchExcluding((kk) => this.collect(this.native.search(q, kk, 1), 0, kk), opts.k, exclusionSet(opts.exclude), this.size());
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    checkK(opts.k);
    const n = checkRows(queries, this.dim, 'queries');
    const size = this.size();
    if (size === 0) return Array.from({ length: n }, () => this.collect([new BigUint64Array(0), new Float32Array(0), new BigUint64Array(n)], 0, 0));
    const exs = Array.from({ length: n }, (_, i) => exclusionSet(opts.excludes?.[i]));
    // One native call over-fetching for the largest exclusion; rows still short after filtering are redone alone.
    const extra = Math.max(0, ...exs.map((e) => (e ? Math.min(e.size, 2 * opts.k) : 0)));
    const kk = Math.min(size, opts.k + extra);
    const res = this.native.search(this.encode(queries), kk, opts.threads ?? 1);
    return exs.map((ex, i) => {
      const got = this.collect(res, i, kk);
      const kept = filterHits(got, opts.k, ex);
      if (kept.ids.length >= Math.min(opts.k, size) || got.ids.length < kk) return kept;
      return this.search(queries.subarray(i * this.dim, (i + 1) * this.dim), { k: opts.k, exclude: opts.excludes?.[i] });
    });
  }

  /** The i8 code book (null for f32/f16, or before an l2sq i8 index saw data). */
  quantizerParams(): QuantizerParams | null {
    return this.quantizer?.toJSON() ?? null;
  }

  vector(): Float32Array | null {
    return null;
  }

  setEf(ef: number): void {
    if (!Number.isInteger(ef) || ef <= 0) throw new PymkError('PYMK_BAD_PARAM', `ef must be a positive integer, got ${ef}`);
    if (ef === this.options.expansionSearch) return;
    if (!this.path) throw new PymkError('PYMK_BAD_PARAM', 'usearch fixes ef when the index is made: save and open it to change ef');
    const next = this.make(ef);
    next.view(this.path);
    this.native = next;
    this.options.expansionSearch = ef;
  }

  save(path: string): void {
    saveAtomic(path, (tmp) => this.native.save(tmp));
    const options: Record<string, unknown> = { ...this.options, quantizer: this.quantizer?.toJSON() };
    delete options.threads;
    writeMeta(path, { kind: this.kind, dim: this.dim, metric: this.metric, count: this.size(), options });
  }

  close(): void {
    // The binding frees native memory when the object is collected; drop our reference.
    this.native = undefined as unknown as NativeUsearch;
  }

  private make(ef: number): NativeUsearch {
    const o = this.options;
    return new (nativeUsearch())(this.dim, this.metric, o.dtype, o.connectivity, o.expansionAdd, ef, false);
  }

  /** Rows as the native index wants them: i8 codes, or the f32 rows themselves. */
  private encode(v: Float32Array): Float32Array | Int8Array {
    if (this.options.dtype !== 'i8') return v;
    if (!this.quantizer) {
      if (this.metric !== 'cos') throw new PymkError('PYMK_BAD_PARAM', 'an l2sq i8 index needs a quantizer: pass options.quantizer or build it with addBatch()');
      this.quantizer = new ScalarQuantizer('cos', 1 / 127, new Float32Array(this.dim));
    }
    return this.quantizer.encode(v);
  }

  /** Query row i of a native result (k slots per row) as Hits, distances in f32 units. */
  private collect(res: [BigUint64Array, Float32Array, BigUint64Array], i: number, k: number): Hits {
    const count = Number(res[2][i] ?? 0n);
    const ids = new Int32Array(count);
    const distances = new Float32Array(count);
    for (let j = 0; j < count; j++) {
      ids[j] = Number(res[0][i * k + j]);
      distances[j] = this.quantizer ? this.quantizer.distance(res[1][i * k + j]) : res[1][i * k + j];
    }
    return { ids, distances };
  }
}

/**
 * Exact k nearest rows of `dataset` for each query row, by usearch's SIMD brute force on `threads` threads
 * (row numbers, n*k, nearest first). For benchmark ground truth on sets too large for ExactIndex.
 */
export function bruteForceSearch(dataset: Float32Array, queries: Float32Array, dim: number, k: number, metric: Metric, threads = availableParallelism()): Int32Array {
  const [rows] = nativeExactSearch()(dataset, queries, dim, k, metric, threads);
  return Int32Array.from(rows, (r) => Number(r));
}
