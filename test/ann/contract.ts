/**
 * The contract every VectorIndex implementation passes, with recall checked against the exact oracle.
 * Each implementation's test file calls `indexContract(name, factory, floors)`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { openIndex } from '../../src/ann/registry.js';
import type { Metric, VectorIndex } from '../../src/ann/types.js';
import { clustered, oracle, recall, recallVs, row, withTmp } from './fixtures.js';

export interface ContractOptions {
  /** Recall@10 floor against exact search on the contract's data. */
  recallFloor: number;
  metrics?: Metric[];
  /** Whether open(…, 'view') refuses mutations (true for all but those that cannot tell). */
  viewIsReadOnly?: boolean;
}

const D = 16;
const N = 2000;
/** The rows every contract test indexes (ids 0..N-1). */
export const CONTRACT_DATA = clustered(N, D, 7);
const code = (c: string) => (e: unknown) => isPymkError(e) && e.code === c;

/** `make(dim, metric)` returns an empty index; bulk data goes in with addBatch. */
export function indexContract(name: string, make: (dim: number, metric: Metric) => VectorIndex, opts: ContractOptions): void {
  for (const metric of opts.metrics ?? (['l2sq', 'cos'] as Metric[])) {
    const data = CONTRACT_DATA;
    const queries = clustered(50, D, 8);
    const ids = Int32Array.from({ length: N }, (_, i) => i);
    const build = (): VectorIndex => {
      const x = make(D, metric);
      x.addBatch(ids, data);
      return x;
    };

    test(`${name} ${metric}: recall@10 against exact search is at least ${opts.recallFloor}`, () => {
      const x = build();
      assert.equal(x.size(), N);
      const r = recallVs(x, oracle(data, D, metric), queries, D, 10);
      assert.ok(r >= opts.recallFloor, `recall ${r}`);
      x.close();
    });

    test(`${name} ${metric}: exclusions are never returned, and k results still come back`, () => {
      const x = build();
      const ex = oracle(data, D, metric);
      const got = [];
      const truth = [];
      for (let q = 0; q < 20; q++) {
        const qv = row(queries, q, D);
        const top = ex.search(qv, { k: 30 }).ids; // exclude the 30 nearest: more than k
        const exclude = new Set(top);
        const h = x.search(qv, { k: 10, exclude });
        assert.equal(h.ids.length, 10);
        for (const id of h.ids) assert.ok(!exclude.has(id), `excluded id ${id} returned`);
        got.push(h);
        truth.push(ex.search(qv, { k: 10, exclude }));
        // A list works as well as a set.
        assert.deepEqual(x.search(qv, { k: 10, exclude: Array.from(top) }).ids, h.ids);
      }
      const r = recall(got, truth, 10);
      assert.ok(r >= opts.recallFloor - 0.05, `recall with exclusions ${r}`);
      x.close();
    });

    test(`${name} ${metric}: upsert is searchable at once, replaces the old vector, and remove is final`, () => {
      const x = build();
      const far = new Float32Array(D).fill(9);
      x.upsert(N + 5, far);
      assert.equal(x.size(), N + 1);
      assert.equal(x.search(far, { k: 1 }).ids[0], N + 5);
      // Move id 3 onto the far point: found there, and no longer near its old place.
      const old = row(data, 3, D);
      const near = new Float32Array(D).fill(9.01);
      x.upsert(3, near);
      assert.equal(x.size(), N + 1);
      assert.deepEqual([...x.search(near, { k: 2 }).ids].sort((a, b) => a - b), [3, N + 5]);
      assert.ok(!x.search(old, { k: 5 }).ids.includes(3));
      assert.equal(x.remove(N + 5), true);
      assert.equal(x.remove(N + 5), false);
      assert.equal(x.has(N + 5), false);
      assert.equal(x.size(), N);
      for (let i = 0; i < 3; i++) assert.ok(!x.search(far, { k: 50 }).ids.includes(N + 5));
      x.close();
    });

    test(`${name} ${metric}: batch search equals single searches`, () => {
      const x = build();
      const n = 10;
      const qs = queries.slice(0, n * D);
      const excludes = Array.from({ length: n }, (_, i) => (i % 2 ? new Set([i, i + 1, i + 2]) : undefined));
      const batch = x.searchBatch(qs, { k: 10, excludes, threads: 2 });
      for (let i = 0; i < n; i++) {
        const single = x.search(row(qs, i, D), { k: 10, exclude: excludes[i] });
        assert.deepEqual([...batch[i].ids], [...single.ids], `query ${i}`);
      }
      x.close();
    });

    test(`${name} ${metric}: save and open give the same answers; a view refuses writes`, async () => {
      await withTmp((dir) => {
        const x = build();
        x.remove(17);
        const path = join(dir, `index.${name}`);
        x.save(path);
        const before = Array.from({ length: 10 }, (_, i) => x.search(row(queries, i, D), { k: 10 }));
        for (const mode of ['view', 'load'] as const) {
          const y = openIndex(path, mode);
          assert.equal(y.size(), N - 1);
          assert.equal(y.has(17), false);
          for (let i = 0; i < 10; i++) assert.deepEqual([...y.search(row(queries, i, D), { k: 10 }).ids], [...before[i].ids]);
          if (mode === 'view' && opts.viewIsReadOnly !== false) {
            assert.equal(y.readOnly, true);
            assert.throws(() => y.upsert(1, row(data, 1, D)), code('PYMK_BAD_PARAM'));
            assert.throws(() => y.remove(1), code('PYMK_BAD_PARAM'));
          }
          if (mode === 'load') {
            y.upsert(N + 1, row(data, 1, D));
            assert.equal(y.size(), N);
          }
          y.close();
        }
        x.close();
      });
    });

    test(`${name} ${metric}: bad input fails with stable codes; an empty index returns nothing`, () => {
      const x = make(D, metric);
      assert.equal(x.search(row(queries, 0, D), { k: 5 }).ids.length, 0);
      assert.throws(() => x.upsert(1, new Float32Array(D + 1)), code('PYMK_BAD_INPUT'));
      assert.throws(() => x.upsert(-1, new Float32Array(D)), code('PYMK_BAD_INPUT'));
      assert.throws(() => x.search(row(queries, 0, D), { k: 0 }), code('PYMK_BAD_PARAM'));
      x.upsert(4, row(data, 4, D));
      assert.deepEqual([...x.search(row(data, 4, D), { k: 5 }).ids], [4]);
      x.close();
    });
  }
}
