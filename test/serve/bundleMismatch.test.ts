/**
 * A server whose bundle folder does not hold the version the Redis store serves: it says so when it starts
 * (a warning naming both versions) and on /readyz (degraded, with the reason), keeps answering from the
 * store, and once the folder holds the served version it loads that bundle's model, index and local
 * fallback, and the reason goes away. And when the store moves to a version the folder already holds, the
 * server loads it at the store's refresh, not at its next folder poll.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { createServer } from '../../src/serve/server.js';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { openKvTarget, publishSnapshot } from '../../src/store/index.js';
import { redisServerSkip } from '../helpers/services.js';
import { startRedis } from '../helpers/redisCluster.js';
import { quickBundle } from '../helpers/quickBundle.js';
import { waitFor } from '../helpers/waitFor.js';

const bundleOf = (root: string, name: string, seed: number): Promise<string> => quickBundle(root, name, 300, seed);

test('the store serves another version than the bundle folder holds: a warning at start, readyz names it, and it clears once the folder holds the served version', { skip: await redisServerSkip() }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-bundle-mismatch-'));
  const redis = await startRedis();
  try {
    const a = await bundleOf(root, 'a', 7);
    const b = await bundleOf(root, 'b', 8);
    const url = `${redis.url}?prefix=mismatch&refreshMs=50`;
    const target = await openKvTarget(url);
    const snapB = await loadSnapshot(b);
    await publishSnapshot(target.kv, target.space, snapB, { log: () => {} });

    const served = join(root, 'served');
    await cp(a, served, { recursive: true });
    const lines: { level: number; msg: string }[] = [];
    const logger = { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) };
    const server = await createServer(loadConfig({ bundle: served, store: url, l2TtlSeconds: 0 }, {}), { logger });
    try {
      const snapA = await loadSnapshot(a);
      const warned = lines.filter((l) => l.level === 40 && l.msg.includes(`the store serves ${snapB.version} but ${served} holds ${snapA.version}`));
      assert.equal(warned.length, 1, JSON.stringify(lines.map((l) => l.msg)));
      assert.match(warned[0].msg, /no self-repair/);

      const ready = (await server.app.inject({ url: '/readyz' })).json<{ status: string; version: string; degraded: string[] }>();
      assert.equal(ready.status, 'degraded');
      assert.equal(ready.version, snapB.version);
      assert.ok(ready.degraded.some((d) => d.includes(snapA.version) && d.includes(snapB.version)), ready.degraded.join('; '));

      const u = snapB.ids.value(3);
      const r = await server.app.inject({ url: `/v1/users/${u}/recommendations?limit=5` });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json<{ version: string }>().version, snapB.version);

      // A second poll with the folder unchanged warns no more.
      await server.reload();
      assert.equal(lines.filter((l) => l.level === 40 && l.msg.includes('the store serves')).length, 1);

      await rm(served, { recursive: true });
      await cp(b, served, { recursive: true });
      await server.reload();
      assert.equal(server.core().loaded, snapB.version);
      assert.equal(server.core().local?.version(), snapB.version);
      const after = (await server.app.inject({ url: '/readyz' })).json<{ status: string; degraded: string[] }>();
      assert.equal(after.status, 'ready', after.degraded.join('; '));
    } finally {
      await server.close();
      await target.kv.close();
    }
  } finally {
    await redis.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test('the store moves to a version the folder already holds: its model, index and local fallback follow at the store refresh, not the next poll', { skip: await redisServerSkip() }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-bundle-follow-'));
  const redis = await startRedis();
  try {
    const a = await bundleOf(root, 'a', 9);
    const b = await bundleOf(root, 'b', 10);
    const url = `${redis.url}?prefix=follow&refreshMs=50`;
    const target = await openKvTarget(url);
    await publishSnapshot(target.kv, target.space, await loadSnapshot(a), { log: () => {} });
    const served = join(root, 'served');
    await cp(a, served, { recursive: true });
    // A poll far away: only the store's move can make the server look at the folder within the test.
    const server = await createServer(loadConfig({ bundle: served, store: url, l2TtlSeconds: 0 }, {}), { watchMs: 600_000 });
    try {
      const snapA = await loadSnapshot(a);
      assert.equal(server.core().loaded, snapA.version);
      // The folder gets B first (as a deploy would sync it), then B is published.
      await rm(served, { recursive: true });
      await cp(b, served, { recursive: true });
      const snapB = await loadSnapshot(b);
      const t0 = Date.now();
      await publishSnapshot(target.kv, target.space, snapB, { log: () => {} });
      await waitFor(async () => server.core().loaded === snapB.version, { what: "B's model and index loaded after the store moved", everyMs: 20, timeoutMs: 10_000 });
      assert.equal(server.core().store.version(), snapB.version);
      assert.equal(server.core().local?.version(), snapB.version);
      assert.ok(Date.now() - t0 < 10_000);
      const ready = (await server.app.inject({ url: '/readyz' })).json<{ status: string; degraded: string[] }>();
      assert.equal(ready.status, 'ready', ready.degraded.join('; '));
    } finally {
      await server.close();
      await target.kv.close();
    }
  } finally {
    await redis.stop();
    await rm(root, { recursive: true, force: true });
  }
});
