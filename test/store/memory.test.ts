/** The contract suite on the embedded memory store (TTLs checked on read), plus its own fast-path checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { OnlineStore } from '../../src/store/types.js';
import { storeContract } from './contract.js';
import { randomSnapshot } from './fixtures.js';

// Each store reads its own fake clock, moved only by elapse().
const clocks = new Map<OnlineStore, { now: number }>();
storeContract('memory://', {
  async open(snap, ttl) {
    const clock = { now: 1_000_000 };
    const store = new MemoryStore(snap, { ttl: ttl ?? null, clock: () => clock.now });
    clocks.set(store, clock);
    return store;
  },
  async replace(store, snap) {
    (store as MemoryStore).swap(snap);
  },
  async elapse(store, ms) {
    clocks.get(store)!.now += ms;
  },
  async cleanup() {},
  embeddingTolerance: 0,
});

test('memory:// opened by URL applies the seed TTLs, then falls back to live 2-hop', async () => {
  const snap = randomSnapshot({ users: 40, seed: 3 });
  let now = 1_000_000;
  const store = (await openStore('memory://', { snapshot: snap, clock: () => now })) as MemoryStore;
  assert.equal(store.url, 'memory://');
  const c = snap.candidates;
  const u = [...Array(40).keys()].find((x) => snap.graph.degree(x) > 0 && c.offsets[x + 1] > c.offsets[x])!;
  const at = async (seconds: number) => {
    now = 1_000_000 + seconds * 1000;
    return store.fetchRankingInputs(u);
  };
  assert.equal((await at(3599)).user.degree[0], snap.graph.degree(u));
  assert.equal((await at(3601)).user.degree[0], -1, 'profiles: 1h');
  assert.equal((await at(4 * 3600 - 1)).source, 'stored');
  const after = await at(4 * 3600 + 1);
  assert.notEqual(after.source, 'stored', 'candidate lists: 4h, then the live fallback');
  assert.deepEqual(Array.from(after.connections), Array.from(snap.graph.neighbors(u)));
  now = 1_000_000 + 24 * 3600 * 1000 - 1;
  assert.equal(await store.resolveUser(snap.ids.value(u)), u);
  now += 2;
  await assert.rejects(store.resolveUser(snap.ids.value(u)), (e: Error & { code?: string }) => e.code === 'PYMK_STORE_UNAVAILABLE', 'ids and the version: 24h');
  // The text form of the override works too.
  const custom = (await openStore('memory://', { snapshot: snap, ttl: 'profile=10', clock: () => now })) as MemoryStore;
  now += 10_001;
  assert.equal((await custom.fetchRankingInputs(u)).user.degree[0], -1);
});

test('openStore rejects unknown schemes with the list of known ones', async () => {
  await assert.rejects(openStore('mongo://x'), (e: Error & { code?: string }) => e.code === 'PYMK_UNKNOWN_NAME' && /memory:, redis:, redis-cluster:/.test(e.message));
  await assert.rejects(openStore('not a url'), (e: Error & { code?: string }) => e.code === 'PYMK_CONFIG');
});
