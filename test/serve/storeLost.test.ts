/**
 * A Redis store that loses its data (FLUSHALL on a redis-server of the test's own): the server keeps
 * answering 200 from the bundle on its disk (a named degraded path), /readyz and /metrics say so, the server
 * republishes the bundle it loaded (the fleet's elected repairer), and a
 * different bundle published into the emptied store gets a generation above the old one and is served with
 * its own version and dictionaries; its model and index are loaded once the bundle folder holds it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

test('Redis emptied under a server: 200s from the local bundle, readyz degraded, then a new publish is served with its own dictionaries', { skip: await redisServerSkip() }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-store-lost-'));
  const redis = await startRedis();
  try {
    const a = await bundleOf(root, 'a', 5);
    const b = await bundleOf(root, 'b', 6);
    const url = `${redis.url}?prefix=lost&refreshMs=50`;
    const target = await openKvTarget(url);
    const snapA = await loadSnapshot(a);
    const first = await publishSnapshot(target.kv, target.space, snapA, { log: () => {} });

    const served = join(root, 'served');
    await cp(a, served, { recursive: true });
    const server = await createServer(loadConfig({ bundle: served, store: url, annCandidates: 0, l2TtlSeconds: 0 }, {}));
    try {
      server.app.log.error = (() => {}) as typeof server.app.log.error;
      server.app.log.warn = (() => {}) as typeof server.app.log.warn;
      const repairs: string[] = [];
      const users = Array.from({ length: 40 }, (_, i) => snapA.ids.value(i));
      const get = (u: string, limit = 10) => server.app.inject({ url: `/v1/users/${u}/recommendations?limit=${limit}` });
      const full = await get(users[0]);
      assert.equal(full.statusCode, 200);
      assert.equal(full.json().path, 'full');

      execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL']);
      const paths = new Map<string, number>();
      for (const u of users) {
        const r = await get(u, 7); // another limit: not in L1
        assert.equal(r.statusCode, 200, `${u}: ${r.body}`);
        const body = r.json<{ path: string; degraded: string; version: string }>();
        assert.notEqual(body.path, 'full');
        assert.ok(body.degraded, 'names why');
        paths.set(body.path, (paths.get(body.path) ?? 0) + 1);
      }
      assert.ok((paths.get('local-static') ?? 0) + (paths.get('local-2hop') ?? 0) >= 30, JSON.stringify([...paths]));
      await waitFor(async () => (await server.app.inject({ url: '/readyz' })).json<{ status: string }>().status === 'degraded', { what: 'readyz says degraded', everyMs: 20 });
      const ready = (await server.app.inject({ url: '/readyz' })).json<{ status: string; degraded: string[] }>();
      assert.equal(ready.status, 'degraded');
      assert.ok(ready.degraded.some((d) => /store/.test(d)), ready.degraded.join('; '));
      const metrics = (await server.app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /pymk_fallbacks_total\{path="local-(static|2hop)",reason="[a-z-]+"\} [1-9]/);

      // The server's polls see the store lost the version it loaded and republishes it from its disk (elected by a lock).
      server.app.log.warn = ((_o: unknown, msg: string) => void repairs.push(msg)) as typeof server.app.log.warn;
      // (as the server's bundle poll does: a poll that ran before the store's own refresh saw the loss repairs nothing)
      await waitFor(
        async () => {
          await server.reload();
          return repairs.length > 0;
        },
        { what: 'the repair', everyMs: 100, timeoutMs: 20_000 },
      );
      assert.match(repairs[0], /had lost .*: republished it/);
      await waitFor(async () => (await get(users[1], 6)).json<{ path: string }>().path === 'full', { what: 'full service after the repair', everyMs: 20 });
      execFileSync('redis-cli', ['-p', String(redis.port), 'FLUSHALL']);

      // A different bundle published into the emptied store: a generation above the old one, served with its own dictionaries.
      const snapB = await loadSnapshot(b);
      const second = await publishSnapshot(target.kv, target.space, snapB, { log: () => {} });
      assert.ok(second.gen > first.gen, `generation ${second.gen} after ${first.gen}`);
      await waitFor(async () => server.core().store.version() === snapB.version, { what: 'the store follows the new publish', everyMs: 20 });
      const store = server.core().store;
      const dictA = snapA.profiles.dicts.company;
      const dictB = snapB.profiles.dicts.company;
      let differs = 0;
      for (let c = 0; c < Math.min(dictA.size, dictB.size); c++) {
        assert.equal(store.fieldValue('company', c), dictB.value(c));
        if (dictA.value(c) !== dictB.value(c)) differs++;
      }
      assert.ok(differs > 0, 'the two worlds have different company dictionaries');
      const u = snapB.ids.value(3);
      await waitFor(async () => (await get(u, 5)).json<{ path: string }>().path === 'full', { what: 'full service from Redis again', everyMs: 20 });
      assert.equal((await get(u, 5)).json<{ version: string }>().version, snapB.version);

      // The bundle folder now gets B: the server loads its model and local fallback for the version served.
      await rm(served, { recursive: true });
      await cp(b, served, { recursive: true });
      await server.reload();
      assert.equal(server.core().local?.version(), snapB.version);
    } finally {
      await server.close();
      await target.kv.close();
    }
  } finally {
    await redis.stop();
    await rm(root, { recursive: true, force: true });
  }
});
