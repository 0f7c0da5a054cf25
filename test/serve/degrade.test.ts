/** The static-ranking fallback's own failures are counted and reported; an unknown user is not a failure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PymkError, isPymkError } from '../../src/core/errors.js';
import { FailureTracker } from '../../src/core/failures.js';
import { ResultCache } from '../../src/serve/cache.js';
import { recommendOrDegrade, type DegradeState } from '../../src/serve/degrade.js';
import type { RecommendDeps } from '../../src/recommend/recommend.js';

function state(reported: [unknown, string][]): DegradeState {
  return { inflight: 0, maxInflight: 0, degraded: 0, staticFailures: new FailureTracker('static-ranking fallback', { onError: (e, what) => reported.push([e, what]) }) };
}

test('a store failure in the static fallback is counted and reported; the stale answer is served', async () => {
  const down = new PymkError('PYMK_STORE_UNAVAILABLE', 'store down');
  const core = { store: { version: () => 'v1', resolveUser: async () => Promise.reject(down) } } as unknown as RecommendDeps;
  const cache = new ResultCache(10, 60);
  cache.set('u1', 5, { user: 'u1', version: 'v0', source: 'stored', recommendations: [] });
  const reported: [unknown, string][] = [];
  const s = state(reported);
  const r = await recommendOrDegrade(core, cache, s, 'u1', 5);
  assert.equal(r.source, 'stale-cache');
  assert.equal(s.degraded, 1);
  assert.equal(s.staticFailures.stats().failures, 1);
  assert.equal(s.staticFailures.stats().lastError, down);
  assert.equal(reported.length, 1);
  assert.equal(reported[0][0], down);
  assert.match(reported[0][1], /static-ranking fallback failed/);
});

test('an unknown user is not counted as a fallback failure', async () => {
  const unknown = new PymkError('PYMK_USER_NOT_FOUND', 'no such user');
  const core = { store: { version: () => 'v1', resolveUser: async () => Promise.reject(unknown) } } as unknown as RecommendDeps;
  const reported: [unknown, string][] = [];
  const s = state(reported);
  s.maxInflight = 1;
  s.inflight = 1; // overloaded: the static answer is tried first
  await assert.rejects(recommendOrDegrade(core, new ResultCache(10, 60), s, 'nobody', 5), (e) => isPymkError(e) && e.code === 'PYMK_USER_NOT_FOUND');
  assert.equal(s.staticFailures.stats().failures, 0);
  assert.deepEqual(reported, []);
});
