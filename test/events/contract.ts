/**
 * The one contract suite every EventLog implementation passes (memory, Redis Streams, NATS JetStream,
 * Kafka). Each test opens a fresh log (a unique stream/topic name from the harness), and drops it after.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openEventLog, type DeliveryInfo, type EventLog, type PymkEvent } from '../../src/events/index.js';

export interface LogHarness {
  /** The URL of a fresh, empty log with short claim / ack-wait timeouts; opening it twice gives the same log. */
  url(): string;
  /**
   * Whether a redelivery after a consumer stopped without acking counts as a further delivery (Redis, NATS
   * and memory keep counts in the log; Kafka's are emulated per consumer and start again at 1).
   */
  crashCountsAsDelivery: boolean;
  /** How long to wait for deliveries (default 5 s; Kafka's group joins take seconds). */
  patienceMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const AT = 1_760_000_000_000;

/** n valid events of varied types with ids `<tag>-<i>`. */
function events(tag: string, n: number): PymkEvent[] {
  const make = [
    (id: string, i: number): PymkEvent => ({ id, type: 'connection.created', v: 1, at: AT + i, a: `u${i}`, b: `u${i + 1}` }),
    (id: string, i: number): PymkEvent => ({ id, type: 'dismiss', v: 1, at: AT + i, actor: `u${i}`, target: `u${i + 7}` }),
    (id: string, i: number): PymkEvent => ({ id, type: 'impression', v: 1, at: AT + i, actor: `u${i}`, targets: ['u1', 'u2'] }),
    (id: string, i: number): PymkEvent => ({ id, type: 'user.updated', v: 1, at: AT + i, user: `u${i}`, profile: { company: 'Acme', seniority: 3 } }),
  ];
  return Array.from({ length: n }, (_, i) => make[i % make.length](`${tag}-${i}`, i));
}

interface Seen {
  event: PymkEvent;
  info: DeliveryInfo;
}

async function withLog(h: LogHarness, f: (log: EventLog, url: string) => Promise<void>): Promise<void> {
  const url = h.url();
  const log = await openEventLog(url);
  try {
    await f(log, url);
  } finally {
    await log.drop();
  }
}

export function eventLogContract(name: string, harness: LogHarness | null, skip?: string): void {
  describe(`event log contract: ${name}`, { skip: harness ? false : (skip ?? true) }, () => {
    const h = harness!;
    const wait = (what: string, cond: () => boolean | Promise<boolean>): Promise<void> => waitFor(what, cond, h.patienceMs ?? 5000);

    test('appended events are consumed in order, at the positions append returned', () =>
      withLog(h, async (log) => {
        const evs = events('order', 12);
        const positions = await log.append(evs);
        assert.equal(positions.length, 12);
        assert.equal(new Set(positions).size, 12);
        const seen: Seen[] = [];
        const c = await log.consume('g', 'c1', (event, info) => void seen.push({ event, info }));
        await wait('12 events', () => seen.length >= 12);
        await c.stop();
        assert.deepEqual(seen.map((s) => s.event), evs);
        assert.deepEqual(seen.map((s) => s.info.position), positions);
        assert.ok(seen.every((s) => s.info.deliveries === 1 && s.info.group === 'g' && s.info.consumer === 'c1'));
      }));

    test('with an orderKey, events sharing a key are handled in log order, each once, all acked', () =>
      withLog(h, async (log) => {
        // 60 events over 4 keys (the actor), each handler taking a varying time: a log that overlaps events
        // must still finish each key's events one after the other, in log order.
        const evs: PymkEvent[] = Array.from({ length: 60 }, (_, i) => ({ id: `ok-${i}`, type: 'dismiss', v: 1, at: AT + i, actor: `k${i % 4}`, target: `t${i}` }));
        await log.append(evs);
        const running = new Map<string, number>();
        const seen: string[] = [];
        const c = await log.consume(
          'g',
          'c1',
          async (e) => {
            const key = (e as { actor: string }).actor;
            assert.equal(running.get(key) ?? 0, 0, `${e.id}: another event of ${key} is still being handled`);
            running.set(key, 1);
            await sleep((Number(e.id.slice(3)) * 7) % 5);
            seen.push(e.id);
            running.set(key, 0);
          },
          { orderKey: (e) => [(e as { actor: string }).actor], batch: 16 },
        );
        await wait('60 events', () => seen.length >= 60);
        await wait('lag 0', async () => (await log.lag('g')) === 0);
        await c.stop();
        assert.equal(new Set(seen).size, 60, 'each handled once');
        for (let k = 0; k < 4; k++) {
          const mine = seen.filter((id) => Number(id.slice(3)) % 4 === k);
          assert.deepEqual(mine, evs.filter((_, i) => i % 4 === k).map((e) => e.id), `key k${k} in log order`);
        }
      }));

    test('a consumer killed mid-stream: the group resumes from its last ack and loses nothing', () =>
      withLog(h, async (log, url) => {
        const evs = events('kill', 10);
        await log.append(evs);
        const first: string[] = [];
        let blocked!: () => void;
        const reached = new Promise<void>((r) => (blocked = r));
        let release!: () => void;
        const hang = new Promise<void>((r) => (release = r));
        await log.consume('g', 'c1', async (e) => {
          first.push(e.id);
          if (first.length === 4) {
            blocked();
            await hang; // the consumer dies while handling its 4th event
          }
        });
        await reached;
        await log.close();
        release(); // the handler finishes after the log closed: its event must not count as acked
        const log2 = await openEventLog(url);
        try {
          const second: Seen[] = [];
          const c = await log2.consume('g', 'c2', (event, info) => void second.push({ event, info }));
          await wait('the 7 unacked events on the next consumer', () => second.length >= 7);
          await wait('lag 0', async () => (await log2.lag('g')) === 0);
          await c.stop();
          assert.deepEqual(first, evs.slice(0, 4).map((e) => e.id));
          assert.deepEqual(second.map((s) => s.event.id), evs.slice(3).map((e) => e.id), 'acked events are not redelivered, the rest are, in order');
          assert.deepEqual(second[0].event, evs[3], 'the event redelivered carries its id and body');
          if (h.crashCountsAsDelivery) assert.equal(second[0].info.deliveries, 2);
        } finally {
          await log2.drop();
        }
      }));

    test('idempotency keys are carried through: a handler deduping by id applies each event once', () =>
      withLog(h, async (log) => {
        const [a, b] = events('idem', 2);
        await log.append([a, b]);
        await log.append([{ ...a, id: `  ${a.id} ` }]); // a client retrying its append (the id is trimmed)
        const applied = new Map<string, number>();
        const ids: string[] = [];
        const c = await log.consume('g', 'c1', (e) => {
          ids.push(e.id);
          if (!applied.has(e.id)) applied.set(e.id, applied.size);
        });
        await wait('lag 0', async () => (await log.lag('g')) === 0);
        await c.stop();
        assert.deepEqual([...applied.keys()], [a.id, b.id]);
        assert.ok(ids.length >= 2 && ids.every((id) => id === a.id || id === b.id), ids.join());
      }));

    test('a poison event goes to the dead letters with its reason after maxDeliveries; the rest flow', () =>
      withLog(h, async (log) => {
        const evs = events('poison', 6);
        const poison = evs[1];
        await log.append(evs);
        const calls: { id: string; deliveries: number }[] = [];
        const c = await log.consume(
          'g',
          'c1',
          (e, info) => {
            calls.push({ id: e.id, deliveries: info.deliveries });
            if (e.id === poison.id) throw new Error(`refused: ${e.id}`);
          },
          { maxDeliveries: 3 },
        );
        await wait('a dead letter', async () => (await log.deadLetters()).length === 1);
        await wait('lag 0', async () => (await log.lag('g')) === 0);
        await c.stop();
        const dead = await log.deadLetters();
        assert.equal(dead.length, 1);
        assert.deepEqual(dead[0].event, poison);
        assert.equal(dead[0].reason, `refused: ${poison.id}`);
        assert.equal(dead[0].deliveries, 3);
        assert.equal(dead[0].group, 'g');
        const tries = calls.filter((x) => x.id === poison.id);
        assert.deepEqual(tries.map((x) => x.deliveries), [1, 2, 3]);
        const others = calls.filter((x) => x.id !== poison.id).map((x) => x.id);
        assert.deepEqual(others, evs.filter((e) => e !== poison).map((e) => e.id), 'every other event handled once, in order');
        const lastTry = calls.lastIndexOf(tries[2]);
        assert.ok(calls.findIndex((x) => x.id === evs[5].id) < lastTry, 'later events did not wait for the poison event');
      }));

    test('lag rises on append and falls to 0 once the group acked everything', () =>
      withLog(h, async (log) => {
        assert.equal(await log.lag('g'), 0);
        await log.append(events('lag-a', 5));
        assert.equal(await log.lag('g'), 5, 'a group that never consumed lags by every event');
        let n = 0;
        let c = await log.consume('g', 'c1', () => void n++);
        await wait('lag 0', async () => (await log.lag('g')) === 0);
        await c.stop();
        assert.equal(n, 5);
        await log.append(events('lag-b', 3));
        assert.equal(await log.lag('g'), 3);
        c = await log.consume('g', 'c1', () => void n++);
        await wait('lag 0 again', async () => (await log.lag('g')) === 0);
        await c.stop();
        assert.equal(n, 8);
      }));

    test('two groups each see every event', () =>
      withLog(h, async (log) => {
        const evs = events('groups', 8);
        await log.append(evs);
        const seen: Record<string, string[]> = { g1: [], g2: [] };
        const cs = await Promise.all(['g1', 'g2'].map((g) => log.consume(g, 'c', (e) => void seen[g].push(e.id))));
        await wait('both groups', () => seen.g1.length >= 8 && seen.g2.length >= 8);
        await Promise.all(cs.map((c) => c.stop()));
        assert.deepEqual(seen.g1, evs.map((e) => e.id));
        assert.deepEqual(seen.g2, evs.map((e) => e.id));
        assert.equal(await log.lag('g1'), 0);
        assert.equal(await log.lag('g3'), 8);
      }));

    test('a batch with one bad event is rejected whole: nothing is appended', () =>
      withLog(h, async (log) => {
        const [a, b] = events('batch', 2);
        await assert.rejects(log.append([b, { ...a, b: '' }, b]), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'PYMK_BAD_EVENT');
          assert.match(e.message, /^events\[1\]\.b: expected a user id/);
          return true;
        });
        assert.equal(await log.lag('g'), 0);
        await log.append([b]);
        const seen: string[] = [];
        const c = await log.consume('g', 'c1', (e) => void seen.push(e.id));
        await wait('lag 0', async () => (await log.lag('g')) === 0);
        await c.stop();
        assert.deepEqual(seen, [b.id]);
      }));
  });
}
