import { test } from 'node:test';
import assert from 'node:assert/strict';
import { worldApp } from './fixtures.js';

/** The value of one sample line `name{labels} value` in a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((p) => l.includes(p)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

test('GET /metrics: open without credentials; counts requests by route and status, errors by code, L1 hits and misses, answers by path', async () => {
  const a = await worldApp({ apiKeys: ['secret-key-1'] });
  const auth = { authorization: 'Bearer secret-key-1' };
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations', headers: auth })).statusCode, 200);
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations', headers: auth })).json().cached, true);
  assert.equal((await a.inject({ url: '/v1/users/nobody/recommendations', headers: auth })).statusCode, 404);
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations' })).statusCode, 401);
  assert.equal((await a.inject({ url: '/nope', headers: auth })).statusCode, 404);

  const res = await a.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const m = res.body;
  assert.equal(sample(m, 'pymk_http_request_duration_seconds_count', 'route="/v1/users/:id/recommendations",status="200"'), 2);
  assert.equal(sample(m, 'pymk_http_request_duration_seconds_count', 'status="401"'), 1);
  assert.equal(sample(m, 'pymk_http_errors_total', 'code="PYMK_USER_NOT_FOUND"'), 1);
  assert.equal(sample(m, 'pymk_http_errors_total', 'code="PYMK_NOT_FOUND"'), 1);
  assert.equal(sample(m, 'pymk_cache_lookups_total', 'layer="l1",result="hit"'), 1);
  assert.equal(sample(m, 'pymk_cache_lookups_total', 'layer="l1",result="miss"'), 2);
  assert.equal(sample(m, 'pymk_answers_total', 'path="l1"'), 1);
  assert.match(m, /^pymk_l1_entries 1$/m);
  assert.match(m, /^nodejs_eventloop_lag_p99_seconds /m);
  assert.match(m, /^pymk_ann_search_failures 0$/m);
  await a.close();
});

test('pymk_stage_duration_seconds: every computed answer times resolve, inputs, score, rules and reasons; L1 hits time nothing', async () => {
  const a = await worldApp();
  for (const u of ['ann', 'bob', 'ann']) assert.equal((await a.inject({ url: `/v1/users/${u}/recommendations` })).statusCode, 200);
  const m = (await a.inject({ url: '/metrics' })).body;
  for (const stage of ['resolve', 'inputs', 'score', 'rules', 'reasons']) {
    assert.equal(sample(m, 'pymk_stage_duration_seconds_count', `stage="${stage}"`), 2, stage); // the third was an L1 hit
    assert.ok(sample(m, 'pymk_stage_duration_seconds_sum', `stage="${stage}"`)! >= 0, stage);
  }
  assert.equal(sample(m, 'pymk_stage_duration_seconds_count', 'stage="ann"'), undefined); // both users have stored candidates
  await a.close();
});

test('request ids: a safe x-request-id is kept and echoed, an unsafe one or none gets a fresh UUID', async () => {
  const a = await worldApp();
  const given = await a.inject({ url: '/healthz', headers: { 'x-request-id': 'lb-7f3a:42' } });
  assert.equal(given.headers['x-request-id'], 'lb-7f3a:42');
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const forged = await a.inject({ url: '/healthz', headers: { 'x-request-id': 'x {"level":50}' } });
  assert.match(String(forged.headers['x-request-id']), uuid);
  assert.match(String((await a.inject({ url: '/healthz', headers: { 'x-request-id': 'x'.repeat(129) } })).headers['x-request-id']), uuid);
  const none = await a.inject({ url: '/v1/users/nobody/recommendations' });
  assert.equal(none.statusCode, 404);
  assert.match(String(none.headers['x-request-id']), uuid); // error answers carry it too
  assert.notEqual(none.headers['x-request-id'], forged.headers['x-request-id']);
  await a.close();
});
