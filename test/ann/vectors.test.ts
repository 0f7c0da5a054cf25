import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PymkError } from '../../src/core/errors.js';
import { encodeArrays } from '../../src/bundle/binary.js';
import { cosDistance, l2sq } from '../../src/ann/distance.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { RerankedIndex } from '../../src/ann/rerank.js';
import { UsearchIndex } from '../../src/ann/usearch.js';
import type { BatchOptions, Hits, SearchOptions, VectorIndex } from '../../src/ann/types.js';
import { FileVectorStore, MappedVectorStore, MemoryVectorStore, openVectorFile } from '../../src/ann/vectors.js';
import { clustered, oracle, recallVs } from './fixtures.js';

function vectorsFile(data: Float32Array): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-vec-'));
  const path = join(dir, 'users.bin');
  // A leading int column puts 'vectors' at a non-zero offset, as in the bundle's embeddings file.
  writeFileSync(path, Buffer.concat(encodeArrays({ ids: Int32Array.from({ length: 7 }, (_, i) => i), vectors: data })));
  return { dir, path };
}

test('memory-mapped, pread and in-memory vector stores return the same rows; out-of-range ids are absent', () => {
  const d = 24;
  const data = clustered(300, d, 3);
  const { dir, path } = vectorsFile(data);
  try {
    const stores = [openVectorFile(path, d, 'vectors', 'mmap'), openVectorFile(path, d, 'vectors', 'pread'), MemoryVectorStore.wrap(data, d)];
    assert.ok(stores[0] instanceof MappedVectorStore);
    assert.ok(stores[1] instanceof FileVectorStore);
    for (const id of [0, 1, 150, 299]) {
      const want = data.subarray(id * d, (id + 1) * d);
      for (const s of stores) {
        const out = new Float32Array(3 * d);
        assert.ok(s.copyRow(id, out, 2), `${s.constructor.name} row ${id}`);
        assert.deepEqual(out.subarray(2 * d), want);
        assert.deepEqual(out.subarray(0, 2 * d), new Float32Array(2 * d), 'other rows untouched');
      }
    }
    // distance() scores a row where it lies, against row qi of a query matrix; NaN when the row is absent.
    const queries = clustered(3, d, 9);
    for (const s of stores) {
      for (const id of [0, 77, 299]) {
        for (const fn of [l2sq, cosDistance]) {
          const want = fn(data, id, queries, 2, d);
          assert.ok(Math.abs(s.distance(id, queries, 2, fn) - want) <= 1e-9 * Math.max(1, want), `${s.constructor.name} ${fn.name} ${id}`);
        }
      }
      assert.ok(Number.isNaN(s.distance(300, queries, 0, l2sq)));
      assert.ok(Number.isNaN(s.distance(-1, queries, 0, l2sq)));
    }
    const sparse = new MemoryVectorStore(d);
    sparse.set(5, data.subarray(0, d));
    assert.ok(Number.isNaN(sparse.distance(4, queries, 0, l2sq)), 'an id never set is absent');
    assert.equal(sparse.distance(5, queries, 0, l2sq), l2sq(data, 0, queries, 0, d));
    for (const s of stores) {
      assert.equal(s.copyRow(300, new Float32Array(d), 0), false);
      assert.equal(s.copyRow(-1, new Float32Array(d), 0), false);
      s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a vectors file whose column is missing, of another type or ragged is refused with the file named', () => {
  const { dir, path } = vectorsFile(new Float32Array(10 * 4));
  try {
    assert.throws(() => openVectorFile(path, 4, 'nope'), (e) => e instanceof PymkError && e.code === 'PYMK_BUNDLE_INVALID' && e.message.includes(path));
    assert.throws(() => openVectorFile(path, 4, 'ids'), (e) => e instanceof PymkError && /int32, expected float32/.test(e.message));
    assert.throws(() => openVectorFile(path, 3), (e) => e instanceof PymkError && /not a whole number of 3-d rows/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('re-ranking from a mapped file equals re-ranking from memory, with exact distances', () => {
  const d = 32;
  const n = 2000;
  const data = clustered(n, d, 5, 8);
  const qs = clustered(30, d, 6, 8);
  const { dir, path } = vectorsFile(data);
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const i8 = UsearchIndex.create(d, 'l2sq', { dtype: 'i8', connectivity: 16, expansionAdd: 128, expansionSearch: 128, threads: 1 });
  i8.addBatch(ids, data);
  try {
    const mapped = new RerankedIndex(i8, openVectorFile(path, d, 'vectors', 'mmap'), { factor: 2 });
    const inMemory = new RerankedIndex(i8, MemoryVectorStore.wrap(data, d), { factor: 2 });
    const exact = new ExactIndex(d, 'l2sq', false, n);
    exact.addBatch(ids, data);
    for (let q = 0; q < 30; q++) {
      const query = qs.subarray(q * d, (q + 1) * d); // a view with an offset, as callers pass
      const a = mapped.search(query, { k: 10 });
      const b = inMemory.search(query, { k: 10 });
      assert.deepEqual(a.ids, b.ids, `query ${q}`);
      for (let j = 0; j < a.ids.length; j++) {
        const e = exact.search(query, { k: n }).distances[Array.from(exact.search(query, { k: n }).ids).indexOf(a.ids[j])];
        assert.ok(Math.abs(a.distances[j] - e) <= 1e-4 * Math.max(1, e), `query ${q} rank ${j}: ${a.distances[j]} vs exact ${e}`);
      }
    }
    assert.ok(recallVs(mapped, oracle(data, d, 'l2sq'), qs, d, 10) >= 0.97);
  } finally {
    i8.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** An inner index that always offers the same candidates, in a fixed (deliberately wrong) order. */
class FixedCandidates implements VectorIndex {
  readonly kind = 'fixed';
  readonly dim = 2;
  readonly metric = 'l2sq' as const;
  readonly readOnly = true;
  constructor(private readonly ids: number[]) {}
  size(): number {
    return this.ids.length;
  }
  has(id: number): boolean {
    return this.ids.includes(id);
  }
  upsert(): void {}
  addBatch(): void {}
  remove(): boolean {
    return false;
  }
  search(_q: Float32Array, opts: SearchOptions): Hits {
    const ids = Int32Array.from(this.ids.slice(0, opts.k));
    return { ids, distances: Float32Array.from(ids, (_, i) => 100 + i) };
  }
  searchBatch(queries: Float32Array, opts: BatchOptions): Hits[] {
    return Array.from({ length: queries.length / this.dim }, () => this.search(queries, opts));
  }
  vector(): Float32Array | null {
    return null;
  }
  setEf(): void {}
  save(): void {}
  close(): void {}
}

test('re-ranking orders by exact distance (ties in the inner order), skips ids without a row, keeps a trusted head, and bounds the fetch', () => {
  const store = new MemoryVectorStore(2);
  const rows: [number, number, number][] = [[0, 0, 0], [1, 1, 0], [2, 0, 1], [4, 0, 0], [5, 3, 0]]; // id 3 has no row
  for (const [id, x, y] of rows) store.set(id, Float32Array.of(x, y));
  const inner = new FixedCandidates([5, 2, 3, 4, 1, 0]);
  const origin = Float32Array.of(0, 0);
  const r = new RerankedIndex(inner, store, { factor: 3 });
  const top2 = r.search(origin, { k: 2 });
  assert.deepEqual([...top2.ids], [4, 0], 'the two rows at distance 0, in the order the inner index gave them');
  assert.deepEqual([...top2.distances], [0, 0]);
  const head = new RerankedIndex(inner, store, { factor: 3, trust: 0.5 }).search(origin, { k: 4 });
  assert.deepEqual([...head.ids], [5, 2, 4, 0], 'the first trust·k kept as the inner index ranked them');
  assert.deepEqual([...head.distances], [100, 101, 0, 0], 'with the inner distances');
  // Fewer scorable candidates than k: all of them, still sorted.
  const short = new RerankedIndex(inner, store, { factor: 1 }).search(origin, { k: 5 });
  assert.deepEqual([...short.ids], [4, 2, 1, 5]);
  assert.deepEqual([...short.distances], [0, 1, 1, 9]);
  // A batch scores each row of the query matrix against its own query.
  const batch = r.searchBatch(Float32Array.of(0, 0, 3, 0), { k: 2 });
  assert.deepEqual(batch.map((h) => [...h.ids]), [[4, 0], [5, 1]]);
  assert.deepEqual([...batch[1].distances], [0, 4]);
  assert.throws(() => new RerankedIndex(inner, store, { factor: 2 }).search(origin, { k: 2 ** 20 }), (e) => e instanceof PymkError && e.code === 'PYMK_BAD_PARAM' && /at most 2097151 candidates/.test(e.message));
  assert.equal(new RerankedIndex(inner, store, { factor: 1 }).search(origin, { k: 2 ** 21 - 1 }).ids.length, 5);
  assert.throws(() => r.search(origin, { k: 1.5 }), (e) => e instanceof PymkError && e.code === 'PYMK_BAD_PARAM');
});
