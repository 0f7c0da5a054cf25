import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { SearchPool } from '../../src/ann/pool.js';
import { openIndex } from '../../src/ann/registry.js';
import { UsearchIndex } from '../../src/ann/usearch.js';
import { clustered, row, withTmp } from './fixtures.js';

const D = 16;
const N = 3000;
const data = clustered(N, D, 31);
const ids = Int32Array.from({ length: N }, (_, i) => i);
const queries = clustered(40, D, 32);

function saveUsearch(path: string): void {
  const x = UsearchIndex.create(D, 'l2sq', { dtype: 'f32', connectivity: 16, expansionAdd: 128, expansionSearch: 64, threads: 2 });
  x.addBatch(ids, data);
  x.save(path);
  x.close();
}

test('a pool over a memory-mapped usearch file answers exactly like the index opened here', async () => {
  await withTmp(async (dir) => {
    const path = join(dir, 'main.usearch');
    saveUsearch(path);
    const local = openIndex(path, 'view');
    const pool = await SearchPool.start({ spec: { type: 'file', path }, workers: 2 });
    try {
      assert.equal(await pool.size(), N);
      const got = await Promise.all(Array.from({ length: 40 }, (_, q) => pool.search(row(queries, q, D), { k: 10, exclude: new Set([q]) })));
      for (let q = 0; q < 40; q++) {
        assert.deepEqual([...got[q].ids], [...local.search(row(queries, q, D), { k: 10, exclude: new Set([q]) }).ids]);
        assert.equal(got[q].partial, false);
      }
      const batch = await pool.searchBatch(queries, { k: 5 });
      assert.equal(batch.length, 40);
      for (let q = 0; q < 40; q++) assert.deepEqual([...batch[q].ids], [...local.search(row(queries, q, D), { k: 5 }).ids]);
      // A user's own neighbours come back without the user; an id with no stored vector gives null (usearch keeps none).
      assert.equal(await pool.searchUser(5, { k: 5 }), null);
      // A worker that dies is replaced: searches keep working.
      await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0].worker.terminate();
      for (let q = 0; q < 6; q++) assert.deepEqual([...(await pool.search(row(queries, q, D), { k: 10 })).ids], [...local.search(row(queries, q, D), { k: 10 }).ids]);
      // Errors keep their codes across the thread boundary.
      await assert.rejects(pool.upsert(1, row(data, 1, D)), (e) => isPymkError(e) && e.code === 'PYMK_BAD_PARAM');
      await assert.rejects(pool.search(new Float32Array(3), { k: 5 }), (e) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT');
    } finally {
      await pool.close();
      local.close();
    }
  });
});

test('tiered pool: an insert is visible on every worker at once, removals stick, and a restart keeps both', async () => {
  await withTmp(async (dir) => {
    const main = new ExactIndex(D, 'l2sq');
    main.addBatch(ids, data);
    main.save(join(dir, 'main.idx'));
    const spec = { type: 'tiered' as const, main: { type: 'file' as const, path: join(dir, 'main.idx') }, tier: { dir: join(dir, 'tier'), base: 'v1', idLimit: N } };
    let pool = await SearchPool.start({ spec, workers: 2 });
    const v = new Float32Array(D).fill(30);
    try {
      await pool.upsert(N + 1, v);
      // Several concurrent searches land on both workers; every one, sent right after the upsert, sees the new user.
      const seen = await Promise.all(Array.from({ length: 8 }, () => pool.search(v, { k: 1 })));
      for (const h of seen) assert.equal(h.ids[0], N + 1);
      assert.equal(await pool.remove(77), true);
      const gone = await Promise.all(Array.from({ length: 8 }, () => pool.search(row(data, 77, D), { k: 20 })));
      for (const h of gone) assert.ok(!h.ids.includes(77));
      const mine = await pool.searchUser(N + 1, { k: 3, exclude: [] });
      assert.ok(mine && !mine.ids.includes(N + 1) && mine.ids.length === 3);
      const near = await pool.searchUser(10, { k: 5, exclude: new Set([11]) });
      assert.ok(near && !near.ids.includes(10) && !near.ids.includes(11));
      assert.deepEqual(await pool.size(), N);
      // insertNew: the same vector again (f16-rounded) is no change; another vector under the id replaces it.
      assert.equal(await pool.insertNew(N + 1, v.map((x) => x * 1.0004)), false);
      const other = new Float32Array(D).fill(-30);
      assert.equal(await pool.insertNew(N + 1, other), true);
      assert.equal((await pool.search(other, { k: 1 })).ids[0], N + 1);
      assert.equal(await pool.insertNew(N + 1, v), true);
    } finally {
      await pool.close();
    }
    pool = await SearchPool.start({ spec, workers: 2 });
    try {
      assert.equal((await pool.search(v, { k: 1 })).ids[0], N + 1);
      assert.ok(!(await pool.search(row(data, 77, D), { k: 20 })).ids.includes(77));
      const r = await pool.compact({ kind: 'exact', options: {} });
      assert.equal(r.vectors, N);
      const after = await Promise.all(Array.from({ length: 4 }, () => pool.search(v, { k: 1 })));
      for (const h of after) assert.equal(h.ids[0], N + 1);
      assert.equal((await pool.stats()).recent, 0);
    } finally {
      await pool.close();
    }
  });
});

test('one log writer per state folder: a non-writing pool replays the log but keeps its own changes in memory', async () => {
  await withTmp(async (dir) => {
    const data = clustered(N, D, 41);
    const main = new ExactIndex(D, 'l2sq');
    main.addBatch(Int32Array.from({ length: N }, (_, i) => i), data);
    main.save(join(dir, 'main.idx'));
    const spec = { type: 'tiered' as const, main: { type: 'file' as const, path: join(dir, 'main.idx') }, tier: { dir: join(dir, 'tier'), base: 'v1', idLimit: N } };
    const logged = new Float32Array(D).fill(40);
    const unlogged = new Float32Array(D).fill(-40);
    // Two serving processes on one state folder: only the first writes the log.
    const readOnly = { ...spec, tier: { ...spec.tier, writeLog: false } };
    const writer = await SearchPool.start({ spec, workers: 1 });
    const reader = await SearchPool.start({ spec: readOnly, workers: 2 });
    try {
      await writer.upsert(N + 1, logged);
      await reader.upsert(N + 2, unlogged);
      assert.equal((await reader.search(unlogged, { k: 1 })).ids[0], N + 2, 'the reader serves its own insert');
      await assert.rejects(reader.compact({ kind: 'exact', options: {} }), /only the log writer may compact/);
    } finally {
      await writer.close();
      await reader.close();
    }
    const restarted = await SearchPool.start({ spec: readOnly, workers: 1 });
    try {
      assert.equal((await restarted.search(logged, { k: 1 })).ids[0], N + 1, "the writer's insert survives a restart");
      assert.notEqual((await restarted.search(unlogged, { k: 1 })).ids[0], N + 2, "the reader's does not");
    } finally {
      await restarted.close();
    }
  });
});

test('searches in the pool leave the event loop free; the same searches inline hold it', async (t) => {
  await withTmp(async (dir) => {
    const big = clustered(20000, D, 33);
    const x = new ExactIndex(D, 'l2sq');
    x.addBatch(Int32Array.from({ length: 20000 }, (_, i) => i), big);
    x.save(join(dir, 'exact.idx'));
    const qs = clustered(200, D, 34);
    // How many turns of the event loop (setImmediate callbacks, each rescheduling itself) ran while `run` was
    // outstanding: work that leaves the loop free lets it turn; work on the main thread does not.
    const turnsDuring = async (run: () => Promise<unknown>): Promise<number> => {
      let turns = 0;
      let running = true;
      const turn = (): void => {
        if (!running) return;
        turns++;
        setImmediate(turn);
      };
      setImmediate(turn);
      await run();
      running = false;
      return turns;
    };
    // Inline: 200 brute-force searches back to back, with no await between them.
    const inline = await turnsDuring(async () => {
      for (let q = 0; q < 200; q++) x.search(row(qs, q, D), { k: 10 });
    });
    assert.equal(inline, 0, 'inline searches hold the loop until they are done');
    const pool = await SearchPool.start({ spec: { type: 'file', path: join(dir, 'exact.idx') }, workers: 1 });
    try {
      const results: number[][] = [];
      const pooled = await turnsDuring(async () => {
        const all = await Promise.all(Array.from({ length: 200 }, (_, q) => pool.search(row(qs, q, D), { k: 10 })));
        for (const h of all) results.push([...h.ids]);
      });
      t.diagnostic(`event-loop turns while searching: pool ${pooled}, inline ${inline}`);
      assert.ok(pooled > 0, 'the loop turned while the pool searched');
      for (let q = 0; q < 200; q += 37) assert.deepEqual(results[q], [...x.search(row(qs, q, D), { k: 10 }).ids], `query ${q}: the same answers`);
    } finally {
      await pool.close();
    }
  });
});
