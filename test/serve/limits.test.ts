/**
 * Rate limits in the app: headers, 429 with the stable body, per-client buckets, the limit holding across two
 * app instances that share one Redis, and failing open (counted) when the limiter's Redis is gone.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openKvTarget } from '../../src/store/index.js';
import { openRateLimiter, type RateLimiter } from '../../src/store/rateLimit.js';
import { redisAnswers } from '../helpers/redisCluster.js';
import { errorShape, worldApp } from './fixtures.js';

const REC = '/v1/users/ann/recommendations';
const up = await redisAnswers();
const prefix = `pymktest-rlapp-${process.pid}-${randomBytes(3).toString('hex')}`;
const redisUrl = `redis://127.0.0.1:6379?prefix=${prefix}`;

after(async () => {
  if (!up) return;
  const t = await openKvTarget(redisUrl);
  await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
  await t.kv.close();
});

test('beyond the burst: 429 PYMK_RATE_LIMITED with Retry-After and RateLimit-* headers; health is not limited', async () => {
  const a = await worldApp({ rateLimitPerSecond: 0.5, rateLimitBurst: 3 });
  const res = [];
  for (let i = 0; i < 4; i++) res.push(await a.inject({ url: REC }));
  assert.deepEqual(res.map((r) => r.statusCode), [200, 200, 200, 429]);
  assert.deepEqual(res.map((r) => r.headers['ratelimit-remaining']), ['2', '1', '0', '0']);
  assert.ok(res.every((r) => r.headers['ratelimit-limit'] === '3'));
  assert.equal(res[0].headers['retry-after'], undefined);
  const limited = res[3];
  assert.equal(errorShape(limited.json()).code, 'PYMK_RATE_LIMITED');
  assert.equal(limited.json().statusCode, 429);
  assert.equal(limited.headers['retry-after'], '2'); // one token every 2 s
  assert.equal(limited.headers['ratelimit-reset'], '6'); // the whole bucket: 3 tokens × 2 s
  assert.equal(a.limitStats.limited, 1);
  for (let i = 0; i < 5; i++) assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
  await a.close();
});

test('buckets are per client: per API key when authenticated, else per IP', async () => {
  const a = await worldApp({ rateLimitPerSecond: 0.01, rateLimitBurst: 1, apiKeys: ['dev-key-one-1', 'dev-key-two-2'] });
  const as = (key: string, ip = '10.0.0.1') => a.inject({ url: REC, remoteAddress: ip, headers: { authorization: `Bearer ${key}` } });
  assert.equal((await as('dev-key-one-1')).statusCode, 200);
  assert.equal((await as('dev-key-one-1', '10.0.0.2')).statusCode, 429); // same key from another IP: same bucket
  assert.equal((await as('dev-key-two-2')).statusCode, 200); // another key from the same IP: its own bucket
  // Unauthenticated requests are limited per IP (so guessing keys is limited too), then refused with 401.
  const guess = (ip: string) => a.inject({ url: REC, remoteAddress: ip, headers: { authorization: 'Bearer wrong-guess-1' } });
  assert.equal((await guess('10.0.0.9')).statusCode, 401);
  assert.equal((await guess('10.0.0.9')).statusCode, 429);
  assert.equal((await guess('10.0.0.8')).statusCode, 401);
  await a.close();
});

test('two app instances sharing one Redis limiter: the limit holds across them', { skip: up ? false : 'no Redis at 127.0.0.1:6379' }, async () => {
  const cfg = { rateLimitPerSecond: 0.01, rateLimitBurst: 5, rateLimitStore: redisUrl, store: 'memory://' };
  const [a, b] = [await worldApp(cfg), await worldApp(cfg)];
  // Each app opened its own connection to the Redis (the default: from the config).
  const codes: number[] = [];
  for (let i = 0; i < 10; i++) codes.push((await (i % 2 ? b : a).inject({ url: REC, remoteAddress: '10.1.1.1' })).statusCode);
  assert.equal(codes.filter((c) => c === 200).length, 5, codes.join(','));
  assert.deepEqual(codes.slice(5), [429, 429, 429, 429, 429]);
  // And concurrently: 20 requests spread over both apps at once still get 5 answers between them.
  const codes2 = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).inject({ url: REC, remoteAddress: '10.1.1.2' }).then((r) => r.statusCode)));
  assert.equal(codes2.filter((c) => c === 200).length, 5);
  // Each process limiting on its own (memory://) would have allowed 10: the contrast the shared store makes.
  const mem = { ...cfg, rateLimitStore: 'memory://' };
  const [c, d] = [await worldApp(mem), await worldApp(mem)];
  const codes3 = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? d : c).inject({ url: REC, remoteAddress: '10.1.1.3' }).then((r) => r.statusCode)));
  assert.equal(codes3.filter((x) => x === 200).length, 10);
  for (const x of [a, b, c, d]) await x.close();
});

test('the limiter store defaults to the store URL when it is Redis', { skip: up ? false : 'no Redis' }, async () => {
  const { loadConfig, rateLimitStoreUrl } = await import('../../src/core/config.js');
  assert.equal(rateLimitStoreUrl(loadConfig({}, {})), 'memory://');
  assert.equal(rateLimitStoreUrl(loadConfig({ store: redisUrl }, {})), redisUrl);
  assert.equal(rateLimitStoreUrl(loadConfig({ store: redisUrl }, { PYMK_RATE_LIMIT_STORE: 'memory://' })), 'memory://');
});

test('fail open: when the limiter Redis is gone, requests are served (never 5xx) and counted', { skip: up ? false : 'no Redis' }, async () => {
  const limiter: RateLimiter = await openRateLimiter(redisUrl);
  const a = await worldApp({ rateLimitPerSecond: 0.01, rateLimitBurst: 1 }, { rateLimiter: limiter });
  assert.equal((await a.inject({ url: REC, remoteAddress: '10.2.2.2' })).statusCode, 200);
  assert.equal((await a.inject({ url: REC, remoteAddress: '10.2.2.2' })).statusCode, 429);
  await limiter.close(); // the connection is gone: every take now fails
  const after = [];
  for (let i = 0; i < 3; i++) after.push(await a.inject({ url: REC, remoteAddress: '10.2.2.2' }));
  assert.deepEqual(after.map((r) => r.statusCode), [200, 200, 200]);
  assert.equal(after[0].headers['ratelimit-limit'], undefined);
  assert.equal(a.limitStats.failures, 3);
  await a.close();
});
