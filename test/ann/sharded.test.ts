import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExactIndex } from '../../src/ann/exact.js';
import { buildShards, startShards, type ShardCluster } from '../../src/ann/sharded/launch.js';
import type { Metric } from '../../src/ann/types.js';
import { clustered, recall, row, withTmp } from './fixtures.js';

const D = 16;
const N = 4000;
const SHARDS = 4;
const data = clustered(N, D, 41);
const ids = Int32Array.from({ length: N }, (_, i) => i);
const queries = clustered(30, D, 42);

async function cluster(dir: string, kind: string, options: Record<string, unknown>, metric: Metric = 'l2sq', deadlineMs = 2000): Promise<ShardCluster> {
  const paths = buildShards(ids, data, D, metric, SHARDS, kind, options, dir);
  return startShards(paths.map((path) => ({ type: 'file' as const, path, mode: 'load' as const })), { dim: D, metric, deadlineMs });
}

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};

test('sharded exact search returns the same top-k as one index over the same vectors, exclusions included', async () => {
  await withTmp(async (dir) => {
    const c = await cluster(dir, 'exact', {});
    const single = new ExactIndex(D, 'l2sq');
    single.addBatch(ids, data);
    try {
      assert.equal(await c.router.size(), N);
      for (let q = 0; q < 30; q++) {
        const exclude = new Set(single.search(row(queries, q, D), { k: 7 }).ids); // the 7 nearest, spread over shards
        const got = await c.router.search(row(queries, q, D), { k: 20, exclude });
        const want = single.search(row(queries, q, D), { k: 20, exclude });
        assert.equal(got.partial, false);
        assert.deepEqual([...got.ids], [...want.ids], `query ${q}`);
        assert.deepEqual([...got.distances], [...want.distances]);
      }
      const batch = await c.router.searchBatch(queries.slice(0, 5 * D), { k: 10, excludes: [undefined, new Set([1, 2])] });
      for (let q = 0; q < 5; q++) assert.deepEqual([...batch[q].ids], [...single.search(row(queries, q, D), { k: 10, exclude: q === 1 ? new Set([1, 2]) : undefined }).ids]);
      // Writes go to the owner; a user's search leaves the user out.
      const v = new Float32Array(D).fill(25);
      await c.router.upsert(N + 3, v);
      assert.equal((await c.router.search(v, { k: 1 })).ids[0], N + 3);
      const mine = await c.router.searchUser(N + 3, { k: 5 });
      assert.ok(mine && !mine.ids.includes(N + 3) && mine.ids.length === 5);
      assert.equal(await c.router.remove(N + 3), true);
      assert.ok(!(await c.router.search(v, { k: 10 })).ids.includes(N + 3));
    } finally {
      await c.stop();
    }
    for (const s of c.shards) assert.equal(alive(s.child.pid), false, `shard ${s.shard} still running`);
  });
});

test('sharded usearch keeps recall against exact search', async () => {
  await withTmp(async (dir) => {
    const c = await cluster(dir, 'usearch', { dtype: 'f32', connectivity: 16, expansionAdd: 128, expansionSearch: 64, threads: 1 });
    const single = new ExactIndex(D, 'l2sq');
    single.addBatch(ids, data);
    try {
      const got = await Promise.all(Array.from({ length: 30 }, (_, q) => c.router.search(row(queries, q, D), { k: 10 })));
      const want = Array.from({ length: 30 }, (_, q) => single.search(row(queries, q, D), { k: 10 }));
      const r = recall(got, want, 10);
      assert.ok(r >= 0.97, `recall ${r}`);
    } finally {
      await c.stop();
    }
  });
});

// The timeout only turns "never returned" into a failure; how soon the deadline answers is for bench/.
test('a killed shard gives a flagged partial answer over the others; a stalled one is cut at the deadline', { timeout: 60_000 }, async () => {
  await withTmp(async (dir) => {
    const c = await cluster(dir, 'exact', {}, 'l2sq', 300);
    try {
      const q = row(queries, 0, D);
      assert.equal((await c.router.search(q, { k: 10 })).partial, false);
      // Kill shard 2: the answer is the exact top-k over the other shards' users, flagged.
      c.shards[2].child.kill('SIGKILL');
      await new Promise((r) => c.shards[2].child.once('exit', r));
      const others = new ExactIndex(D, 'l2sq');
      for (let i = 0; i < N; i++) if (i % SHARDS !== 2) others.upsert(i, row(data, i, D));
      for (let attempt = 0; attempt < 2; attempt++) {
        const got = await c.router.search(q, { k: 10 });
        assert.equal(got.partial, true);
        assert.deepEqual(got.missingShards, [2]);
        assert.deepEqual([...got.ids], [...others.search(q, { k: 10 }).ids]);
      }
      const lost = await c.router.searchUser(2, { k: 5 }); // user 2 lives on the dead shard
      assert.ok(lost && lost.partial && lost.missingShards.includes(2));
      // Stop shard 1: it holds its connection but never answers; at the deadline the router answers without it.
      c.shards[1].child.kill('SIGSTOP');
      const late = await c.router.search(q, { k: 10 });
      assert.equal(late.partial, true);
      assert.deepEqual(late.missingShards, [1, 2]);
      const answering = new ExactIndex(D, 'l2sq');
      for (let i = 0; i < N; i++) if (i % SHARDS === 0 || i % SHARDS === 3) answering.upsert(i, row(data, i, D));
      assert.deepEqual([...late.ids], [...answering.search(q, { k: 10 }).ids], 'the exact top-k over the shards that answered');
      c.shards[1].child.kill('SIGCONT');
      const back = await c.router.search(q, { k: 10 });
      assert.deepEqual(back.missingShards, [2]);
    } finally {
      await c.stop();
    }
    for (const s of c.shards) assert.equal(alive(s.child.pid), false);
  });
});
