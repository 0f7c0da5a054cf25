/**
 * hnswlib-node (HNSW, f32) behind the VectorIndex interface. Dynamic ef (setEf), a native filter callback
 * for exclusions, in-place updates of an existing label, and markDelete for removal. It takes plain arrays,
 * so each call converts the Float32Array; it saves and loads the whole index into memory (no mapping).
 */
import { createRequire } from 'node:module';
import { PymkError } from '../core/errors.js';
import { checkId, checkK, checkRows } from './distance.js';
import { exclusionSet } from './exclude.js';
import { readOnlyError, saveAtomic, writeMeta, type IndexMeta } from './files.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';

/** The part of hnswlib-node's HierarchicalNSW this adapter uses. */
interface NativeHnsw {
  initIndex(opts: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number; allowReplaceDeleted?: boolean }): void;
  readIndexSync(filename: string, allowReplaceDeleted?: boolean): void;
  writeIndexSync(filename: string): void;
  resizeIndex(newMaxElements: number): void;
  addPoint(point: number[], label: number): void;
  markDelete(label: number): void;
  searchKnn(query: number[], k: number, filter?: (label: number) => boolean): { distances: number[]; neighbors: number[] };
  getPoint(label: number): number[];
  getMaxElements(): number;
  getCurrentCount(): number;
  setEf(ef: number): void;
}
type NativeHnswCtor = new (space: 'l2' | 'cosine', dim: number) => NativeHnsw;

let ctor: NativeHnswCtor | null = null;
function hnswlib(): NativeHnswCtor {
  if (!ctor) ctor = (createRequire(import.meta.url)('hnswlib-node') as { HierarchicalNSW: NativeHnswCtor }).HierarchicalNSW;
  return ctor;
}

export interface HnswlibOptions {
  /** Graph degree M. */
  m: number;
  efConstruction: number;
  /** Search breadth (effective max(ef, k)). */
  ef: number;
  /** Initial capacity; the index doubles when full. */
  capacity: number;
  seed: number;
}

export const HNSWLIB_DEFAULTS: HnswlibOptions = { m: 16, efConstruction: 128, ef: 64, capacity: 1024, seed: 100 };

export class HnswlibIndex implements VectorIndex {
  readonly kind = 'hnswlib';
  private h: NativeHnsw;
  /** Labels marked deleted (hnswlib counts them in getCurrentCount). */
  private readonly deleted = new Set<number>();

  private constructor(readonly dim: number, readonly metric: Metric, readonly options: HnswlibOptions, readonly readOnly: boolean) {
    this.h = new (hnswlib())(metric === 'cos' ? 'cosine' : 'l2', dim);
  }

  static create(dim: number, metric: Metric, options: Partial<HnswlibOptions> = {}): HnswlibIndex {
    const x = new HnswlibIndex(dim, metric, { ...HNSWLIB_DEFAULTS, ...options }, false);
    const o = x.options;
    x.h.initIndex({ maxElements: Math.max(1, o.capacity), m: o.m, efConstruction: o.efConstruction, randomSeed: o.seed, allowReplaceDeleted: false });
    x.h.setEf(o.ef);
    return x;
  }

  /** Loads a saved index into memory; `readOnly` refuses mutations. */
  static open(path: string, meta: IndexMeta, readOnly: boolean): HnswlibIndex {
    const { deleted, ...rest } = meta.options as Partial<HnswlibOptions> & { deleted?: number[] };
    const x = new HnswlibIndex(meta.dim, meta.metric, { ...HNSWLIB_DEFAULTS, ...rest }, readOnly);
    x.h.readIndexSync(path, false);
    x.h.setEf(x.options.ef);
    for (const id of deleted ?? []) x.deleted.add(id);
    return x;
  }

  size(): number {
    return this.h.getCurrentCount() - this.deleted.size;
  }

  has(id: number): boolean {
    if (this.deleted.has(id)) return false;
    try {
      this.h.getPoint(id);
      return true;
    } catch {
      // hnswlib's only answer for a label it does not hold is a throw
      return false;
    }
  }

  upsert(id: number, vector: Float32Array): void {
    if (this.readOnly) throw readOnlyError(this.kind, 'upsert');
    checkId(id);
    checkRows(vector, this.dim);
    if (this.h.getCurrentCount() >= this.h.getMaxElements()) this.h.resizeIndex(this.h.getMaxElements() * 2);
    this.h.addPoint(Array.from(vector), id); // an existing (or deleted) label is updated and undeleted
    this.deleted.delete(id);
  }

  addBatch(ids: ArrayLike<number>, vectors: Float32Array): void {
    if (checkRows(vectors, this.dim, 'vectors') !== ids.length) throw new PymkError('PYMK_BAD_INPUT', `${ids.length} ids for ${vectors.length / this.dim} vectors`);
    const need = this.h.getCurrentCount() + ids.length;
    if (need > this.h.getMaxElements()) this.h.resizeIndex(need);
    for (let i = 0; i < ids.length; i++) this.upsert(ids[i], vectors.subarray(i * this.dim, (i + 1) * this.dim));
  }

  remove(id: number): boolean {
    if (this.readOnly) throw readOnlyError(this.kind, 'remove');
    if (!this.has(id)) return false;
    this.h.markDelete(id);
    this.deleted.add(id);
    return true;
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    const size = this.size();
    if (size === 0) return { ids: new Int32Array(0), distances: new Float32Array(0) };
    const ex = exclusionSet(opts.exclude);
    const r = this.h.searchKnn(Array.from(query), Math.min(opts.k, size), ex ? (label) => !ex.has(label) : undefined);
    return { ids: Int32Array.from(r.neighbors), distances: Float32Array.from(r.distances) };
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    const n = checkRows(queries, this.dim, 'queries');
    return Array.from({ length: n }, (_, i) => this.search(queries.subarray(i * this.dim, (i + 1) * this.dim), { k: opts.k, exclude: opts.excludes?.[i] }));
  }

  vector(id: number): Float32Array | null {
    if (this.deleted.has(id)) return null;
    try {
      return Float32Array.from(this.h.getPoint(id));
    } catch {
      // hnswlib's only answer for a label it does not hold is a throw
      return null;
    }
  }

  setEf(ef: number): void {
    if (!Number.isInteger(ef) || ef <= 0) throw new PymkError('PYMK_BAD_PARAM', `ef must be a positive integer, got ${ef}`);
    this.h.setEf(ef);
    this.options.ef = ef;
  }

  save(path: string): void {
    saveAtomic(path, (tmp) => this.h.writeIndexSync(tmp));
    const options = { ...this.options, deleted: [...this.deleted] };
    writeMeta(path, { kind: this.kind, dim: this.dim, metric: this.metric, count: this.size(), options });
  }

  close(): void {
    this.h = undefined as unknown as NativeHnsw;
  }
}
