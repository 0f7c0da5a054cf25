/** The contract suite on the embedded memory store (TTLs checked on read), plus its own fast-path checks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';
import { randomSnapshot } from './fixtures.js';

storeContract('memory://', {
  async open(snap, ttl) {
    return new MemoryStore(snap, { ttl: ttl ?? null });
  },
  async replace(store, snap) {
    (store as MemoryStore).swap(snap);
  },
  async cleanup() {},
  embeddingTolerance: 0,
});

test('memory:// opened by URL applies the seed TTLs and a live 2-hop fallback', async () => {
  const snap = randomSnapshot({ users: 40, seed: 3 });
  let now = 1_000_000;
  const store = (await openStore('memory://', { snapshot: snap, ttl: 'profile=10,candidates=20' })) as MemoryStore;
  assert.equal(store.url, 'memory://');
  // A store with an injected clock shows the deadline logic without waiting.
  const timed = new MemoryStore(snap, { ttl: (await import('../../src/store/ttl.js')).ttlConfig({ profile: 10 }), clock: () => now });
  const u = [...Array(40).keys()].find((x) => snap.graph.degree(x) > 0)!;
  assert.notEqual((await timed.fetchRankingInputs(u)).user.degree[0], -1);
  now += 10_001;
  assert.equal((await timed.fetchRankingInputs(u)).user.degree[0], -1);
  // No stored list → live 2-hop when the graph has one.
  const none = [...Array(40).keys()].find((x) => snap.candidates.offsets[x + 1] === snap.candidates.offsets[x] && snap.graph.degree(x) > 0);
  if (none !== undefined) assert.notEqual((await store.fetchRankingInputs(none)).source, 'stored');
});

test('openStore rejects unknown schemes with the list of known ones', async () => {
  await assert.rejects(openStore('mongo://x'), (e: Error & { code?: string }) => e.code === 'PYMK_UNKNOWN_NAME' && /memory:, redis:, redis-cluster:/.test(e.message));
  await assert.rejects(openStore('not a url'), (e: Error & { code?: string }) => e.code === 'PYMK_CONFIG');
});
