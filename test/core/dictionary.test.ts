/** Dictionary.firstDifferenceFrom: whether dense ids are stable between two runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary } from '../../src/core/dictionary.js';

test('firstDifferenceFrom: -1 for an extension, the first differing code, or the shorter size', () => {
  const before = Dictionary.from(['a', 'b', 'c']);
  assert.equal(Dictionary.from(['a', 'b', 'c', 'd']).firstDifferenceFrom(before), -1);
  assert.equal(Dictionary.from(['a', 'b', 'c']).firstDifferenceFrom(before), -1);
  assert.equal(Dictionary.from(['a', 'x', 'c', 'd']).firstDifferenceFrom(before), 1);
  assert.equal(Dictionary.from(['a', 'b']).firstDifferenceFrom(before), 2);
  assert.equal(Dictionary.from([]).firstDifferenceFrom(Dictionary.from([])), -1);
});
