import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TopK } from '../../src/core/topk.js';
import { Rng } from '../../src/core/rng.js';

test('TopK keeps the k smallest keys, ties on the smaller id, whatever the arrival order', () => {
  const rng = new Rng(3);
  for (const k of [1, 5, 37, 200]) {
    // Keys from a small set, so many ties.
    const pairs = Array.from({ length: 150 }, (_, id) => ({ id, key: Math.floor(rng.next() * 20) - 5 }));
    const want = [...pairs].sort((a, b) => a.key - b.key || a.id - b.id).slice(0, k);
    const top = new TopK(k);
    for (const p of rng.shuffle([...pairs])) {
      top.push(p.id, p.key);
      if (top.size === k) assert.ok(top.bound() >= want[want.length - 1].key);
    }
    const got = top.drain();
    assert.deepEqual([...got.ids], want.map((p) => p.id), `k=${k}`);
    assert.deepEqual([...got.keys], want.map((p) => p.key));
    assert.equal(top.size, 0, 'drain empties the heap');
  }
});

test('TopK with k = 0 keeps nothing; drainIds writes ids in order; bound is Infinity until full', () => {
  const none = new TopK(0);
  none.push(1, 0);
  assert.equal(none.size, 0);
  const top = new TopK(3);
  assert.equal(top.bound(), Infinity);
  for (const [id, key] of [[9, 3], [4, 1], [7, 2], [2, 1], [5, 0]]) top.push(id, key);
  assert.equal(top.bound(), 1);
  const out = new Int32Array(3);
  assert.equal(top.drainIds(out), 3);
  assert.deepEqual([...out], [5, 2, 4]);
});
