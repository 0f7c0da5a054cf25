/**
 * The search rule of an index in two tiers — a main index with some ids masked (their current vectors live
 * in the recent tier) and a small recent index — shared by TieredIndex (online inserts) and LayeredIndex
 * (an incremental bundle's recent tier).
 */
import { checkRows } from './distance.js';
import { exclusionSet, unionExclusion, type ExclusionSet } from './exclude.js';
import { mergeHits } from './topk.js';
import type { BatchOptions, Hits, SearchOptions, VectorIndex } from './types.js';

/** The k best of main (without the masked ids) and recent, the caller's exclusions applied to both. */
export function searchTwoTiers(main: VectorIndex, masked: ExclusionSet, recent: VectorIndex, query: Float32Array, opts: SearchOptions): Hits {
  const ex = exclusionSet(opts.exclude);
  const fromMain = main.search(query, { k: opts.k, exclude: unionExclusion(ex, masked.size ? masked : null) ?? undefined });
  if (recent.size() === 0) return fromMain;
  return mergeHits([fromMain, recent.search(query, { k: opts.k, exclude: ex ?? undefined })], opts.k);
}

/** A batch as one search per query row. */
export function searchEach(dim: number, queries: Float32Array, opts: BatchOptions, search: (q: Float32Array, o: SearchOptions) => Hits): Hits[] {
  const n = checkRows(queries, dim, 'queries');
  return Array.from({ length: n }, (_, i) => search(queries.subarray(i * dim, (i + 1) * dim), { k: opts.k, exclude: opts.excludes?.[i] }));
}
