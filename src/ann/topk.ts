/** Top-k selection and merging of sorted hit lists (nearest first). */
import { TopK } from '../core/topk.js';
import type { Hits } from './types.js';

/** A TopK's pairs as hits, nearest first (the heap is emptied). */
export function hitsOf(top: TopK): Hits {
  const { ids, keys } = top.drain();
  return { ids, distances: Float32Array.from(keys) };
}

/** Merges hit lists into the k nearest distinct ids (an id in several lists keeps its smallest distance). */
export function mergeHits(lists: readonly Hits[], k: number): Hits {
  const best = new Map<number, number>();
  for (const h of lists) {
    for (let i = 0; i < h.ids.length; i++) {
      const prev = best.get(h.ids[i]);
      if (prev === undefined || h.distances[i] < prev) best.set(h.ids[i], h.distances[i]);
    }
  }
  const top = new TopK(k);
  for (const [id, d] of best) top.push(id, d);
  return hitsOf(top);
}

/** Hits with nothing in them. */
export const noHits = (): Hits => ({ ids: new Int32Array(0), distances: new Float32Array(0) });
