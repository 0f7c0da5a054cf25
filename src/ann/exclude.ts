/**
 * Exclusions by over-fetching: ask the index for more than k, drop excluded ids, and ask again with a
 * larger k when too many of the top hits were excluded. At most |exclude| hits can be dropped, so the
 * loop ends by k + |exclude| at the latest; it starts at k + min(|exclude|, 2k) and doubles.
 */
import { PymkError } from '../core/errors.js';
import { noHits } from './topk.js';
import type { Exclusion, Hits, IdFilter } from './types.js';

/** What the search loop needs from an exclusion. */
export type ExclusionSet = IdFilter;

const isFilter = (ex: Exclusion): ex is IdFilter => typeof (ex as IdFilter).has === 'function';

/** A Set (or any IdFilter) stays as it is; a list becomes a Set. Null when there is nothing to exclude. */
export function exclusionSet(ex: Exclusion | undefined): ExclusionSet | null {
  if (!ex) return null;
  const set: ExclusionSet = isFilter(ex) ? ex : new Set(Array.from(ex));
  return set.size > 0 ? set : null;
}

/** A cloneable form (Set or array) for postMessage and the shard protocol. */
export function portableExclusion(ex: Exclusion | undefined): number[] | undefined {
  if (!ex) return undefined;
  if (!isFilter(ex)) return Array.from(ex);
  if (ex instanceof Set) return [...(ex as Set<number>)];
  throw new PymkError('PYMK_BAD_PARAM', 'only a Set or a list of ids can be sent to a worker or a shard');
}

/** The union of two exclusions (either may be null). */
export function unionExclusion(a: ExclusionSet | null, b: ExclusionSet | null): ExclusionSet | null {
  if (!a) return b;
  if (!b) return a;
  return { has: (id) => a.has(id) || b.has(id), size: a.size + b.size };
}

/** Copies the first `k` hits whose ids pass `keep`. */
export function filterHits(h: Hits, k: number, ex: ExclusionSet | null): Hits {
  if (!ex) return h.ids.length <= k ? h : { ids: h.ids.slice(0, k), distances: h.distances.slice(0, k) };
  const ids: number[] = [];
  const dist: number[] = [];
  for (let i = 0; i < h.ids.length && ids.length < k; i++) {
    if (!ex.has(h.ids[i])) {
      ids.push(h.ids[i]);
      dist.push(h.distances[i]);
    }
  }
  return { ids: Int32Array.from(ids), distances: Float32Array.from(dist) };
}

/**
 * Searches with over-fetch: `fetch(kk)` returns the kk nearest (fewer when the index is smaller);
 * `available` is the index size. Returns up to k hits none of which is excluded.
 */
export function searchExcluding(fetch: (kk: number) => Hits, k: number, ex: ExclusionSet | null, available: number): Hits {
  if (available <= 0) return noHits();
  if (!ex) return fetch(Math.min(k, available));
  const most = Math.min(available, k + ex.size);
  let kk = Math.min(most, k + Math.min(ex.size, 2 * k));
  for (;;) {
    const h = fetch(kk);
    const kept = filterHits(h, k, ex);
    if (kept.ids.length >= k || h.ids.length < kk || kk >= most) return kept;
    kk = Math.min(most, kk * 2);
  }
}
