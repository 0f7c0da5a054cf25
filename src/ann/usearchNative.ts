/**
 * Loads usearch's compiled binding directly. Its JavaScript wrapper converts every input to Float32Array
 * and lets the native f32→i8 cast rescale each vector to unit length, which makes an 'l2sq' i8 index rank
 * by angle; the native class accepts Int8Array codes as they are. The wrapper's ESM build also fails to
 * find its binary here, so this module resolves the package and loads the prebuilt addon with the loader
 * usearch itself depends on (node-gyp-build).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PymkError } from '../core/errors.js';

/** The native index (usearch/javascript/lib.cpp), as far as this adapter uses it. */
export interface NativeUsearch {
  add(keys: BigUint64Array, vectors: Float32Array | Int8Array, threads: number): void;
  /** [keys (n*k), distances (n*k), counts (n)] */
  search(queries: Float32Array | Int8Array, k: number, threads: number): [BigUint64Array, Float32Array, BigUint64Array];
  remove(keys: BigUint64Array): number[];
  contains(keys: BigUint64Array): boolean[];
  size(): number;
  capacity(): number;
  dimensions(): number;
  connectivity(): number;
  save(path: string): void;
  load(path: string): void;
  view(path: string): void;
}

export type NativeUsearchCtor = new (
  dimensions: number,
  metric: string,
  quantization: string,
  connectivity: number,
  expansionAdd: number,
  expansionSearch: number,
  multi: boolean,
) => NativeUsearch;

/** The addon's brute-force search: [row numbers (n*k), distances (n*k), counts (n)]. */
export type NativeExactSearch = (
  dataset: Float32Array | Int8Array,
  queries: Float32Array | Int8Array,
  dimensions: number,
  k: number,
  metric: string,
  threads: number,
) => [BigUint64Array, Float32Array, BigUint64Array];

interface Addon {
  CompiledIndex: NativeUsearchCtor;
  exactSearch: NativeExactSearch;
}

let cached: Addon | null = null;

/** The native CompiledIndex class (loaded once). */
export function nativeUsearch(): NativeUsearchCtor {
  return addon().CompiledIndex;
}

/** The addon's multi-threaded SIMD brute-force search (benchmark ground truth). */
export function nativeExactSearch(): NativeExactSearch {
  return exactChecked;
}

/**
 * The addon's exactSearch reads both arrays from the start of their ArrayBuffer, ignoring byteOffset (its
 * lib.cpp takes `.ArrayBuffer().Data()`), so a view into a larger buffer would silently search other rows.
 */
const exactChecked: NativeExactSearch = (dataset, queries, dimensions, k, metric, threads) => {
  if (dataset.byteOffset !== 0 || queries.byteOffset !== 0) {
    throw new PymkError('PYMK_INTERNAL', 'usearch exactSearch ignores byteOffset: pass arrays that start their buffer (copy views first)');
  }
  return addon().exactSearch(dataset, queries, dimensions, k, metric, threads);
};

function addon(): Addon {
  if (cached) return cached;
  try {
    const req = createRequire(import.meta.url);
    const main = req.resolve('usearch'); // <root>/javascript/dist/cjs/usearch.js
    const root = join(dirname(main), '..', '..', '..');
    const load = createRequire(join(root, 'package.json'))('node-gyp-build') as (dir: string) => Partial<Addon>;
    const a = load(root);
    if (typeof a.CompiledIndex !== 'function' || typeof a.exactSearch !== 'function') throw new Error('the addon lacks CompiledIndex or exactSearch');
    cached = a as Addon;
    return cached;
  } catch (e) {
    throw new PymkError('PYMK_INTERNAL', `cannot load usearch's native addon: ${(e as Error).message}`);
  }
}

/** Converts ids to the BigUint64Array keys usearch wants. */
export function toKeys(ids: ArrayLike<number>): BigUint64Array {
  const keys = new BigUint64Array(ids.length);
  for (let i = 0; i < ids.length; i++) keys[i] = BigInt(ids[i]);
  return keys;
}
