/**
 * Where exact f32 vectors live for re-ranking and for looking a user's vector up by id.
 *
 * - MemoryVectorStore: rows by id in one growable Float32Array (ids are dense user ids).
 * - MappedVectorStore: a file memory-mapped read-only (a raw f32 matrix, or the 'vectors' column of a pymk
 *   array file such as the bundle's embeddings): rows are read as memory, with no system call, and the f32
 *   copy stays in the OS page cache, shared by every process, rather than on each process's heap. Needs the
 *   optional dependency @riaskov/mmap-io (a prebuilt addon); openVectorFile falls back to pread without it.
 * - FileVectorStore: the same file read row by row with pread (≈ 0.8 µs a row here, the fallback).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { PymkError } from '../core/errors.js';
import { decodeArrays } from '../bundle/binary.js';
import { checkId, type DistanceFn } from './distance.js';

export interface VectorStore {
  readonly dim: number;
  /** False for file-backed stores. */
  readonly writable: boolean;
  /** Copies id's row into row `at` of `out` (out[at*dim .. (at+1)*dim)); false when the store has no row for id. */
  copyRow(id: number, out: Float32Array, at: number): boolean;
  /** fn(id's row, row qi of queries); NaN when the store has no row for id. Reads the row in place where it can. */
  distance(id: number, queries: Float32Array, qi: number, fn: DistanceFn): number;
  set(id: number, v: Float32Array): void;
  close(): void;
}

/** Rows by id in memory; grows as ids grow. */
export class MemoryVectorStore implements VectorStore {
  readonly writable = true;
  private data: Float32Array;
  private present: Uint8Array;

  constructor(readonly dim: number, capacity = 1024) {
    this.data = new Float32Array(capacity * dim);
    this.present = new Uint8Array(capacity);
  }

  /** A store over existing rows (ids 0..n-1), without copying. */
  static wrap(vectors: Float32Array, dim: number): MemoryVectorStore {
    const s = new MemoryVectorStore(dim, 0);
    s.data = vectors;
    s.present = new Uint8Array(vectors.length / dim).fill(1);
    return s;
  }

  /** Reads rows saved by columns() (a pymk array file with 'vectors' and 'present'). */
  static load(path: string, dim: number): MemoryVectorStore {
    const cols = decodeArrays(readFileSync(path), { file: path });
    const s = MemoryVectorStore.wrap(cols.vectors as Float32Array, dim);
    if (cols.present instanceof Uint8Array && cols.present.length === s.present.length) s.present = new Uint8Array(cols.present);
    return s;
  }

  /** The rows and presence flags, for saving. */
  columns(): { vectors: Float32Array; present: Uint8Array } {
    let n = this.present.length;
    while (n > 0 && !this.present[n - 1]) n--;
    return { vectors: this.data.slice(0, n * this.dim), present: this.present.slice(0, n) };
  }

  copyRow(id: number, out: Float32Array, at: number): boolean {
    if (id < 0 || id >= this.present.length || !this.present[id]) return false;
    out.set(this.data.subarray(id * this.dim, (id + 1) * this.dim), at * this.dim);
    return true;
  }

  distance(id: number, queries: Float32Array, qi: number, fn: DistanceFn): number {
    if (id < 0 || id >= this.present.length || !this.present[id]) return NaN;
    return fn(this.data, id, queries, qi, this.dim);
  }

  set(id: number, v: Float32Array): void {
    checkId(id);
    if (id >= this.present.length) {
      const cap = Math.max(id + 1, this.present.length * 2);
      const data = new Float32Array(cap * this.dim);
      data.set(this.data);
      const present = new Uint8Array(cap);
      present.set(this.present);
      this.data = data;
      this.present = present;
    }
    this.data.set(v.subarray(0, this.dim), id * this.dim);
    this.present[id] = 1;
  }

  close(): void {}
}

/** How a vectors file is read: memory-mapped when the addon loads ('auto'), or always with pread. */
export type VectorFileMode = 'auto' | 'mmap' | 'pread';

/**
 * A read-only store over a vectors file: the float32 `column` of a pymk array file, memory-mapped when
 * possible ('auto'), else read with pread. 'mmap' fails when the addon cannot load.
 */
export function openVectorFile(path: string, dim: number, column = 'vectors', mode: VectorFileMode = 'auto'): VectorStore {
  const col = arrayColumn(path, column);
  if (col.dtype !== 'float32') throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: column '${column}' is ${col.dtype}, expected float32`, { file: path });
  if (col.length % dim !== 0) throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: ${col.length} floats is not a whole number of ${dim}-d rows`, { file: path });
  const count = col.length / dim;
  if (mode !== 'pread') {
    const mmap = mmapAddon();
    if (mmap) return new MappedVectorStore(mmap, path, dim, col.offset, count);
    if (mode === 'mmap') throw new PymkError('PYMK_BAD_PARAM', `cannot memory-map ${path}: the optional dependency @riaskov/mmap-io did not load (${mmapError})`);
  }
  return new FileVectorStore(path, dim, col.offset, count);
}

interface MmapAddon {
  map(size: number, protection: number, flags: number, fd: number, offset?: number, advise?: number): Buffer;
  readonly PROT_READ: number;
  readonly MAP_SHARED: number;
  readonly MADV_RANDOM: number;
}
let mmapLoaded: MmapAddon | null | undefined;
let mmapError = '';

/** The mmap addon, loaded once; null when it is not installed or has no binary for this Node. */
function mmapAddon(): MmapAddon | null {
  if (mmapLoaded === undefined) {
    try {
      mmapLoaded = createRequire(import.meta.url)('@riaskov/mmap-io') as MmapAddon;
    } catch (e) {
      mmapLoaded = null;
      mmapError = (e as Error).message.split('\n')[0];
    }
  }
  return mmapLoaded;
}

/** Rows of a memory-mapped file, viewed as one Float32Array: row id at `offset + id*dim*4`, ids 0..count-1. */
export class MappedVectorStore implements VectorStore {
  readonly writable = false;
  private rows: Float32Array;
  private count: number;

  constructor(mmap: MmapAddon, readonly path: string, readonly dim: number, offset: number, count: number) {
    this.count = count;
    if (offset % 4 !== 0) throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: float32 rows at unaligned offset ${offset}`, { file: path });
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (offset + count * dim * 4 > size) {
        throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: ${count} rows of ${dim} floats at ${offset} run past the end (${size} bytes)`, { file: path });
      }
      // Map the whole file (mmap offsets must be page-aligned); the mapping outlives the descriptor.
      const buf = size > 0 ? mmap.map(size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0, mmap.MADV_RANDOM) : Buffer.alloc(0);
      this.rows = new Float32Array(buf.buffer, buf.byteOffset + offset, count * dim);
    } finally {
      closeSync(fd);
    }
  }

  copyRow(id: number, out: Float32Array, at: number): boolean {
    if (id < 0 || id >= this.count) return false;
    out.set(this.rows.subarray(id * this.dim, (id + 1) * this.dim), at * this.dim);
    return true;
  }

  distance(id: number, queries: Float32Array, qi: number, fn: DistanceFn): number {
    return id >= 0 && id < this.count ? fn(this.rows, id, queries, qi, this.dim) : NaN;
  }

  set(): void {
    throw new PymkError('PYMK_BAD_PARAM', `vector file ${this.path} is read-only`);
  }

  /** Drops the view; the mapping is released when the buffer is collected (the addon has no unmap). */
  close(): void {
    this.rows = new Float32Array(0);
    this.count = 0;
  }
}

/** Rows read with pread from a file: row id at byte `offset + id*dim*4`, ids 0..count-1. */
export class FileVectorStore implements VectorStore {
  readonly writable = false;
  private fd: number;
  private readonly rowBytes: number;
  private readonly row: Float32Array;

  constructor(readonly path: string, readonly dim: number, private readonly offset: number, readonly count: number) {
    this.fd = openSync(path, 'r');
    this.rowBytes = dim * 4;
    this.row = new Float32Array(dim);
    const size = fstatSync(this.fd).size;
    if (offset + count * this.rowBytes > size) {
      closeSync(this.fd);
      throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: ${count} rows of ${dim} floats at ${offset} run past the end (${size} bytes)`, { file: path });
    }
  }

  copyRow(id: number, out: Float32Array, at: number): boolean {
    if (id < 0 || id >= this.count || this.fd < 0) return false;
    const n = readSync(this.fd, out, at * this.rowBytes, this.rowBytes, this.offset + id * this.rowBytes);
    return n === this.rowBytes;
  }

  distance(id: number, queries: Float32Array, qi: number, fn: DistanceFn): number {
    return this.copyRow(id, this.row, 0) ? fn(this.row, 0, queries, qi, this.dim) : NaN;
  }

  set(): void {
    throw new PymkError('PYMK_BAD_PARAM', `vector file ${this.path} is read-only`);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Where a column of a pymk array file lies: reads only the header and table of contents. */
export function arrayColumn(path: string, name: string): { dtype: string; offset: number; length: number } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(32);
    readSync(fd, head, 0, 32, 0);
    if (head.subarray(0, 8).toString('latin1') !== 'PYMKARR\0') throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: not a pymk array file`, { file: path });
    const tocBytes = head.readUInt32LE(12);
    const toc = Buffer.alloc(tocBytes);
    readSync(fd, toc, 0, tocBytes, 32);
    const cols = (JSON.parse(toc.toString('utf8')) as { columns: { name: string; dtype: string; offset: number; length: number }[] }).columns;
    const col = cols.find((c) => c.name === name);
    if (!col) throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: no column '${name}' (has: ${cols.map((c) => c.name).join(', ')})`, { file: path });
    return col;
  } finally {
    closeSync(fd);
  }
}
