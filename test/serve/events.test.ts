/**
 * POST /v1/events and invalidation inside the serving tier: events are validated whole and appended only
 * when all are valid; the answer comes after the log acknowledged; the invalidator applies them to the store
 * and every app subscribed to the bus evicts the users from its L1. On the memory log/store/bus, and on
 * redis-streams:// + the Redis store + Redis pub/sub with two apps (two L1 caches) sharing them.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/core/config.js';
import { Invalidator, openEventLog, openInvalidationBus, type EventLog, type InvalidationBus } from '../../src/events/index.js';
import { buildApp } from '../../src/serve/app.js';
import { createKey } from '../../src/serve/keys.js';
import { coreFor } from '../../src/recommend/recommend.js';
import { MemoryStore } from '../../src/store/memory.js';
import { openAnswerCache, type AnswerCache } from '../../src/store/answerCache.js';
import type { OnlineStore } from '../../src/store/types.js';
import { kvHarness } from '../store/kvHarness.js';
import { testRedis } from '../helpers/services.js';
import { waitFor } from '../helpers/waitFor.js';
import { errorShape, world } from './fixtures.js';

const redis = await testRedis();
const AT = 1_760_000_000_000;
let n = 0;
const ev = (rest: Record<string, unknown>) => ({ id: `e${++n}-${randomBytes(3).toString('hex')}`, v: 1, at: AT, ...rest });
const REC = '/v1/users/ann/recommendations?limit=10';

async function recIds(app: FastifyInstance): Promise<{ ids: string[]; cached: boolean; cache: string }> {
  const r = await app.inject({ url: REC });
  assert.equal(r.statusCode, 200, r.body);
  const b = r.json() as { recommendations: { id: string }[]; cached: boolean; cache: string };
  return { ids: b.recommendations.map((x) => x.id), cached: b.cached, cache: b.cache };
}

interface Live {
  log: EventLog;
  bus: InvalidationBus;
  answers: AnswerCache;
  store(): Promise<OnlineStore>;
  cleanup(): Promise<void>;
}

function suite(name: string, open: (() => Promise<Live>) | null, skip: string | false): void {
  describe(`POST /v1/events, ${name}`, { skip: open ? false : skip || true }, () => {
    let live: Live;
    const apps: FastifyInstance[] = [];
    const stores: OnlineStore[] = [];
    let inv: Invalidator | null = null;
    after(async () => {
      await inv?.stop();
      for (const a of apps) await a.close();
      await live?.cleanup();
    });
    const app = async (): Promise<FastifyInstance> => {
      const store = await live.store();
      stores.push(store);
      const config = loadConfig({ l1Size: 100, l1TtlSeconds: 3600 }, {});
      const a = await buildApp({ config, core: () => coreFor(store, config), events: live.log, invalidations: live.bus, answerCache: live.answers });
      apps.push(a);
      return a;
    };

    test('a block through POST /v1/events leaves the list in every app, whose L1 was hot', async () => {
      live = await open!();
      const [a, b] = [await app(), await app()];
      inv = await Invalidator.start(live.log, stores[0], { bus: live.bus, answers: live.answers, consumer: 'serve-test' });
      const before = await recIds(a);
      assert.equal(before.cache, 'computed');
      assert.ok(before.ids.includes('dan'), `fixture: dan is recommended to ann (${before.ids})`);
      await waitFor(async () => (await live.answers.get('ann', 10, stores[0].version())) !== null, { what: 'the answer to reach L2' });
      const fromL2 = await recIds(b);
      assert.equal(fromL2.cache, 'l2', 'app B answers from the L2 entry app A wrote');
      assert.deepEqual(fromL2.ids, before.ids);
      assert.equal((await recIds(a)).cache, 'l1', 'L1 of app A is hot');
      assert.equal((await recIds(b)).cache, 'l1', 'L1 of app B is hot');

      const r = await a.inject({ method: 'POST', url: '/v1/events', payload: ev({ type: 'block', actor: 'ann', target: 'dan' }) });
      assert.equal(r.statusCode, 202, r.body);
      assert.equal(r.json().accepted, 1);
      assert.equal(r.json().ids.length, 1);
      for (const x of [a, b]) {
        await waitFor(async () => !(await recIds(x)).ids.includes('dan'), { what: 'dan to leave ann\'s list' });
        const after = await recIds(x);
        assert.equal(after.cached, true, 'the fresh answer is cached again');
        assert.ok(!after.ids.includes('dan'));
      }
      const l2 = await live.answers.get('ann', 10, stores[0].version());
      assert.ok(l2 === null || !(l2.body as { recommendations: { id: string }[] }).recommendations.some((r) => r.id === 'dan'), 'L2 holds no answer with dan');
      const m = await b.inject({ url: '/metrics' });
      assert.match(m.body, /pymk_invalidations_total [1-9]/);
    });

    test('a batch: 202 with every id; one bad event → 400 naming the field and nothing appended', async () => {
      const [a] = apps;
      const lagBefore = await live.log.lag('never-consumed');
      const good = [ev({ type: 'dismiss', actor: 'ann', target: 'fay' }), ev({ type: 'connection.created', a: 'eve', b: 'fay' })];
      const ok = await a.inject({ method: 'POST', url: '/v1/events', payload: { events: good } });
      assert.equal(ok.statusCode, 202, ok.body);
      assert.deepEqual(ok.json().ids, good.map((e) => e.id));
      assert.equal(ok.json().positions.length, 2);
      assert.equal(await live.log.lag('never-consumed'), lagBefore + 2);

      const bad = await a.inject({ method: 'POST', url: '/v1/events', payload: { events: [ev({ type: 'dismiss', actor: 'ann', target: 'eve' }), ev({ type: 'block', actor: 'ann' })] } });
      assert.equal(bad.statusCode, 400);
      assert.equal(errorShape(bad.json()).code, 'PYMK_BAD_EVENT');
      assert.match(bad.json().message, /events\[1\]\.target/);
      for (const payload of [{ events: [] }, { events: 'x' }, { events: [ev({ type: 'dismiss', actor: 'a', target: 'b' })], extra: 1 }, { type: 'nope' }, {}]) {
        const r = await a.inject({ method: 'POST', url: '/v1/events', payload });
        assert.equal(r.statusCode, 400, JSON.stringify(payload));
        assert.equal(errorShape(r.json()).code, 'PYMK_BAD_EVENT');
      }
      const tooMany = await a.inject({ method: 'POST', url: '/v1/events', payload: { events: Array.from({ length: 1001 }, () => ev({ type: 'dismiss', actor: 'a', target: 'b' })) } });
      assert.equal(tooMany.statusCode, 400);
      assert.match(tooMany.json().message, /1 to 1000 events, got 1001/);
      assert.equal(await live.log.lag('never-consumed'), lagBefore + 2, 'nothing appended from the refused bodies');
    });
  });
}

suite(
  'memory log, store and bus',
  async () => {
    const log = await openEventLog('memory://');
    const bus = await openInvalidationBus(`memory://events-test-${randomBytes(4).toString('hex')}`);
    const store = new MemoryStore(world);
    const answers = await openAnswerCache('memory://', { ttlMs: 3_600_000 });
    return { log, bus, answers, store: async () => store, cleanup: async () => Promise.all([log.close(), bus.close(), answers.close()]).then(() => {}) };
  },
  false,
);

const h = redis.skip ? null : kvHarness(redis.url);
suite(
  'redis-streams log, Redis store, Redis bus, two apps',
  h
    ? async () => {
        const url = h.freshUrl();
        const prefix = new URL(url).searchParams.get('prefix')!;
        await h.publish(url, world);
        const log = await openEventLog(`${redis.url.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events&claimMs=100&blockMs=20`);
        const bus = await openInvalidationBus(`${redis.url}?channel=${prefix}:invalidate`);
        const answers = await openAnswerCache(url, { ttlMs: 3_600_000 });
        return {
          log,
          bus,
          answers,
          store: () => h.openUrl(url),
          cleanup: async () => {
            await log.drop();
            await bus.close();
            await answers.close();
            await h.cleanup?.();
          },
        };
      }
    : null,
  redis.skip,
);

test('events:write is the scope; without an event log the route answers 503 PYMK_EVENTS_UNAVAILABLE', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-evkeys-'));
  try {
    const file = join(dir, 'keys.json');
    const reader = await createKey(file, ['recommendations:read'], 'reader');
    const writer = await createKey(file, ['events:write'], 'writer');
    const config = loadConfig({ keysFile: file }, {});
    const log = await openEventLog('memory://');
    const core = coreFor(new MemoryStore(world), config);
    const a = await buildApp({ config, core: () => core, events: log });
    const payload = ev({ type: 'dismiss', actor: 'ann', target: 'dan' });
    assert.equal((await a.inject({ method: 'POST', url: '/v1/events', payload })).statusCode, 401);
    const r403 = await a.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'x-api-key': reader.key } });
    assert.equal(r403.statusCode, 403);
    assert.match(r403.json().message, /events:write/);
    assert.equal((await a.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'x-api-key': writer.key } })).statusCode, 202);
    await a.close();
    await log.close();
    const none = await buildApp({ config: loadConfig({}, {}), core: () => core });
    const r = await none.inject({ method: 'POST', url: '/v1/events', payload });
    assert.equal(r.statusCode, 503);
    assert.equal(errorShape(r.json()).code, 'PYMK_EVENTS_UNAVAILABLE');
    await none.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
