/**
 * Users created online in a serving process's ANN index: only those the store has (checked by the
 * follower) are offered; an id the index holds from elsewhere (the tier's log of another store, or a user
 * the store no longer has) is dropped, and a held id with another vector gets the store's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnnCandidates, type UserSearcher } from '../../src/recommend/ann.js';
import type { OnlineStore, RankingInputs } from '../../src/store/types.js';

test('hits at or past the first created id are offered only once the follower confirmed them with the store', async () => {
  const held = new Map<number, Float32Array>([[10, Float32Array.of(1, 0)], [11, Float32Array.of(0, 1)]]); // 11: a stale log entry
  const inserted: number[] = [];
  const pool = {
    metric: 'cos',
    async searchUser() {
      return { ids: Int32Array.of(3, 10, 11), distances: Float32Array.of(0.1, 0.2, 0.3) };
    },
    async insertNew(id: number, v: Float32Array) {
      const h = held.get(id);
      if (h && h.every((x, i) => x === v[i])) return false;
      held.set(id, v);
      inserted.push(id);
      return true;
    },
    async close() {},
  } as unknown as UserSearcher;
  const ann = new AnnCandidates(pool, 5, 'v1');
  // The store: bundle users 0..9, one user created online (10, with the vector the index already holds).
  const store = {
    version: () => 'v1',
    createdRange: async (): Promise<[number, number]> => [10, 11],
    embeddings: async (uids: number[]) => uids.map((u) => (u === 10 ? Float32Array.of(1, 0) : null)),
    profiles: async () => ({}),
  } as unknown as OnlineStore;
  const inputs = { uid: 1, connections: new Int32Array(0), blocked: new Int32Array(0), dismissed: new Int32Array(0), source: 'none' } as unknown as RankingInputs;

  assert.deepEqual([...(await ann.fill(store, inputs)).candidates.ids], [3, 10, 11], 'not following: the index as it is');
  await ann.catchUp(store);
  assert.deepEqual(inserted, [], 'the held vector is the store\'s: nothing appended');
  assert.deepEqual([...(await ann.fill(store, inputs)).candidates.ids], [3, 10], 'the unconfirmed id 11 is dropped');
  assert.equal(ann.newUsers, 0);
});
