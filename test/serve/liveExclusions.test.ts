/** LiveExclusions: pairs and everyone-hidden users filtered from an answer; oldest pairs dropped past the cap. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveExclusions } from '../../src/serve/liveExclusions.js';
import { EVERYONE } from '../../src/core/tables.js';
import { decodeInvalidation, encodeInvalidation } from '../../src/events/bus.js';
import type { RecommendResult } from '../../src/recommend/recommend.js';

const answer = (user: string, ids: string[]): RecommendResult => ({ user, version: 'v', source: 'static', path: 'static', recommendations: ids.map((id) => ({ id, score: 1, reasons: [] })) });

test('a pair hides the user from that viewer only; EVERYONE hides them from everyone; nothing excluded returns the answer itself', () => {
  const x = new LiveExclusions();
  const r = answer('a', ['b', 'c', 'd']);
  assert.equal(x.filter(r), r);
  x.add([['a', 'b'], [EVERYONE, 'd']]);
  assert.deepEqual(x.filter(r).recommendations.map((y) => y.id), ['c']);
  assert.deepEqual(x.filter(answer('z', ['b', 'c', 'd'])).recommendations.map((y) => y.id), ['b', 'c']);
  assert.equal(x.filter(answer('z', ['b'])).recommendations.length, 1);
  // withoutHidden: bans only (the full path reads the pairs from the store).
  assert.deepEqual(x.withoutHidden(r).recommendations.map((y) => y.id), ['b', 'c']);
  const plain = new LiveExclusions();
  plain.add([['a', 'b']]);
  assert.equal(plain.withoutHidden(r), r, 'no bans: the answer itself');
  // A user whose id is '*' excludes only for themselves.
  plain.add([['*', 'c']]);
  assert.equal(plain.withoutHidden(r), r);
  assert.deepEqual(plain.filter(answer('*', ['c', 'd'])).recommendations.map((y) => y.id), ['d']);
});

test('past the cap the oldest pairs go first; a pair added again counts as new', () => {
  const x = new LiveExclusions(2);
  x.add([['a', '1'], ['a', '2']]);
  x.add([['a', '1']]); // refreshed
  x.add([['a', '3']]); // drops a→2, the oldest
  assert.equal(x.size, 2);
  assert.deepEqual(x.filter(answer('a', ['1', '2', '3'])).recommendations.map((y) => y.id), ['2']);
});

test('invalidation messages carry the excluded pairs; old messages without them still decode; bad pairs are dropped alone', () => {
  assert.deepEqual(decodeInvalidation(encodeInvalidation(['a', 'b'], [['a', 'b'], ['b', 'a']])), { users: ['a', 'b'], excluded: [['a', 'b'], ['b', 'a']] });
  assert.deepEqual(decodeInvalidation('{"v":1,"users":["a"]}'), { users: ['a'], excluded: [] });
  assert.deepEqual(decodeInvalidation('{"v":1,"users":["a"],"excluded":[["a"],["a","b"]]}'), { users: ['a'], excluded: [['a', 'b']] }, 'a malformed pair is dropped, the users still evicted');
});
