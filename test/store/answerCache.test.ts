/** One contract for the L2 answer caches: memory:// and redis:// (the machine's Redis, a unique prefix). */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { openAnswerCache, type AnswerCache } from '../../src/store/answerCache.js';
import { testRedis } from '../helpers/services.js';

const redis = await testRedis();
const TTL = 3_600_000;

function contract(name: string, open: ((clock: () => number) => Promise<AnswerCache>) | null, skip: string | false): void {
  describe(`answer cache contract: ${name}`, { skip: open ? false : skip || true }, () => {
    let now = 1_800_000_000_000;
    const clock = () => now;
    let c: AnswerCache;
    after(() => c?.close());

    test('an answer is read back for its user, limit and version only', async () => {
      c = await open!(clock);
      const body = { user: 'u1', recommendations: [{ id: 'u2', score: 0.5 }] };
      await c.set('u1', 10, { version: 'v1', computedAt: now, body });
      assert.deepEqual(await c.get('u1', 10, 'v1'), { version: 'v1', computedAt: now, body });
      assert.equal(await c.get('u1', 10, 'v2'), null, 'another version is a miss');
      assert.equal(await c.get('u1', 20, 'v1'), null, 'another limit is a miss');
      assert.equal(await c.get('u9', 10, 'v1'), null, 'another user is a miss');
    });

    test('an entry older than the TTL is a miss', async () => {
      await c.set('old', 10, { version: 'v1', computedAt: now, body: 1 });
      now += TTL - 1;
      assert.ok(await c.get('old', 10, 'v1'));
      now += 1;
      assert.equal(await c.get('old', 10, 'v1'), null);
    });

    test('delete drops every limit of the users named, and only theirs', async () => {
      for (const u of ['a', 'b', 'c']) for (const l of [5, 10]) await c.set(u, l, { version: 'v1', computedAt: now, body: `${u}${l}` });
      await c.delete(['a', 'b', 'nobody']);
      for (const u of ['a', 'b']) for (const l of [5, 10]) assert.equal(await c.get(u, l, 'v1'), null, `${u}/${l}`);
      assert.equal((await c.get('c', 5, 'v1'))?.body, 'c5');
      assert.equal((await c.get('c', 10, 'v1'))?.body, 'c10');
    });

    test('ids with braces, colons and non-ASCII stay apart', async () => {
      const ids = ['x:{y}', 'x', '{x}', 'é ü'];
      for (const u of ids) await c.set(u, 1, { version: 'v1', computedAt: now, body: u });
      for (const u of ids) assert.equal((await c.get(u, 1, 'v1'))?.body, u);
    });
  });
}

contract('memory://', (clock) => openAnswerCache('memory://', { ttlMs: TTL, clock }), false);
const prefix = `pymktest-l2-${randomBytes(4).toString('hex')}`;
contract('redis://', redis.skip ? null : (clock) => openAnswerCache(`${redis.url}?prefix=${prefix}`, { ttlMs: TTL, clock }), redis.skip);

describe('redis answer cache: expiry and bad values', { skip: redis.skip }, () => {
  const raw = redis.skip ? null : new Redis(redis.url);
  after(async () => {
    const keys = await raw!.keys(`${prefix}*`);
    if (keys.length) await raw!.del(...keys);
    raw!.disconnect();
  });

  test('the user hash carries the TTL as its expiry; a value that is not an answer is PYMK_STORE_INVALID', async () => {
    const c = await openAnswerCache(`${redis.url}?prefix=${prefix}`, { ttlMs: TTL });
    try {
      await c.set('t', 10, { version: 'v1', computedAt: Date.now(), body: [] });
      const pttl = await raw!.pttl(`${prefix}:l2:{t}`);
      assert.ok(pttl > TTL - 5000 && pttl <= TTL, `pttl ${pttl}`);
      await raw!.hset(`${prefix}:l2:{bad}`, '10', 'not json');
      await assert.rejects(c.get('bad', 10, 'v1'), (e: Error & { code?: string }) => e.code === 'PYMK_STORE_INVALID' && /not JSON/.test(e.message));
      await raw!.hset(`${prefix}:l2:{bad}`, '10', '{"x":1}');
      await assert.rejects(c.get('bad', 10, 'v1'), /not a cached answer/);
    } finally {
      await c.close();
    }
  });
});

test('a TTL that is not positive is a configuration error', async () => {
  await assert.rejects(openAnswerCache('memory://', { ttlMs: 0 }), /TTL must be > 0/);
  await assert.rejects(openAnswerCache('mem://', { ttlMs: 1 }), /unknown answer cache scheme/);
});
