/** A failed ANN search degrades to "no ANN candidates" and is counted, kept and reported, not dropped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnCandidates, type UserSearcher } from '../../src/recommend/ann.js';
import type { OnlineStore, RankingInputs } from '../../src/store/types.js';

test('a failing ANN search is counted and reported once per run of failures; the recovery is reported', async () => {
  let down: Error | null = new Error('worker exited');
  const pool: UserSearcher = {
    metric: 'cos',
    async searchUser() {
      if (down) throw down;
      return { ids: Int32Array.of(7), distances: Float32Array.of(0.25) };
    },
    async close() {},
  } as unknown as UserSearcher;
  const errors: [unknown, string][] = [];
  const recoveries: string[] = [];
  const ann = new AnnCandidates(pool, 5, 'v1', { onError: (err, what) => errors.push([err, what]), onRecover: (what) => recoveries.push(what) });
  const store = { version: () => 'v1', profiles: async () => ({}) } as unknown as OnlineStore;
  const inputs = { uid: 1, connections: new Int32Array(0), blocked: new Int32Array(0), dismissed: new Int32Array(0), source: 'none' } as unknown as RankingInputs;

  assert.equal(await ann.fill(store, inputs), inputs, 'a failed search leaves the inputs as they were');
  assert.equal(await ann.fill(store, inputs), inputs);
  assert.equal(ann.failures, 2);
  assert.equal(ann.searchStats().lastError, down);
  assert.equal(errors.length, 1, 'reported once, not per request');
  assert.equal(errors[0][0], down);
  assert.match(errors[0][1], /ANN search \(index of v1\) failed/);

  down = null;
  const filled = await ann.fill(store, inputs);
  assert.equal(filled.source, 'ann');
  assert.equal(ann.searchStats().consecutive, 0);
  assert.equal(ann.failures, 2);
  assert.deepEqual(recoveries, ['ANN search (index of v1) recovered after 2 failures']);
});
