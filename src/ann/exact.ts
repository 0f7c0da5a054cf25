/**
 * Exact brute-force search: the oracle every approximate index is tested against, and a fine index for
 * small sets (the recent tier). Rows live in one growable Float32Array; removal moves the last row into the
 * hole. 'cos' rows are stored normalised, so the scan is a dot product.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PymkError } from '../core/errors.js';
import { decodeArrays, encodeArrays } from '../bundle/binary.js';
import { checkId, checkK, checkRows } from './distance.js';
import { exclusionSet, type ExclusionSet } from './exclude.js';
import { readOnlyError, saveAtomic, writeMeta, type IndexMeta } from './files.js';
import { TopK } from '../core/topk.js';
import { hitsOf } from './topk.js';
import type { BatchOptions, Hits, Metric, SearchOptions, VectorIndex } from './types.js';

export class ExactIndex implements VectorIndex {
  readonly kind = 'exact';
  private rows: Float32Array;
  private rowIds: Int32Array;
  private n = 0;
  private readonly rowOf = new Map<number, number>();
  private readonly q: Float32Array;

  constructor(readonly dim: number, readonly metric: Metric, readonly readOnly = false, capacity = 1024) {
    this.rows = new Float32Array(capacity * dim);
    this.rowIds = new Int32Array(capacity);
    this.q = new Float32Array(dim);
  }

  /** Opens a saved exact index (read into memory; `readOnly` refuses mutations). */
  static open(path: string, meta: IndexMeta, readOnly: boolean): ExactIndex {
    const cols = decodeArrays(readFileSync(path), { file: path });
    const ids = cols.ids as Int32Array;
    const vectors = cols.vectors as Float32Array;
    if (!(ids instanceof Int32Array) || !(vectors instanceof Float32Array) || vectors.length !== ids.length * meta.dim) {
      throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: expected columns ids:int32 and vectors:float32 of ${meta.dim}-d rows`, { file: path });
    }
    const x = new ExactIndex(meta.dim, meta.metric, false, Math.max(ids.length, 1));
    x.rows.set(vectors);
    x.rowIds.set(ids);
    x.n = ids.length;
    for (let i = 0; i < ids.length; i++) x.rowOf.set(ids[i], i);
    return readOnly ? x.frozen() : x;
  }

  size(): number {
    return this.n;
  }

  has(id: number): boolean {
    return this.rowOf.has(id);
  }

  upsert(id: number, vector: Float32Array): void {
    if (this.readOnly) throw readOnlyError(this.kind, 'upsert');
    checkId(id);
    checkRows(vector, this.dim);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.n++;
      this.grow(this.n);
      this.rowOf.set(id, row);
      this.rowIds[row] = id;
    }
    this.store(row, vector, 0);
  }

  addBatch(ids: ArrayLike<number>, vectors: Float32Array): void {
    if (checkRows(vectors, this.dim, 'vectors') !== ids.length) throw new PymkError('PYMK_BAD_INPUT', `${ids.length} ids for ${vectors.length / this.dim} vectors`);
    this.grow(this.n + ids.length);
    for (let i = 0; i < ids.length; i++) this.upsert(ids[i], vectors.subarray(i * this.dim, (i + 1) * this.dim));
  }

  remove(id: number): boolean {
    if (this.readOnly) throw readOnlyError(this.kind, 'remove');
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = --this.n;
    if (row !== last) {
      this.rows.copyWithin(row * this.dim, last * this.dim, (last + 1) * this.dim);
      this.rowIds[row] = this.rowIds[last];
      this.rowOf.set(this.rowIds[row], row);
    }
    this.rowOf.delete(id);
    return true;
  }

  search(query: Float32Array, opts: SearchOptions): Hits {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    return this.scan(query, 0, opts.k, exclusionSet(opts.exclude));
  }

  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    checkK(opts.k);
    const n = checkRows(queries, this.dim, 'queries');
    return Array.from({ length: n }, (_, i) => this.scan(queries, i, opts.k, exclusionSet(opts.excludes?.[i])));
  }

  vector(id: number): Float32Array | null {
    const row = this.rowOf.get(id);
    return row === undefined ? null : this.rows.slice(row * this.dim, (row + 1) * this.dim);
  }

  setEf(): void {}

  save(path: string): void {
    const cols = { ids: this.rowIds.slice(0, this.n), vectors: this.rows.slice(0, this.n * this.dim) };
    saveAtomic(path, (tmp) => writeFileSync(tmp, Buffer.concat(encodeArrays(cols))));
    writeMeta(path, { kind: this.kind, dim: this.dim, metric: this.metric, count: this.n, options: {} });
  }

  close(): void {
    this.rows = new Float32Array(0);
    this.rowIds = new Int32Array(0);
    this.rowOf.clear();
    this.n = 0;
  }

  /** The same rows, refusing mutations. */
  private frozen(): ExactIndex {
    const x = new ExactIndex(this.dim, this.metric, true, 0);
    x.rows = this.rows;
    x.rowIds = this.rowIds;
    x.n = this.n;
    for (const [id, r] of this.rowOf) x.rowOf.set(id, r);
    return x;
  }

  private grow(rows: number): void {
    if (rows <= this.rowIds.length) return;
    const cap = Math.max(rows, this.rowIds.length * 2);
    const data = new Float32Array(cap * this.dim);
    data.set(this.rows.subarray(0, this.n * this.dim));
    const ids = new Int32Array(cap);
    ids.set(this.rowIds.subarray(0, this.n));
    this.rows = data;
    this.rowIds = ids;
  }

  /** Copies row `src` of `v` into slot `row`, normalised for 'cos'. */
  private store(row: number, v: Float32Array, src: number): void {
    const o = row * this.dim;
    let f = 1;
    if (this.metric === 'cos') {
      let s = 0;
      for (let j = 0; j < this.dim; j++) s += v[src * this.dim + j] ** 2;
      f = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
    for (let j = 0; j < this.dim; j++) this.rows[o + j] = v[src * this.dim + j] * f;
  }

  private scan(queries: Float32Array, qi: number, k: number, ex: ExclusionSet | null): Hits {
    const d = this.dim;
    const q = this.q;
    q.set(queries.subarray(qi * d, (qi + 1) * d));
    const cos = this.metric === 'cos';
    if (cos) {
      let s = 0;
      for (let j = 0; j < d; j++) s += q[j] * q[j];
      const f = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < d; j++) q[j] *= f;
    }
    const top = new TopK(Math.max(1, Math.min(k, this.n)));
    const rows = this.rows;
    for (let r = 0; r < this.n; r++) {
      const id = this.rowIds[r];
      if (ex?.has(id)) continue;
      const o = r * d;
      let s = 0;
      if (cos) {
        for (let j = 0; j < d; j++) s += q[j] * rows[o + j];
        s = 1 - s;
      } else {
        for (let j = 0; j < d; j++) {
          const t = q[j] - rows[o + j];
          s += t * t;
        }
      }
      if (s <= top.bound()) top.push(id, s);
    }
    return hitsOf(top);
  }
}
