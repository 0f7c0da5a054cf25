/**
 * The contract-suite harness for the Redis stores: each open() publishes into a fresh, unique key prefix
 * (`pymktest-<pid>-<random>`), opens the store through openStore(url) like the server does, and cleanup()
 * deletes every key under the prefixes it used. elapse() makes time pass for a prefix's values by
 * shortening every key's TTL (deleting the keys it runs out on), as Redis's own clock would.
 */
import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { openKvTarget, openStore, type KvTarget } from '../../src/store/index.js';
import { KvStore } from '../../src/store/kvStore.js';
import { parseClusterUrl } from '../../src/store/redisCluster.js';
import { publishSnapshot, type PublishOptions } from '../../src/store/publish.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import type { TtlConfig } from '../../src/store/ttl.js';
import type { OnlineStore } from '../../src/store/types.js';
import type { StoreHarness } from './contract.js';

export interface KvHarness extends StoreHarness {
  /** A URL with a fresh unique prefix (recorded for cleanup). */
  freshUrl(): string;
  /** Connects a publisher/maintenance client to a URL. */
  target(url: string): Promise<KvTarget>;
  /** Opens a store on a URL (closed by cleanup()). */
  openUrl(url: string, refreshMs?: number): Promise<KvStore>;
  /** Publishes with a short-lived client. */
  publish(url: string, snap: Snapshot, opts?: PublishOptions): Promise<void>;
}

export function withParams(url: string, params: Record<string, string>): string {
  const q = new URLSearchParams(params).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${q}`;
}

// PTTL of KEYS[1] shortened by ARGV[1] ms: deleted when that is all it had left; keys without a TTL are kept.
const ELAPSE = `local t = redis.call('PTTL', KEYS[1])
if t < 0 then return 0 end
if t <= tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], t - tonumber(ARGV[1])) end
return 1`;

/** A plain ioredis client on the harness's Redis (single node or cluster), for what the KvClient seam does not offer. */
function rawClient(baseUrl: string): Redis | Cluster {
  if (baseUrl.startsWith('redis-cluster:')) {
    const { nodes, username, password } = parseClusterUrl(baseUrl);
    return new Cluster(nodes, { redisOptions: { username, password } });
  }
  return new Redis(baseUrl.split('?')[0]);
}

const prefixOf = (url: string): string => new URLSearchParams(url.split('?')[1] ?? '').get('prefix')!;

export function kvHarness(baseUrl: string): KvHarness {
  const prefixes: string[] = [];
  const stores = new Map<OnlineStore, string>();
  const targets: KvTarget[] = [];
  const h: KvHarness = {
    embeddingTolerance: 2e-3 * 4, // f16 keeps ~11 bits: |x| < 4 for these N(0,1) vectors
    freshUrl() {
      const prefix = `pymktest-${process.pid}-${randomBytes(4).toString('hex')}`;
      prefixes.push(prefix);
      return withParams(baseUrl, { prefix });
    },
    async target(url) {
      const t = await openKvTarget(url);
      targets.push(t);
      return t;
    },
    async publish(url, snap, opts = {}) {
      const t = await openKvTarget(url);
      try {
        await publishSnapshot(t.kv, t.space, snap, { chunkUsers: 16, ...opts });
      } finally {
        await t.kv.close();
      }
    },
    async openUrl(url, refreshMs = 0) {
      const store = (await openStore(withParams(url, { refreshMs: String(refreshMs) }))) as KvStore;
      stores.set(store, url);
      return store;
    },
    async open(snap: Snapshot, ttl?: TtlConfig) {
      const url = h.freshUrl();
      await h.publish(url, snap, { ttl });
      return h.openUrl(url);
    },
    async replace(store, snap) {
      await h.publish(stores.get(store)!, snap, { graceMs: 50 });
      await (store as KvStore).refresh();
    },
    async elapse(store, ms) {
      const prefix = prefixOf(stores.get(store)!);
      const t = await openKvTarget(baseUrl);
      const raw = rawClient(baseUrl);
      try {
        await t.kv.scan(`${prefix}:*`, async (keys) => {
          await Promise.all(keys.map((k) => raw.eval(ELAPSE, 1, k, ms)));
        });
      } finally {
        await t.kv.close();
        raw.disconnect();
      }
    },
    async cleanup() {
      for (const s of stores.keys()) await s.close();
      for (const t of targets) await t.kv.close().catch(() => {});
      if (prefixes.length === 0) return;
      const t = await openKvTarget(baseUrl);
      try {
        for (const p of prefixes) await t.kv.scan(`${p}:*`, (keys) => t.kv.del(keys));
      } finally {
        await t.kv.close();
      }
    },
  };
  return h;
}
