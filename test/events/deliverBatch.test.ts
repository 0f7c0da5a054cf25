/** deliverBatch: events sharing an order key run in log order; the others overlap; outcomes in batch order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deliverBatch } from '../../src/events/deliver.js';
import { encodeEvent, type PymkEvent } from '../../src/events/schema.js';
import { usersOf } from '../../src/events/apply.js';

const ev = (i: number, actor: string, target: string): PymkEvent => ({ id: `e${i}`, v: 1, at: 1, type: 'dismiss', actor, target }) as PymkEvent;
const info = (i: number) => ({ position: String(i), deliveries: 1, group: 'g', consumer: 'c' });

test('same-user events keep log order, disjoint ones run concurrently; a failure is a retry in its place', async () => {
  const events = [ev(0, 'a', 'b'), ev(1, 'c', 'd'), ev(2, 'b', 'x'), ev(3, 'e', 'f'), ev(4, 'a', 'y'), ev(5, 'bad', 'z')];
  const started: string[] = [];
  const finished: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const outs = await deliverBatch(
    events.map((e, i) => ({ raw: encodeEvent(e), info: info(i) })).concat([{ raw: 'not json', info: info(6) }]),
    3,
    async (e) => {
      started.push(e.id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((r) => setTimeout(r, e.id === 'e0' ? 30 : 5));
      running--;
      finished.push(e.id);
      if (e.id === 'e5') throw new Error('store down');
    },
    usersOf,
  );
  assert.ok(maxRunning >= 3, `disjoint events overlapped (at most ${maxRunning} at once)`);
  // e2 (b) and e4 (a) wait for e0 (a, b): they start only after it finished.
  for (const later of ['e2', 'e4']) assert.ok(started.indexOf(later) > -1 && finished.indexOf('e0') < finished.indexOf(later), `${later} after e0`);
  assert.ok(finished.indexOf('e1') < finished.indexOf('e0'), 'e1 (c, d) did not wait for the slow e0');
  assert.deepEqual(outs.map((o) => o.kind), ['ack', 'ack', 'ack', 'ack', 'ack', 'retry', 'dead']);
});

test('without an order key, one at a time in log order', async () => {
  const order: string[] = [];
  let running = 0;
  await deliverBatch([0, 1, 2, 3].map((i) => ({ raw: encodeEvent(ev(i, `u${i}`, `v${i}`)), info: info(i) })), 3, async (e) => {
    running++;
    assert.equal(running, 1);
    await new Promise((r) => setTimeout(r, 2));
    order.push(e.id);
    running--;
  });
  assert.deepEqual(order, ['e0', 'e1', 'e2', 'e3']);
});
