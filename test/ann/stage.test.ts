import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { mainSpecOf, openBundleIndex, openSpec, readBundleAnn, servingSpec } from '../../src/ann/open.js';
import { SearchPool } from '../../src/ann/pool.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import type { Stage } from '../../src/pipeline/stage.js';
import { annStage, ANN_INDEX_ARTIFACT, EMBEDDINGS_ARTIFACT, EMBEDDINGS_META } from '../../src/pipeline/stages/ann.js';
import { clustered, recall, row, withTmp } from './fixtures.js';

const D = 16;
const N = 1500;
const data = clustered(N, D, 51);
for (let j = 0; j < D; j++) data[7 * D + j] = 0; // user 7 has no embedding yet

/** Stands in for the embedding stage: the same artifacts (vectors + description), random clustered vectors. */
const embed: Stage = {
  name: 'embed',
  async run(ctx) {
    await ctx.writeArrays(EMBEDDINGS_ARTIFACT, { vectors: data, source: new Uint8Array(N) });
    await ctx.writeJson(EMBEDDINGS_META, { format: 'pymk-embeddings', version: 1, count: N, dim: D });
  },
};

const run = (out: string, stages: Stage[]) => runPipeline({ out, stages, progress: 'silent', log: () => {} });

test('the ann stage builds a usearch i8 index from the embeddings; serving opens it memory-mapped with f32 re-rank', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'bundle');
    const r = await run(out, [embed, annStage({ metric: 'l2sq' })]);
    const b = await openBundle(out, { verify: 'full' });
    assert.ok(b.manifest.artifacts[ANN_INDEX_ARTIFACT]);
    assert.ok(b.manifest.artifacts[`${ANN_INDEX_ARTIFACT}.json`]);
    const metrics = r.manifest.stages[1].metrics as { indexed: number; recallAt10: number };
    assert.equal(metrics.indexed, N - 1);
    assert.ok(metrics.recallAt10 >= 0.95, `gate recall ${metrics.recallAt10}`);

    const index = openBundleIndex(out);
    assert.equal(index.readOnly, true);
    assert.equal(index.size(), N - 1);
    assert.equal(index.has(7), false);
    const exact = new ExactIndex(D, 'l2sq');
    for (let i = 0; i < N; i++) if (i !== 7) exact.upsert(i, row(data, i, D));
    const qs = clustered(40, D, 52);
    const got = Array.from({ length: 40 }, (_, q) => index.search(row(qs, q, D), { k: 10 }));
    const want = Array.from({ length: 40 }, (_, q) => exact.search(row(qs, q, D), { k: 10 }));
    assert.ok(recall(got, want, 10) >= 0.97, `recall ${recall(got, want, 10)}`);
    // Re-ranked distances are the exact ones.
    const q0 = row(qs, 0, D);
    const all = exact.search(q0, { k: N });
    for (let i = 0; i < 10; i++) assert.ok(Math.abs(got[0].distances[i] - all.distances[[...all.ids].indexOf(got[0].ids[i])]) < 1e-3);
    index.close();

    // The serving path for a user without a stored candidate list: by id, with exclusions, off the event loop.
    const pool = await SearchPool.start({ spec: { type: 'bundle', dir: out }, workers: 1 });
    try {
      const connections = new Set([11, 12, 13]);
      const h = await pool.searchUser(10, { k: 20, exclude: connections });
      assert.ok(h);
      assert.equal(h.ids.length, 20);
      for (const id of [10, 11, 12, 13]) assert.ok(!h.ids.includes(id));
      const truth = exact.search(row(data, 10, D), { k: 20, exclude: new Set([10, 11, 12, 13]) });
      assert.ok(recall([h], [truth], 20) >= 0.9);
      assert.equal(await pool.searchUser(7, { k: 5 }), null); // no embedding: the caller falls back to other sources
    } finally {
      await pool.close();
    }
  });
});

test('the default configuration (cos, rotated i8, re-rank ×1.2) passes its own recall gate', async () => {
  await withTmp(async (dir) => {
    const r = await run(join(dir, 'bundle'), [embed, annStage()]);
    const m = r.manifest.stages[1].metrics as { recallAt10: number; indexed: number };
    assert.equal(m.indexed, N - 1);
    assert.ok(m.recallAt10 >= 0.97, `recall ${m.recallAt10}`);
    const index = openBundleIndex(join(dir, 'bundle'));
    assert.equal(index.metric, 'cos');
    const h = index.search(row(data, 3, D), { k: 5 });
    assert.equal(h.ids[0], 3); // a user's own vector is its nearest neighbour
    index.close();
  });
});

test('serving spec over a bundle: recent tier, removals and compaction through the pool', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'bundle');
    const r = await run(out, [embed, annStage({ metric: 'l2sq' })]);
    const version = r.manifest.version!;
    const state = join(dir, 'ann-state');
    let ann = await SearchPool.start({ spec: servingSpec(out, version, state), workers: 2 });
    const v = new Float32Array(D).fill(12);
    try {
      await ann.upsert(N, v); // a new user, id after the bundle's rows
      assert.equal((await ann.search(v, { k: 1 })).ids[0], N);
      const near = await ann.searchUser(N, { k: 5 });
      assert.ok(near && near.ids.length === 5 && !near.ids.includes(N));
      assert.equal(await ann.remove(20), true);
      assert.ok(!(await ann.search(row(data, 20, D), { k: 30 })).ids.includes(20));
      const stats = await ann.stats();
      assert.deepEqual([stats.recent, stats.masked], [1, 1]);
      const c = await ann.compact(mainSpecOf(readBundleAnn(out)));
      assert.equal(c.vectors, N - 1); // N-1 indexed, +1 new, −1 removed
    } finally {
      await ann.close();
    }
    ann = await SearchPool.start({ spec: servingSpec(out, version, state), workers: 1 });
    try {
      assert.equal((await ann.search(v, { k: 1 })).ids[0], N);
      assert.ok(!(await ann.search(row(data, 20, D), { k: 30 })).ids.includes(20));
      assert.equal(await ann.size(), N - 1);
    } finally {
      await ann.close();
    }
  });
});

test('a bundle built with hnswlib and no re-rank serves its own distances and still finds users by id', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'bundle');
    await run(out, [embed, annStage({ kind: 'hnswlib', metric: 'l2sq', options: { m: 16, efConstruction: 128, ef: 64 }, rerank: 0 })]);
    const index = openBundleIndex(out);
    const q = row(data, 30, D);
    const h = index.search(q, { k: 5, exclude: new Set([30]) });
    const exact = new ExactIndex(D, 'l2sq');
    for (let i = 0; i < N; i++) if (i !== 7) exact.upsert(i, row(data, i, D));
    assert.ok(recall([h], [exact.search(q, { k: 5, exclude: new Set([30]) })], 5) >= 0.8);
    assert.deepEqual(index.vector(30), row(data, 30, D));
    assert.equal(index.vector(7), null);
    index.close();
  });
});

test('the ann stage refuses a build whose recall is below the floor, and missing embeddings', async () => {
  await withTmp(async (dir) => {
    await assert.rejects(
      run(join(dir, 'b1'), [embed, annStage({ metric: 'l2sq', options: { dtype: 'i8', connectivity: 2, expansionAdd: 2, expansionSearch: 1 }, rerank: 0, minRecall: 0.999 })]),
      (e) => isPymkError(e) && e.code === 'PYMK_STAGE_FAILED' && /recall/.test(e.message),
    );
    await assert.rejects(run(join(dir, 'b2'), [annStage()]), (e) => isPymkError(e) && e.code === 'PYMK_STAGE_FAILED');
  });
});

test('a serving spec opens only the bundle version it was made for: a replaced folder is refused, naming both versions', async () => {
  await withTmp(async (dir) => {
    const out = join(dir, 'bundle');
    const r = await run(out, [embed, annStage({ metric: 'l2sq' })]);
    const version = r.manifest.version!;
    const ok = openSpec(servingSpec(out, version, join(dir, 'state-ok')));
    assert.equal(ok.size(), N - 1);
    ok.close();
    assert.throws(
      () => openSpec(servingSpec(out, 'an-older-version', join(dir, 'state-old'))),
      (e) => isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && e.message.includes(version) && e.message.includes('an-older-version'),
    );
    // A pool's workers refuse it the same way, so the pool does not start on the wrong index.
    await assert.rejects(SearchPool.start({ spec: servingSpec(out, 'an-older-version', join(dir, 'state-pool')), workers: 1 }), /now holds bundle/);
  });
});
