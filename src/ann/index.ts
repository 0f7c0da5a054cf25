/**
 * The ANN component: find the users whose embeddings are nearest a query.
 *
 *   // offline: the pipeline's annStage() writes ann/main.usearch + ann/index.json into the bundle
 *   // online, per bundle (searches run in worker threads, never on the event loop):
 *   const ann = await SearchPool.start({ spec: servingSpec(bundleDir, bundleVersion, stateDir), workers: 2 });
 *   const hits = await ann.searchUser(user, { k: 200, exclude: connectionsAndBlocked }); // null: no embedding
 *   await ann.upsert(newUser, embedding);   // searchable when the promise resolves
 *   await ann.remove(bannedUser);           // never returned again, across restarts
 *
 * Implementations side by side (registry.ts): exact (the oracle), usearch (f32/f16/i8, memory-mapped views),
 * hnswlib, rerank (i8 + exact f32); tiered.ts (main + recent tier, log, compaction); pool.ts (worker
 * threads); sharded/ (shard processes and a router). See docs/ann.md.
 */
export type { AnnSearcher, BatchOptions, Exclusion, Hits, IdFilter, Metric, SearchOptions, SearchResult, VectorIndex } from './types.js';
export { METRICS } from './types.js';
export { createIndex, openIndex, INDEX_KINDS, type OpenMode } from './registry.js';
export { ExactIndex } from './exact.js';
export { UsearchIndex, USEARCH_DEFAULTS, USEARCH_DTYPES, bruteForceSearch, type UsearchDtype, type UsearchOptions } from './usearch.js';
export { HnswlibIndex, HNSWLIB_DEFAULTS, type HnswlibOptions } from './hnswlib.js';
export { ScalarQuantizer, type QuantizerParams } from './quantize.js';
export { RerankedIndex, RERANK_DEFAULTS, type RerankOptions } from './rerank.js';
export { FileVectorStore, MappedVectorStore, MemoryVectorStore, openVectorFile, type VectorFileMode, type VectorStore } from './vectors.js';
export { TieredIndex, TIERED_DEFAULTS, type MainSpec, type TieredOptions, type TierStats } from './tiered.js';
export { SearchPool, type PoolOptions } from './pool.js';
export { inlineSearcher } from './inline.js';
export { BUNDLE_ANN_MANIFEST, mainSpecOf, openBundleIndex, openSpec, readBundleAnn, servingSpec, type BundleAnnManifest, type OpenSpec } from './open.js';
export { sampledRecall, type RecallReport } from './quality.js';
export { ShardRouter, ROUTER_DEFAULTS, type Endpoint, type RouterOptions } from './sharded/router.js';
export { buildShards, startShards, type ShardCluster, type ShardProcess } from './sharded/launch.js';
