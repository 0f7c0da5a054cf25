/**
 * The rate limiter contract, run on every implementation (memory here, Redis on the machine's Redis). Each
 * test uses fresh client ids, so runs never share buckets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RateLimiter } from '../../src/store/rateLimit.js';

export function rateLimitContract(name: string, open: (() => Promise<RateLimiter>) | null, skipWhy = '') {
  const skip = open ? false : skipWhy;
  const client = () => `c-${randomBytes(6).toString('hex')}`;
  const slow = { perSecond: 0.01, burst: 3 }; // refills one token per 100 s: none during a test

  test(`${name}: the burst is allowed, then refused with a retry time; headers' numbers`, { skip }, async () => {
    const l = await open!();
    const c = client();
    const d = [];
    for (let i = 0; i < 5; i++) d.push(await l.take(c, slow));
    assert.deepEqual(d.map((x) => x.allowed), [true, true, true, false, false]);
    assert.deepEqual(d.map((x) => x.remaining), [2, 1, 0, 0, 0]);
    assert.ok(d.every((x) => x.limit === 3));
    assert.equal(d[0].retryAfterMs, 0);
    // One token takes 100 s at 0.01/s; the whole bucket about 300 s.
    assert.ok(d[3].retryAfterMs > 90_000 && d[3].retryAfterMs <= 100_000, String(d[3].retryAfterMs));
    assert.ok(d[4].resetMs > 290_000 && d[4].resetMs <= 300_000, String(d[4].resetMs));
    await l.close();
  });

  test(`${name}: clients have separate buckets`, { skip }, async () => {
    const l = await open!();
    const [a, b] = [client(), client()];
    for (let i = 0; i < 3; i++) assert.equal((await l.take(a, slow)).allowed, true);
    assert.equal((await l.take(a, slow)).allowed, false);
    assert.equal((await l.take(b, slow)).allowed, true);
    await l.close();
  });

  test(`${name}: the bucket refills at the rate`, { skip }, async () => {
    const l = await open!();
    const c = client();
    const fast = { perSecond: 20, burst: 2 }; // a token every 50 ms
    assert.equal((await l.take(c, fast)).allowed, true);
    assert.equal((await l.take(c, fast)).allowed, true);
    const refused = await l.take(c, fast);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 50, String(refused.retryAfterMs));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal((await l.take(c, fast)).allowed, true);
    await l.close();
  });

  test(`${name}: concurrent takes never exceed the burst (atomic)`, { skip }, async () => {
    const l = await open!();
    const c = client();
    const rule = { perSecond: 0.01, burst: 10 };
    const all = await Promise.all(Array.from({ length: 40 }, () => l.take(c, rule)));
    assert.equal(all.filter((d) => d.allowed).length, 10);
    await l.close();
  });

  test(`${name}: a bad rule is refused`, { skip }, async () => {
    const l = await open!();
    await assert.rejects(l.take(client(), { perSecond: 0, burst: 1 }), /PYMK_CONFIG|perSecond/);
    await l.close();
  });
}
