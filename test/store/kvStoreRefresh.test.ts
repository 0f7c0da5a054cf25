/**
 * A Redis store whose timer refresh fails keeps serving what it has, and the failure is counted, kept and
 * reported once per change of state (failing, recovered). A fake KvClient stands in for Redis.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILE_FIELDS } from '../../src/core/tables.js';
import { KeySpace } from '../../src/store/keys.js';
import type { KvClient } from '../../src/store/kv.js';
import { KvStore } from '../../src/store/kvStore.js';
import { encodeMeta, META_FORMAT } from '../../src/store/meta.js';
import { PAIR_FEATURES } from '../../src/store/snapshot.js';
import { DEFAULT_TTL } from '../../src/store/ttl.js';

/** A KvClient holding one published generation whose reads fail while `down` is set. */
function fakeKv(space: KeySpace): KvClient & { down: Error | null } {
  const probe = space.gen(1, 1);
  const meta = encodeMeta({
    format: META_FORMAT,
    version: 'v1',
    gen: 1,
    users: 0,
    buckets: 1,
    pairFeatures: [...PAIR_FEATURES],
    ttl: DEFAULT_TTL,
    hasLists: false,
    embedding: null,
    keys: 2,
    publishedAt: new Date(0).toISOString(),
  });
  const values = new Map<string, Buffer>([
    [space.pointer(), Buffer.from('1')],
    [probe.meta(), Buffer.from(meta)],
    [probe.dicts(), Buffer.from(JSON.stringify(Object.fromEntries(PROFILE_FIELDS.map((f) => [f, []]))))],
  ]);
  const unused = (): never => {
    throw new Error('not used by this test');
  };
  const kv = {
    kind: 'fake',
    down: null as Error | null,
    nodeCount: () => 1,
    async get(key: string) {
      if (kv.down) throw kv.down;
      return values.get(key) ?? null;
    },
    async mget(keys: readonly string[]) {
      if (kv.down) throw kv.down;
      return keys.map((k) => values.get(k) ?? null);
    },
    set: unused,
    setRaw: unused,
    slotRouter: () => null,
    del: unused,
    incr: unused,
    script: unused,
    scan: unused,
    expire: unused,
    strategies: unused,
    async close() {},
  };
  return kv;
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a failing timer refresh is counted, kept and reported once; the recovery is reported once', async () => {
  const space = new KeySpace('refreshtest');
  const kv = fakeKv(space);
  const errors: [unknown, string][] = [];
  const recoveries: string[] = [];
  const store = await KvStore.open(kv, space, {
    url: 'redis://fake',
    refreshMs: 2,
    onError: (err, what) => errors.push([err, what]),
    onRecover: (what) => recoveries.push(what),
  });
  try {
    assert.deepEqual(store.refreshStats(), { failures: 0, consecutive: 0, lastError: null });
    const down = new Error('connection refused');
    kv.down = down;
    await until(() => store.refreshStats().consecutive >= 3, 'three failed refreshes');
    assert.equal(errors.length, 1, 'reported once, not on every tick');
    assert.equal(errors[0][0], down);
    assert.match(errors[0][1], /store refresh of redis:\/\/fake failed; still serving version v1/);
    assert.equal(store.refreshStats().lastError, down);
    assert.equal(store.version(), 'v1', 'keeps serving the generation it has');
    assert.equal(recoveries.length, 0);

    kv.down = null;
    await until(() => store.refreshStats().consecutive === 0, 'a successful refresh');
    const failed = store.refreshStats().failures;
    assert.ok(failed >= 3);
    await until(() => recoveries.length > 0, 'the recovery report');
    assert.equal(recoveries.length, 1);
    assert.match(recoveries[0], /store refresh of redis:\/\/fake recovered after \d+ failures/);
    assert.equal(store.refreshStats().lastError, down, 'the last error is kept after a recovery');
    assert.equal(errors.length, 1);
  } finally {
    await store.close();
  }
});
