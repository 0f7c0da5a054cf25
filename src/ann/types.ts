/**
 * The ANN component's interfaces. Two levels:
 *
 * - `VectorIndex`: a synchronous, in-process index (exact, usearch, hnswlib, i8 + re-rank, tiered). Its calls
 *   run native code on the calling thread, so serving never calls it on the event loop directly.
 * - `AnnSearcher`: the asynchronous face serving uses. A worker pool (pool.ts) and the shard router
 *   (sharded/router.ts) implement it; `inlineSearcher()` adapts a VectorIndex for tests and tools.
 *
 * Ids are user ids: integers in [0, 2^31). Distances are "smaller is closer": squared L2 for 'l2sq',
 * 1 − cosine for 'cos'.
 */

/** Distance functions every implementation supports. */
export const METRICS = ['l2sq', 'cos'] as const;
export type Metric = (typeof METRICS)[number];

/** Anything that answers membership: a Set, or a view combining several (see exclude.ts). */
export interface IdFilter {
  has(id: number): boolean;
  readonly size: number;
}

/**
 * Ids to leave out of results: a Set (or another IdFilter), or a list such as a CSR neighbour slice.
 * Across threads and processes (pool, shards) only Sets and arrays travel.
 */
export type Exclusion = IdFilter | ArrayLike<number>;

export interface SearchOptions {
  /** How many results (fewer only when the index holds fewer non-excluded vectors). */
  k: number;
  /** Ids never returned (connections, blocked, the query user). The index over-fetches to still return k. */
  exclude?: Exclusion;
}

export interface BatchOptions {
  k: number;
  /** One exclusion per query (or none). */
  excludes?: readonly (Exclusion | undefined)[];
  /** Native threads for the batch (usearch); default 1. */
  threads?: number;
}

/** The results of one query, nearest first. */
export interface Hits {
  ids: Int32Array;
  distances: Float32Array;
}

/** Hits from a searcher that may have answered from only part of the data. */
export interface SearchResult extends Hits {
  /** True when some shard missed its deadline or failed: the answer covers only the shards that replied. */
  partial: boolean;
  /** The shards that did not answer (empty unless partial). */
  missingShards: number[];
}

/** A synchronous vector index. Mutating a read-only (memory-mapped) index throws PYMK_BAD_PARAM. */
export interface VectorIndex {
  /** The registry name of the implementation, e.g. 'usearch'. */
  readonly kind: string;
  readonly dim: number;
  readonly metric: Metric;
  /** True when opened from a file without write access (usearch view, or any opened main tier). */
  readonly readOnly: boolean;
  /** Vectors searchable now (removed ones excluded). */
  size(): number;
  has(id: number): boolean;
  /** Adds or replaces one vector. */
  upsert(id: number, vector: Float32Array): void;
  /** Bulk insert of new ids (n = ids.length, vectors n*dim, row-major); faster than upsert in a loop. */
  addBatch(ids: ArrayLike<number>, vectors: Float32Array, threads?: number): void;
  /** Removes an id; true when it was present. It is never returned again unless re-inserted. */
  remove(id: number): boolean;
  search(query: Float32Array, opts: SearchOptions): Hits;
  /** Queries packed row-major (n*dim). */
  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[];
  /** The stored f32 vector of an id, or null when unknown or not kept (usearch keeps no f32 copy). */
  vector(id: number): Float32Array | null;
  /** Search breadth (HNSW ef); a no-op for exact. */
  setEf(ef: number): void;
  /** Writes the index to `path` (plus `<path>.json` with its description); see openIndex(). */
  save(path: string): void;
  /** Frees native memory; the object is unusable afterwards. */
  close(): void;
}

/** The asynchronous index serving uses; never blocks the event loop. */
export interface AnnSearcher {
  readonly dim: number;
  readonly metric: Metric;
  size(): Promise<number>;
  search(query: Float32Array, opts: SearchOptions): Promise<SearchResult>;
  searchBatch(queries: Float32Array, opts: BatchOptions): Promise<SearchResult[]>;
  /**
   * Neighbours of a user already in the index, by id: looks the user's vector up where it is kept and
   * searches with the user excluded. Null when the index has no vector for that user.
   */
  searchUser(id: number, opts: SearchOptions): Promise<SearchResult | null>;
  upsert(id: number, vector: Float32Array): Promise<void>;
  remove(id: number): Promise<boolean>;
  close(): Promise<void>;
}
