/** lowerBound and containsSorted against a linear scan, on whole arrays and on sub-ranges. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containsSorted, lowerBound } from '../../src/core/sorted.js';

test('lowerBound is the position a linear scan finds, on the whole array and on any run a[from .. to)', () => {
  let s = 5;
  const rand = (k: number): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) % k);
  for (let t = 0; t < 200; t++) {
    const a = Int32Array.from({ length: rand(30) }, () => rand(20)).sort();
    const x = rand(22) - 1;
    const from = rand(a.length + 1);
    const to = from + rand(a.length - from + 1);
    let want = from;
    while (want < to && a[want] < x) want++;
    assert.equal(lowerBound(a, x, from, to), want);
    let whole = 0;
    while (whole < a.length && a[whole] < x) whole++;
    assert.equal(lowerBound(a, x), whole);
    assert.equal(containsSorted(a, x), a.includes(x));
  }
});
