/** GET /v1/users/:id/recommendations?explain=true: the same cards plus the rules' trace, never cached, scope admin with auth. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../src/serve/app.js';
import { loadConfig } from '../../src/core/config.js';
import { MemoryStore } from '../../src/store/memory.js';
import { coreFor } from '../../src/recommend/recommend.js';
import { openAnswerCache } from '../../src/store/answerCache.js';
import { createKey } from '../../src/serve/keys.js';
import { tinySnapshot } from '../helpers/tinyWorld.js';
import { errorShape } from './fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'pymk-explain-'));
after(() => rm(dir, { recursive: true, force: true }));

// ann knows bob and cat; dan, eve, fay and gus are 2 hops away; ann blocked eve and dismissed gus.
const world = tinySnapshot({
  users: [
    { id: 'ann', company: 'Acme' },
    { id: 'bob' },
    { id: 'cat' },
    { id: 'dan', company: 'Acme' },
    { id: 'eve' },
    { id: 'fay' },
    { id: 'gus' },
  ],
  edges: [
    ['ann', 'bob'],
    ['ann', 'cat'],
    ['bob', 'dan'],
    ['cat', 'dan'],
    ['cat', 'eve'],
    ['bob', 'fay'],
    ['bob', 'gus'],
  ],
  blocks: [['ann', 'eve']],
  dismissals: [['ann', 'gus']],
});

async function app(overrides: Record<string, unknown> = {}) {
  const config = loadConfig(overrides, {});
  const core = coreFor(new MemoryStore(world), config);
  const answerCache = await openAnswerCache('memory://', { ttlMs: 3_600_000 });
  return buildApp({ config, core: () => core, answerCache });
}

test('explain=true: the same cards with rank and source, the removed with reasons, the path; not cached', async () => {
  const a = await app();
  const plain = (await a.inject({ url: '/v1/users/ann/recommendations?limit=5' })).json();
  const res = await a.inject({ url: '/v1/users/ann/recommendations?limit=5&explain=true' });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json();
  assert.deepEqual(
    body.recommendations.map(({ id, score, reasons }: Record<string, unknown>) => ({ id, score, reasons })),
    plain.recommendations,
  );
  assert.deepEqual(body.recommendations.map((r: { id: string }) => r.id), ['dan', 'fay']);
  assert.deepEqual(body.recommendations[0].explain, { rank: 1, source: '2-hop', listScore: 2, backfilled: false });
  assert.deepEqual(body.recommendations[0].reasons[0], { type: 'mutual_connections', count: 2, sample: ['bob', 'cat'] });
  assert.equal(body.explain.path, 'stored');
  assert.deepEqual(
    body.explain.removed.map((r: { id: string; reason: string }) => `${r.id}:${r.reason}`),
    ['eve:blocked', 'gus:dismissed'],
  );
  assert.equal(body.cache, 'computed');
  assert.equal(body.cached, false);
  // Not cached in L1 or L2: asking again computes again, and the plain answer is the one cached.
  const again = (await a.inject({ url: '/v1/users/ann/recommendations?limit=5&explain=true' })).json();
  assert.equal(again.cache, 'computed');
  const l1 = a.resultCache.get('ann', 5, 'v-test');
  assert.ok(l1, 'the plain answer is in L1');
  assert.equal(l1.explain, undefined, 'no explained answer in L1');
  const l2 = await a.answers.l2!.get('ann', 5, 'v-test');
  assert.equal((l2?.body as { explain?: unknown }).explain, undefined, 'no explained answer in L2');
  const cachedPlain = (await a.inject({ url: '/v1/users/ann/recommendations?limit=5' })).json();
  assert.equal(cachedPlain.cache, 'l1');
  assert.equal(cachedPlain.explain, undefined);
  // explain=false is the plain answer.
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations?limit=5&explain=false' })).json().explain, undefined);
  await a.close();
});

test('explain=true on an explained user that is unknown is 404; a bad value is 400', async () => {
  const a = await app();
  const r = await a.inject({ url: '/v1/users/nobody/recommendations?explain=true' });
  assert.equal(r.statusCode, 404);
  assert.equal(errorShape(r.json()).code, 'PYMK_USER_NOT_FOUND');
  const bad = await a.inject({ url: '/v1/users/ann/recommendations?explain=maybe' });
  assert.equal(bad.statusCode, 400);
  assert.equal(errorShape(bad.json()).code, 'PYMK_BAD_PARAM');
  await a.close();
});

test('with auth on, explain=true needs the admin scope as well', async () => {
  const file = join(dir, 'keys.json');
  const reader = await createKey(file, ['recommendations:read'], 'reader');
  const admin = await createKey(file, ['recommendations:read', 'admin'], 'admin');
  const a = await app({ keysFile: file });
  const url = '/v1/users/ann/recommendations?explain=true';
  const no = await a.inject({ url, headers: { authorization: `Bearer ${reader.key}` } });
  assert.equal(no.statusCode, 403);
  assert.match(errorShape(no.json()).message, /admin/);
  assert.equal((await a.inject({ url: '/v1/users/ann/recommendations', headers: { authorization: `Bearer ${reader.key}` } })).statusCode, 200);
  const yes = await a.inject({ url, headers: { authorization: `Bearer ${admin.key}` } });
  assert.equal(yes.statusCode, 200);
  assert.ok(yes.json().explain);
  await a.close();
});
