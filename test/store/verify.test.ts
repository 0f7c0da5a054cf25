/** `pymk publish --verify` on the machine's Redis: per-kind counts, a repair that writes a fresh generation, the fleet lock. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openKvTarget, publishSnapshot, verifyPublished, claimLock, keyKind } from '../../src/store/index.js';
import { world } from '../serve/fixtures.js';
import { testRedis } from '../helpers/services.js';

const redis = await testRedis();

test('keyKind names every kind of a generation key', () => {
  const base = 'p:g7:';
  assert.equal(keyKind(base, 'p:g7:meta'), 'meta');
  assert.equal(keyKind(base, 'p:g7:id:ann'), 'ids');
  assert.equal(keyKind(base, 'p:g7:{p3.1}x12'), 'ext');
  assert.equal(keyKind(base, 'p:g7:{p3.1}p12'), 'profile');
  assert.equal(keyKind(base, 'p:g7:{12}p'), 'profiles');
  assert.equal(keyKind(base, 'p:g7:{12}c'), 'candidates');
  assert.equal(keyKind(base, 'p:g7:{12}s'), 'static');
});

test('verify: ok when whole; missing keys are counted per kind and repaired by a fresh generation; no pointer is repaired too', { skip: redis.skip }, async () => {
  const prefix = `t-verify-${randomUUID().slice(0, 8)}`;
  const t = await openKvTarget(`${redis.url}?prefix=${prefix}`);
  try {
    const first = await publishSnapshot(t.kv, t.space, world, { log: () => {} });
    const ok = await verifyPublished(t.kv, t.space, world, { log: () => {} });
    assert.equal(ok.state, 'ok');
    assert.equal(ok.present, ok.expected);
    assert.equal(ok.byKind.ids, world.ids.size);
    assert.equal(ok.repaired, null);

    // An eviction: every external-id row gone.
    const meta = JSON.parse((await t.kv.get(t.space.gen(first.gen, 1).meta()))!.toString()) as { buckets: number };
    const k = t.space.gen(first.gen, meta.buckets);
    await t.kv.del(Array.from({ length: world.ids.size }, (_, u) => k.ext(u)));
    const report = await verifyPublished(t.kv, t.space, world, { repair: false, log: () => {} });
    assert.equal(report.state, 'missing-keys');
    assert.equal(report.byKind.ext ?? 0, 0);
    assert.equal(report.expected - report.present, world.ids.size);
    assert.equal(report.repaired, null, 'repair: false writes nothing');
    const fixed = await verifyPublished(t.kv, t.space, world, { log: () => {} });
    assert.ok(fixed.repaired && fixed.repaired.gen > first.gen, 'a fresh generation');
    assert.equal((await verifyPublished(t.kv, t.space, world, { log: () => {} })).state, 'ok');

    // Everything gone (the pointer too).
    await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
    const empty = await verifyPublished(t.kv, t.space, world, { log: () => {} });
    assert.equal(empty.state, 'no-pointer');
    assert.ok(empty.repaired && empty.repaired.gen > fixed.repaired.gen, 'the generation does not restart after the counter was lost');
    assert.equal((await verifyPublished(t.kv, t.space, world, { log: () => {} })).state, 'ok');

    // Another version served: reported, left alone.
    const other = await verifyPublished(t.kv, t.space, { ...world, version: 'v-other' }, { log: () => {} });
    assert.equal(other.state, 'other-version');
    assert.equal(other.served, world.version);
  } finally {
    await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
    await t.kv.close();
  }
});

test('claimLock: one holder at a time, free again after its expiry', { skip: redis.skip }, async () => {
  const t = await openKvTarget(redis.url);
  const key = `t-lock-${randomUUID()}`;
  try {
    assert.equal(await claimLock(t.kv, key, 'a', 200), true);
    assert.equal(await claimLock(t.kv, key, 'b', 200), false);
    await t.kv.del([key]);
    assert.equal(await claimLock(t.kv, key, 'b', 200), true);
  } finally {
    await t.kv.del([key]);
    await t.kv.close();
  }
});
