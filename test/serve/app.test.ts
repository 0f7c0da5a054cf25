import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/serve/app.js';
import { loadConfig } from '../../src/core/config.js';
import { MemoryStore } from '../../src/store/memory.js';
import { heuristicScorer } from '../../src/rank/heuristic.js';
import { coreFor, type RecommendDeps } from '../../src/recommend/recommend.js';
import { tinySnapshot } from '../helpers/tinyWorld.js';
import { world, worldApp } from './fixtures.js';


async function app(overrides: Record<string, unknown> = {}, ready = true) {
  const config = loadConfig(overrides, {});
  const core = coreFor(new MemoryStore(world), config);
  return buildApp({ config, core: () => (ready ? core : null) });
}

test('GET recommendations: ranked by mutual connections, with reasons and external ids', async () => {
  const a = await app();
  const res = await a.inject({ method: 'GET', url: '/v1/users/ann/recommendations?limit=5' });
  assert.equal(res.statusCode, 200);
  const body = res.json();
  assert.equal(body.user, 'ann');
  assert.equal(body.version, 'v-test');
  assert.deepEqual(body.recommendations.map((r: { id: string }) => r.id), ['dan', 'eve', 'fay']);
  const dan = body.recommendations[0];
  assert.equal(dan.score, 2);
  assert.deepEqual(dan.reasons, [
    { type: 'mutual_connections', count: 2, sample: ['bob', 'cat'] },
    { type: 'same_company', value: 'Acme' },
    { type: 'same_location', value: 'Berlin' },
  ]);
  assert.deepEqual(body.recommendations[1].reasons[1], { type: 'same_school', value: 'MIT' });
  await a.close();
});

test('limit defaults from config and caps at maxLimit with a 400', async () => {
  const a = await app({ defaultLimit: 1, maxLimit: 2 });
  const one = await a.inject({ url: '/v1/users/ann/recommendations' });
  assert.equal(one.json().recommendations.length, 1);
  const tooMany = await a.inject({ url: '/v1/users/ann/recommendations?limit=3' });
  assert.equal(tooMany.statusCode, 400);
  assert.equal(tooMany.json().code, 'PYMK_BAD_PARAM');
  await a.close();
});

test('bad parameters are 400 with the stable error body; unknown user 404; unknown route 404', async () => {
  const a = await app();
  for (const q of ['limit=0', 'limit=abc', 'limit=-1', 'foo=1']) {
    const r = await a.inject({ url: `/v1/users/ann/recommendations?${q}` });
    assert.equal(r.statusCode, 400, q);
    assert.deepEqual(Object.keys(r.json()).sort(), ['code', 'error', 'message', 'statusCode']);
    assert.equal(r.json().code, 'PYMK_BAD_PARAM');
  }
  const missing = await a.inject({ url: '/v1/users/nobody/recommendations' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'PYMK_USER_NOT_FOUND');
  const route = await a.inject({ url: '/v2/nothing' });
  assert.equal(route.statusCode, 404);
  assert.equal(route.json().code, 'PYMK_NOT_FOUND');
  await a.close();
});

test('healthz always 200; readyz 503 until a bundle is loaded', async () => {
  const notReady = await app({}, false);
  assert.equal((await notReady.inject({ url: '/healthz' })).statusCode, 200);
  const r = await notReady.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.equal(r.json().code, 'PYMK_NOT_READY');
  assert.equal((await notReady.inject({ url: '/v1/users/ann/recommendations' })).statusCode, 503);
  const ready = await app();
  assert.deepEqual((await ready.inject({ url: '/readyz' })).json(), { status: 'ready', version: 'v-test', degraded: [] });
});

test('API keys: 401 without or with a wrong key, 200 with a valid one; health is open', async () => {
  const a = await app({ apiKeys: ['secret-key-1'] });
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations' })).statusCode, 401);
  const wrong = await a.inject({ url: '/v1/users/ann/recommendations', headers: { authorization: 'Bearer nope-nope-nope' } });
  assert.equal(wrong.json().code, 'PYMK_UNAUTHORIZED');
  const ok = await a.inject({ url: '/v1/users/ann/recommendations', headers: { authorization: 'Bearer secret-key-1' } });
  assert.equal(ok.statusCode, 200);
  assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
});

test('rate limit: requests beyond the burst get 429 with the stable body', async () => {
  const a = await app({ rateLimitPerSecond: 1, rateLimitBurst: 3 });
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await a.inject({ url: '/v1/users/ann/recommendations' })).statusCode);
  assert.deepEqual(codes, [200, 200, 200, 429, 429]);
  const r = await a.inject({ url: '/v1/users/ann/recommendations' });
  assert.equal(r.json().code, 'PYMK_RATE_LIMITED');
});

test('L1 cache: the second identical request is served from cache', async () => {
  const a = await app();
  const first = await a.inject({ url: '/v1/users/ann/recommendations?limit=2' });
  const second = await a.inject({ url: '/v1/users/ann/recommendations?limit=2' });
  assert.equal(first.json().cached, false);
  assert.equal(second.json().cached, true);
  assert.deepEqual(second.json().recommendations, first.json().recommendations);
});

test('OpenAPI document lists the recommendations route', async () => {
  const a = await app();
  const doc = (await a.inject({ url: '/openapi.json' })).json();
  assert.ok(doc.paths['/v1/users/{id}/recommendations']);
});

test('degradation: when the store fails, the static ranking answers; a client error is never masked', async () => {
  const config = loadConfig({}, {});
  const snap = tinySnapshot({ users: [{ id: 'ann' }, { id: 'bob' }, { id: 'cat' }], edges: [['ann', 'bob'], ['bob', 'cat']] });
  snap.lists = { offsets: Int32Array.of(0, 1, 1, 1), cand: Int32Array.of(2), score: Float32Array.of(0.5) };
  const store = new MemoryStore(snap);
  store.fetchRankingInputs = async () => {
    throw new Error('store down');
  };
  const core: RecommendDeps = { store, scorer: heuristicScorer('stored'), rules: { maxPerCompany: 5, maxPerSchool: 3, backfill: false } };
  const a = await buildApp({ config, core: () => core });
  const r = await a.inject({ url: '/v1/users/ann/recommendations' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().source, 'static');
  assert.deepEqual(r.json().recommendations.map((x: { id: string }) => x.id), ['cat']);
  assert.equal((await a.inject({ url: '/v1/users/zed/recommendations' })).statusCode, 404);
  // bob has no static list and no cached answer: the failure surfaces as a 500 with the stable body.
  const bob = await a.inject({ url: '/v1/users/bob/recommendations' });
  assert.equal(bob.statusCode, 500);
  assert.equal(bob.json().code, 'PYMK_INTERNAL');
});

test('an L1 hit is served from its serialised body: the same answer as computed, marked cached, JSON content type, every time', async () => {
  const a = await worldApp();
  const first = await a.inject({ url: '/v1/users/ann/recommendations?limit=3' });
  const hits = [await a.inject({ url: '/v1/users/ann/recommendations?limit=3' }), await a.inject({ url: '/v1/users/ann/recommendations?limit=3' })];
  const computed = first.json();
  assert.equal(computed.cache, 'computed');
  for (const h of hits) {
    assert.equal(h.statusCode, 200);
    assert.match(String(h.headers['content-type']), /^application\/json/);
    assert.deepEqual(h.json(), { ...computed, cached: true, cache: 'l1' });
  }
  assert.equal(hits[0].body, hits[1].body);
  await a.close();
});
