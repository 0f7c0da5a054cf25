import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ExactIndex } from '../../src/ann/exact.js';
import { createIndex, openIndex } from '../../src/ann/registry.js';
import { TieredIndex, type TieredOptions } from '../../src/ann/tiered.js';
import type { Metric, VectorIndex } from '../../src/ann/types.js';
import { clustered, row, withTmp } from './fixtures.js';

const D = 8;
const N = 400;
const data = clustered(N, D, 21);
const ids = Int32Array.from({ length: N }, (_, i) => i);

/** Saves an exact main over the data and returns an opener for it (read-only, like a bundle's index). */
function savedMain(dir: string, metric: Metric = 'l2sq'): () => VectorIndex {
  const x = new ExactIndex(D, metric);
  x.addBatch(ids, data);
  x.save(join(dir, 'main.idx'));
  return () => openIndex(join(dir, 'main.idx'), 'view');
}

const tiers = (dir: string, base: () => VectorIndex, extra: Partial<TieredOptions> = {}): TieredIndex =>
  TieredIndex.open(base, { dir: join(dir, 'tier'), base: 'v1', idLimit: N, ...extra });

/** Applies the same changes to the tiers and to an exact oracle of the final set. */
function churn(t: TieredIndex, oracle: ExactIndex, seed: number): void {
  const extra = clustered(30, D, seed);
  for (let i = 0; i < 10; i++) {
    t.upsert(N + i, row(extra, i, D)); // new users
    oracle.upsert(N + i, row(extra, i, D));
  }
  for (let i = 0; i < 10; i++) {
    t.upsert(i * 7, row(extra, 10 + i, D)); // users whose embedding changed
    oracle.upsert(i * 7, row(extra, 10 + i, D));
  }
  for (const id of [1, 2, 3, 100, N + 1]) {
    assert.equal(t.remove(id), true);
    oracle.remove(id);
  }
  assert.equal(t.remove(1), false);
}

function sameAsOracle(t: VectorIndex, oracle: ExactIndex, what: string): void {
  assert.equal(t.size(), oracle.size(), `${what}: size`);
  const qs = clustered(20, D, 99);
  for (let q = 0; q < 20; q++) {
    const exclude = new Set([q, q + 50]);
    const got = t.search(row(qs, q, D), { k: 15, exclude });
    const want = oracle.search(row(qs, q, D), { k: 15, exclude });
    assert.deepEqual([...got.ids], [...want.ids], `${what}: query ${q}`);
  }
}

test('tiered search equals exact search over the final set after inserts, updates and removals', async () => {
  await withTmp((dir) => {
    const t = tiers(dir, savedMain(dir));
    const oracle = new ExactIndex(D, 'l2sq');
    oracle.addBatch(ids, data);
    churn(t, oracle, 5);
    sameAsOracle(t, oracle, 'live');
    t.close();
  });
});

test('an online insert is returned by the very next search; a removed user never comes back', async () => {
  await withTmp((dir) => {
    const t = tiers(dir, savedMain(dir));
    const v = new Float32Array(D).fill(20);
    assert.notEqual(t.search(v, { k: 1 }).ids[0], 5000);
    t.upsert(5000, v);
    assert.equal(t.search(v, { k: 1 }).ids[0], 5000, 'no flush, compaction or wait in between');
    // Remove a main-tier user and a recent one: neither is returned, even searching with their own vectors.
    const own = row(data, 42, D);
    t.remove(42);
    t.remove(5000);
    assert.ok(!t.search(own, { k: 50 }).ids.includes(42));
    assert.ok(!t.search(v, { k: 50 }).ids.includes(5000));
    assert.equal(t.vector(42), null);
    t.close();
    const again = tiers(dir, savedMain(dir));
    assert.ok(!again.search(own, { k: 50 }).ids.includes(42));
    assert.ok(!again.search(v, { k: 50 }).ids.includes(5000));
    again.close();
  });
});

test('a restart replays the log: main and recent tiers come back without loss; a torn last record is cut off', async () => {
  await withTmp((dir) => {
    const oracle = new ExactIndex(D, 'l2sq');
    oracle.addBatch(ids, data);
    const t = tiers(dir, savedMain(dir));
    churn(t, oracle, 6);
    t.close(); // no explicit save: every change is already in the log
    const log = join(dir, 'tier', 'recent.wal');
    const good = statSync(log).size;
    appendFileSync(log, Buffer.from([1, 2, 3, 4, 1, 9, 9])); // a crash in the middle of a record
    const back = tiers(dir, savedMain(dir));
    assert.equal(statSync(log).size, good);
    sameAsOracle(back, oracle, 'after restart');
    back.upsert(N + 50, row(data, 9, D));
    oracle.upsert(N + 50, row(data, 9, D));
    back.close();
    const third = tiers(dir, savedMain(dir));
    sameAsOracle(third, oracle, 'after a second restart');
    third.close();
  });
});

test('a log reader (writeLog false) sees what the writer wrote', async () => {
  await withTmp((dir) => {
    const w = tiers(dir, savedMain(dir));
    const oracle = new ExactIndex(D, 'l2sq');
    oracle.addBatch(ids, data);
    churn(w, oracle, 7);
    const r = tiers(dir, savedMain(dir), { writeLog: false });
    sameAsOracle(r, oracle, 'reader');
    assert.throws(() => r.compact({ kind: 'exact', options: {} }), /log writer/);
    r.close();
    w.close();
  });
});

test('compaction is triggered by the recent-tier limit, folds everything into a new main, and survives restart', async () => {
  await withTmp((dir) => {
    const oracle = new ExactIndex(D, 'l2sq');
    oracle.addBatch(ids, data);
    const t = tiers(dir, savedMain(dir), { maxRecent: 15, maxMaskedFraction: 1 });
    assert.equal(t.compactionDue(), false);
    churn(t, oracle, 8); // 10 new + 10 updated in the recent tier (one removed): 19 ≥ 15
    assert.equal(t.compactionDue(), true);
    const r = t.compact({ kind: 'exact', options: {} });
    assert.equal(r.gen, 1);
    assert.equal(r.vectors, oracle.size());
    const s = t.stats();
    assert.deepEqual([s.recent, s.masked, s.compactionDue], [0, 0, false]);
    sameAsOracle(t, oracle, 'after compaction');
    // Changes after the compaction go to the new log, and a restart uses the compacted main.
    t.upsert(N + 60, row(data, 11, D));
    oracle.upsert(N + 60, row(data, 11, D));
    t.remove(7 * 3);
    oracle.remove(7 * 3);
    t.close();
    const state = JSON.parse(readFileSync(join(dir, 'tier', 'state.json'), 'utf8')) as { gen: number; main: string };
    assert.equal(state.gen, 1);
    const back = tiers(dir, savedMain(dir));
    sameAsOracle(back, oracle, 'compacted + restarted');
    const second = back.compact({ kind: 'exact', options: {} });
    assert.equal(second.gen, 2);
    assert.ok(!existsSync(join(dir, 'tier', 'main-1.idx')), 'old generation dropped');
    sameAsOracle(back, oracle, 'second compaction');
    back.close();
    // A new base (the next nightly build) ignores compactions of the old one.
    const fresh = tiers(dir, savedMain(dir), { base: 'v2' });
    assert.equal(fresh.stats().main, N);
    fresh.close();
  });
});

test('compaction of a re-ranked i8 main reads its vectors from the file and keeps recall', async () => {
  await withTmp((dir) => {
    const spec = { kind: 'rerank', options: { inner: 'usearch', dtype: 'i8', connectivity: 16, expansionAdd: 128, expansionSearch: 64, factor: 3 } };
    const built = createIndex(spec.kind, D, 'l2sq', spec.options);
    built.addBatch(ids, data);
    built.save(join(dir, 'main.idx'));
    const t = tiers(dir, () => openIndex(join(dir, 'main.idx'), 'view'));
    const oracle = new ExactIndex(D, 'l2sq');
    oracle.addBatch(ids, data);
    churn(t, oracle, 9);
    const check = (what: string): void => {
      const qs = clustered(30, D, 77);
      let hit = 0;
      for (let q = 0; q < 30; q++) {
        const want = new Set(oracle.search(row(qs, q, D), { k: 10 }).ids);
        for (const id of t.search(row(qs, q, D), { k: 10 }).ids) if (want.has(id)) hit++;
      }
      assert.ok(hit / 300 >= 0.95, `${what}: recall ${hit / 300}`);
      assert.equal(t.size(), oracle.size());
    };
    check('before compaction');
    assert.equal(t.compact(spec).vectors, oracle.size());
    check('after compaction');
    for (const id of [1, 2, 3, 100]) assert.equal(t.has(id), false);
    t.close();
  });
});
