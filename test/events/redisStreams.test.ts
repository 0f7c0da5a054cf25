/**
 * The contract suite on the machine's Redis (PYMK_TEST_REDIS, default redis://127.0.0.1:6379): each test
 * uses its own stream under a per-run prefix, deleted after it (EventLog.drop).
 */
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEventLog } from '../../src/events/index.js';
import { eventLogContract } from './contract.js';
import { tcpAnswers, whenDown } from './services.js';

const REDIS = process.env.PYMK_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const u = new URL(REDIS);
const up = await tcpAnswers(u.hostname || '127.0.0.1', Number(u.port || 6379));
const prefix = `pymk-test-events-${randomUUID().slice(0, 8)}`;
const streamsUrl = REDIS.replace(/^redis:/, 'redis-streams:').replace(/\/?$/, '');

eventLogContract(
  'redis-streams://',
  up ? { url: () => `${streamsUrl}?prefix=${prefix}&stream=s${randomUUID().slice(0, 8)}&claimMs=150&blockMs=20`, crashCountsAsDelivery: true } : null,
  up ? undefined : whenDown('Redis', `no Redis answers at ${REDIS} (set PYMK_TEST_REDIS)`),
);

test('a consumer restarting under its name takes back its in-flight events first, in order, without waiting for claimMs', { skip: up ? false : 'no Redis' }, async () => {
  const url = `${streamsUrl}?prefix=${prefix}&stream=r${randomUUID().slice(0, 8)}&claimMs=60000&blockMs=20`;
  const ev = (i: number) => ({ id: `r-${i}`, type: 'dismiss', v: 1, at: 1, actor: `u${i}`, target: 'x' });
  const first = await openEventLog(url);
  await first.append([1, 2, 3, 4].map(ev));
  let stuck = false;
  const seen: string[] = [];
  await first.consume('g', 'same', async (e) => {
    if (e.id === 'r-2') {
      stuck = true;
      await new Promise(() => {}); // dies here: closed without acking r-2 (r-3, r-4 fetched, not handled)
    }
    seen.push(e.id);
  });
  const until = Date.now() + 5000;
  while (!stuck && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  await first.close();
  const second = await openEventLog(url);
  try {
    await second.append([ev(5)]);
    const again: { id: string; deliveries: number }[] = [];
    const c = await second.consume('g', 'same', (e, info) => void again.push({ id: e.id, deliveries: info.deliveries }));
    const end = Date.now() + 5000;
    while (again.length < 4 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    await c.stop();
    assert.deepEqual(seen, ['r-1']);
    assert.deepEqual(again.map((x) => x.id), ['r-2', 'r-3', 'r-4', 'r-5'], 'own pending first, in log order, then new events');
    assert.equal(again[0].deliveries, 2, 'the take-back counts as a delivery');
    assert.equal(await second.lag('g'), 0);
  } finally {
    await second.drop();
  }
});
