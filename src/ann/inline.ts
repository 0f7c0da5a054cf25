/**
 * An AnnSearcher that runs a VectorIndex on the calling thread. For tests, tools and tiny indexes only:
 * each call blocks the event loop for the length of the search (use SearchPool or shards in a server).
 */
import { checkId } from './distance.js';
import { exclusionSet } from './exclude.js';
import type { AnnSearcher, BatchOptions, SearchOptions, SearchResult, VectorIndex } from './types.js';

export function inlineSearcher(index: VectorIndex): AnnSearcher {
  const full = <T extends object>(h: T): T & { partial: false; missingShards: number[] } => ({ ...h, partial: false, missingShards: [] });
  return {
    dim: index.dim,
    metric: index.metric,
    size: async () => index.size(),
    search: async (q: Float32Array, o: SearchOptions): Promise<SearchResult> => full(index.search(q, o)),
    searchBatch: async (q: Float32Array, o: BatchOptions): Promise<SearchResult[]> => index.searchBatch(q, o).map(full),
    async searchUser(id: number, o: SearchOptions): Promise<SearchResult | null> {
      checkId(id);
      const v = index.vector(id);
      if (!v) return null;
      const ex = exclusionSet(o.exclude);
      const exclude = { has: (x: number) => x === id || (ex?.has(x) ?? false), size: (ex?.size ?? 0) + 1 };
      return full(index.search(v, { k: o.k, exclude }));
    },
    upsert: async (id: number, v: Float32Array) => index.upsert(id, v),
    remove: async (id: number) => index.remove(id),
    close: async () => index.close(),
  };
}
