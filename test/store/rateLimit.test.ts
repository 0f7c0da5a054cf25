/** The rate limiter contract on the memory limiter and on the machine's Redis (unique prefix, cleaned up). */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryRateLimiter, openRateLimiter } from '../../src/store/rateLimit.js';
import { openKvTarget } from '../../src/store/index.js';
import { redisAnswers } from '../helpers/redisCluster.js';
import { rateLimitContract } from './rateLimitContract.js';

const URL = process.env.PYMK_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const u = new globalThis.URL(URL);
const up = await redisAnswers(Number(u.port || 6379), u.hostname);
const prefix = `pymktest-rl-${process.pid}-${randomBytes(3).toString('hex')}`;
const redisUrl = `${URL}?prefix=${prefix}`;

rateLimitContract('memory', () => openRateLimiter('memory://'));
rateLimitContract('redis', up ? () => openRateLimiter(redisUrl) : null, `no Redis answers at ${URL}`);

after(async () => {
  if (!up) return;
  const t = await openKvTarget(redisUrl);
  await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
  await t.kv.close();
});

test('memory limiter: refill follows the injected clock; the least recently used buckets are dropped past maxClients', async () => {
  let now = 1_000_000;
  const l = new MemoryRateLimiter({ clock: () => now, maxClients: 2 });
  const rule = { perSecond: 1, burst: 2 };
  await l.take('a', rule);
  await l.take('a', rule);
  assert.equal((await l.take('a', rule)).allowed, false);
  now += 999;
  assert.equal((await l.take('a', rule)).allowed, false);
  now += 1001;
  assert.equal((await l.take('a', rule)).allowed, true);
  await l.take('b', rule);
  await l.take('c', rule); // drops 'a' (least recently used): it starts full again
  assert.equal((await l.take('a', rule)).remaining, 1);
});

test('redis limiter: buckets live under the prefix and expire once full again', { skip: up ? false : 'no Redis' }, async () => {
  const l = await openRateLimiter(redisUrl);
  await l.take('ttl-client', { perSecond: 100, burst: 5 });
  const t = await openKvTarget(redisUrl);
  const seen: string[] = [];
  await t.kv.scan(`${prefix}:rl:ttl-client`, async (keys) => void seen.push(...keys));
  assert.deepEqual(seen, [`${prefix}:rl:ttl-client`]);
  await new Promise((r) => setTimeout(r, 1100)); // full after 10 ms; the key's TTL is that + 1 s
  const gone: string[] = [];
  await t.kv.scan(`${prefix}:rl:ttl-client`, async (keys) => void gone.push(...keys));
  assert.deepEqual(gone, []);
  await t.kv.close();
  await l.close();
});

test('unknown limiter scheme fails with the list', async () => {
  await assert.rejects(openRateLimiter('etcd://x'), /memory:, redis:, redis-cluster:/);
});
