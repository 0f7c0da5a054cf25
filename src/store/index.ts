/**
 * Opens an online store by URL scheme. Each backend registers one opener; an unknown scheme fails with the
 * list of known ones.
 *
 * - `memory://` — the embedded default: serves the bundle loaded in this process (needs `snapshot`).
 * - `redis://host:port[/db][?prefix=pymk&refreshMs=1000]` — one Redis server.
 * - `redis-cluster://host:port[,host:port…][?prefix=…]` — Redis Cluster.
 * The Redis drivers are imported only when such a URL is opened, so the embedded default never loads ioredis.
 */
import { CANDIDATES_PER_USER } from '../core/config.js';
import { PymkError, unknownName } from '../core/errors.js';
import type { Graph } from '../graph/csr.js';
import { PathCounter, pathFeatureColumns } from '../graph/paths.js';
import { twoHop, TwoHopScratch } from '../graph/twoHop.js';
import { KeySpace } from './keys.js';
import type { KvClient } from './kv.js';
import { KvStore, STORE_REFRESH_MS } from './kvStore.js';
import type { FailureReport } from '../core/failures.js';
import { MemoryStore, type LiveCandidates } from './memory.js';
import { completePairFeatures, type Snapshot } from './snapshot.js';
import { DEFAULT_TTL, ttlConfig, type TtlConfig } from './ttl.js';
import type { OnlineStore } from './types.js';

export type { OnlineStore, RankingInputs, UserColumns, CandidateSource, StoreWriter } from './types.js';
export type { Snapshot } from './snapshot.js';
export { MemoryStore } from './memory.js';
export { KvStore, STORE_REFRESH_MS } from './kvStore.js';
export { publishSnapshot, PUBLISH_RETIRE_GRACE_MS, type PublishOptions, type PublishReport } from './publish.js';
export { publishChanges, type ChangesOptions, type ChangesReport } from './publishChanges.js';
export { verifyPublished, keyKind, claimLock, type VerifyReport, type VerifyState } from './verify.js';
export { DEFAULT_TTL, TTL_KINDS, ttlConfig, type TtlConfig, type TtlKind } from './ttl.js';

/** onError/onRecover: where a Redis store reports its timer's pointer refreshes failing and recovering. */
export interface OpenStoreOptions extends FailureReport {
  /** The data to serve (required by memory://). */
  snapshot?: Snapshot;
  /** Candidates kept when computing a live 2-hop list for a user without a stored one (memory://). */
  liveTopN?: number;
  /** TTLs the memory store checks on read (default: the seed's, DEFAULT_TTL). Redis values carry theirs. */
  ttl?: TtlConfig | string;
  /** Milliseconds clock for the memory store's TTL checks (tests). */
  clock?: () => number;
  /** Called when a Redis store's refresh finds another version published (not on open). */
  onVersion?: (version: string) => void;
}

type Opener = (url: string, opts: OpenStoreOptions) => Promise<OnlineStore>;

/** A Redis target: the driver behind the KvClient seam and the key prefix from the URL. */
export interface KvTarget {
  kv: KvClient;
  space: KeySpace;
  refreshMs: number;
}

const KV_SCHEMES: Record<string, (url: string) => Promise<KvClient>> = {
  'redis:': async (url) => (await import('./redis.js')).RedisKv.connect(url),
  'redis-cluster:': async (url) => (await import('./redisCluster.js')).ClusterKv.connect(url),
};

const OPENERS: Record<string, Opener> = {
  'memory:': async (url, opts) => {
    if (!opts.snapshot) throw new PymkError('PYMK_CONFIG', 'memory:// store needs a bundle to serve (--bundle DIR)');
    const ttl = typeof opts.ttl === 'string' ? ttlConfig(opts.ttl) : (opts.ttl ?? DEFAULT_TTL);
    return new MemoryStore(opts.snapshot, { url, live: liveTwoHop(opts.liveTopN ?? CANDIDATES_PER_USER), ttl, clock: opts.clock });
  },
  'redis:': (url, opts) => openKvStore(url, opts),
  'redis-cluster:': (url, opts) => openKvStore(url, opts),
};

function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `store URL '${url}' is not a URL (e.g. memory://, redis://127.0.0.1:6379)`);
  return m[1].toLowerCase();
}

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<OnlineStore> {
  const scheme = schemeOf(url);
  const open = OPENERS[scheme];
  if (!open) throw unknownName('store scheme', scheme, Object.keys(OPENERS));
  return open(url, opts);
}

/** Connects to a Redis URL for publishing or maintenance; fails for schemes that are not Redis. */
export async function openKvTarget(url: string): Promise<KvTarget> {
  const scheme = schemeOf(url);
  const connect = KV_SCHEMES[scheme];
  if (!connect) throw unknownName('Redis store scheme', scheme, Object.keys(KV_SCHEMES));
  const q = url.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? url.slice(q + 1) : '');
  const space = new KeySpace(params.get('prefix') ?? 'pymk');
  const refreshMs = Number(params.get('refreshMs') ?? STORE_REFRESH_MS);
  if (!Number.isFinite(refreshMs) || refreshMs < 0) throw new PymkError('PYMK_CONFIG', `store URL '${url}': refreshMs must be >= 0`);
  return { kv: await connect(url), space, refreshMs };
}

async function openKvStore(url: string, opts: OpenStoreOptions): Promise<OnlineStore> {
  const t = await openKvTarget(url);
  return KvStore.open(t.kv, t.space, { url, refreshMs: t.refreshMs, onError: opts.onError, onRecover: opts.onRecover, onVersion: opts.onVersion });
}

/** Live 2-hop candidates over the snapshot's graph, with one reusable scratch buffer per graph size. */
export function liveTwoHop(topN: number): LiveCandidates {
  let scratch: TwoHopScratch | null = null;
  let paths: { graph: Graph; counter: PathCounter } | null = null;
  return (snap, uid) => {
    if (uid >= snap.graph.n || snap.graph.degree(uid) === 0) return null;
    if (!scratch || scratch.n !== snap.graph.n) scratch = new TwoHopScratch(snap.graph.n, topN);
    const c = twoHop(snap.graph, uid, { topN }, scratch);
    if (!paths || paths.graph !== snap.graph) paths = { graph: snap.graph, counter: new PathCounter(snap.graph) };
    const p = pathFeatureColumns(snap.graph, [uid], Int32Array.of(0, c.cand.length), c.cand, paths.counter);
    return { ids: c.cand, score: c.score, features: completePairFeatures({ ...c.features, ...p }, c.cand.length) };
  };
}
