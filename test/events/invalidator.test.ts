/**
 * The invalidator in one process: on the memory log and store (no services), and on redis-streams:// with
 * the Redis store and the Redis bus (the machine's Redis, unique prefixes, cleaned up), with a subscriber
 * in another process. Store effects are checked through fetchRankingInputs, as the server reads them.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Invalidator, MemoryBus, openEventLog, openInvalidationBus, type EventLog, type InvalidationBus, type PymkEvent } from '../../src/events/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { OnlineStore } from '../../src/store/types.js';
import { kvHarness } from '../store/kvHarness.js';
import { randomSnapshot } from '../store/fixtures.js';
import { testRedis } from '../helpers/services.js';
import { waitFor } from '../helpers/waitFor.js';
import { assertSameUsers, randomEvents, replay, touchedUsers } from './invalidatorFixtures.js';

const redis = await testRedis();
const AT = 1_760_000_000_000;
const ev = (id: string, rest: Record<string, unknown>): PymkEvent => ({ id, v: 1, at: AT, ...rest }) as PymkEvent;

interface Setup {
  log: EventLog;
  store: OnlineStore;
  bus: InvalidationBus;
  /** A subscriber in another process where the bus crosses processes (Redis), else in this one. */
  subscriber(): Promise<{ got: string[][]; stop(): Promise<void> }>;
  /** Makes the store reject writes to one user's connection row (a malformed stored value). */
  corruptConnections?(uid: number): Promise<void>;
  cleanup(): Promise<void>;
}

type Open = (snap: ReturnType<typeof randomSnapshot>) => Promise<Setup>;

function suite(name: string, open: Open | null, skip: string | false): void {
  describe(`invalidator: ${name}`, { skip: open ? false : skip || true }, () => {
    const snap = randomSnapshot({ users: 40, seed: 21, maxCandidates: 8 });
    const c = snap.candidates;
    const listed = [...Array(snap.ids.size).keys()].filter((u) => c.offsets[u + 1] - c.offsets[u] >= 3);
    const ext = (u: number): string => snap.ids.value(u);
    let s: Setup;
    let inv: Invalidator;
    after(async () => {
      await inv?.stop();
      await s?.cleanup();
    });

    test('connection, block and dismissal leave the candidate lists; the bus announces both users', async () => {
      s = await open!(snap);
      const sub = await s.subscriber();
      inv = await Invalidator.start(s.log, s.store, { bus: s.bus, consumer: 'c1', maxDeliveries: 2 });
      const a = listed[0];
      const b = c.cand[c.offsets[a]];
      const [p, q] = [listed[1], c.cand[c.offsets[listed[1]]]];
      const d = listed[2];
      const t = c.cand[c.offsets[d] + 1];
      assert.ok((await s.store.fetchRankingInputs(a)).candidates.ids.includes(b), 'fixture: B is a candidate of A');
      await s.log.append([
        ev('x1', { type: 'connection.created', a: ext(a), b: ext(b) }),
        ev('x2', { type: 'block', actor: ext(p), target: ext(q) }),
        ev('x3', { type: 'dismiss', actor: ext(d), target: ext(t) }),
        ev('x4', { type: 'dismiss', actor: ext(d), target: 'nobody-known' }),
        ev('x5', { type: 'impression', actor: ext(d), targets: [ext(t)] }),
        ev('x6', { type: 'user.banned', user: ext(a) }),
        ev('x7', { type: 'user.updated', user: ext(d), profile: { company: snap.profiles.dicts.company.value(0), seniority: 10 } }),
      ]);
      await waitFor(async () => (await s.log.lag(inv.group)) === 0, { what: 'the group to catch up' });
      const ia = await s.store.fetchRankingInputs(a);
      assert.ok(!ia.candidates.ids.includes(b), 'B is no longer a candidate of A');
      assert.ok(ia.connections.includes(b));
      assert.ok(!(await s.store.fetchRankingInputs(b)).candidates.ids.includes(a));
      assert.equal(ia.user.flags[0] & 2, 2, 'A is banned');
      const [ip, iq] = [await s.store.fetchRankingInputs(p), await s.store.fetchRankingInputs(q)];
      assert.ok(!ip.candidates.ids.includes(q) && !iq.candidates.ids.includes(p), 'after a block neither is a candidate of the other');
      assert.ok(ip.blocked.includes(q) && iq.blocked.includes(p));
      const id = await s.store.fetchRankingInputs(d);
      assert.ok(!id.candidates.ids.includes(t) && id.dismissed.includes(t), 'the dismissed candidate is gone from the actor');
      assert.equal(id.user.company[0], 0, 'the profile update reached the store');
      assert.equal(id.user.seniority[0], 10);
      // Events applied in one turn are announced in one message (Coalescer): every user is heard, each once per message.
      const heard = (): string[] => sub.got.flat();
      await waitFor(() => new Set(heard()).size >= 6, { what: 'the subscriber to hear the 6 users' });
      assert.deepEqual(new Set(heard()), new Set([a, b, p, q, d, t].map(ext)));
      for (const m of sub.got) assert.equal(new Set(m).size, m.length, `no user twice in one message: ${m.join(',')}`);
      const n = await inv.counts();
      assert.deepEqual({ applied: n.applied, skipped: n.skipped, notApplied: n.notApplied, lag: n.lag, dead: n.deadLettered, announced: n.announced }, {
        applied: 5,
        skipped: { 'unknown user': 1, 'same user twice': 0, 'user exists': 0 },
        notApplied: { impression: 1 },
        lag: 0,
        dead: 0,
        announced: 8,
      });
      await sub.stop();
    });

    test('a poison event goes to the dead letters with its reason while the rest flow', async (t) => {
      if (!s.corruptConnections) return t.skip('the memory store holds no encoded values to corrupt');
      const bad = listed[3];
      const other = listed[4];
      await s.corruptConnections(bad);
      const before = Array.from((await s.store.fetchRankingInputs(other)).connections);
      await s.log.append([
        ev('p1', { type: 'connection.created', a: ext(other), b: ext(bad) }),
        ev('p2', { type: 'dismiss', actor: ext(other), target: ext(listed[5]) }),
      ]);
      await waitFor(async () => (await s.log.lag(inv.group)) === 0, { what: 'the poison event to be dead-lettered', timeoutMs: 10_000 });
      const dead = (await s.log.deadLetters()).filter((x) => x.group === inv.group);
      assert.equal(dead.length, 1);
      assert.equal(dead[0].event?.id, 'p1');
      assert.match(dead[0].reason, /^PYMK_STORE_INVALID: stored value .*\{\d+\}n: ids format version 9/);
      assert.equal(dead[0].deliveries, 2, 'maxDeliveries');
      assert.ok((await s.store.fetchRankingInputs(other)).dismissed.includes(listed[5]), 'the next event was applied');
      assert.deepEqual(Array.from((await s.store.fetchRankingInputs(other)).connections), before, 'the other half of the poison pair was not written either');
      assert.equal((await inv.counts()).deadLettered, 1);
    });

    test('a few hundred mixed events leave the store equal to a replay into a fresh memory store', async () => {
      const events = randomEvents(snap, 400, 5, 'mix').filter((e) => !JSON.stringify(e).includes(`"${ext(listed[3])}"`));
      await s.log.append(events);
      await waitFor(async () => (await s.log.lag(inv.group)) === 0, { what: 'the group to catch up', timeoutMs: 15_000 });
      // The earlier tests' events are part of the log too: replay them all in log order.
      const earlier = [
        ev('x1', { type: 'connection.created', a: ext(listed[0]), b: ext(c.cand[c.offsets[listed[0]]]) }),
        ev('x2', { type: 'block', actor: ext(listed[1]), target: ext(c.cand[c.offsets[listed[1]]]) }),
        ev('x3', { type: 'dismiss', actor: ext(listed[2]), target: ext(c.cand[c.offsets[listed[2]] + 1]) }),
        ev('x6', { type: 'user.banned', user: ext(listed[0]) }),
        ...(s.corruptConnections ? [ev('p2', { type: 'dismiss', actor: ext(listed[4]), target: ext(listed[5]) })] : []),
      ];
      const ref = await replay(snap, [...earlier, ...events]);
      await assertSameUsers(s.store, ref, touchedUsers(snap, events).filter((u) => u !== listed[3]));
    });
  });
}

suite(
  'memory log, memory store, memory bus',
  async (snap) => {
    const bus = new MemoryBus('memory://');
    return {
      log: await openEventLog('memory://?claimMs=50'),
      store: new MemoryStore(snap),
      bus,
      async subscriber() {
        const got: string[][] = [];
        const stop = await bus.subscribe((ids) => got.push(ids));
        return { got, stop };
      },
      async cleanup() {},
    };
  },
  false,
);

const h = redis.skip ? null : kvHarness(redis.url);
suite(
  'redis-streams log, Redis store, Redis bus (subscriber in another process)',
  h &&
    (async (snap) => {
      const prefix = `pymktest-inv-${process.pid}-${randomBytes(3).toString('hex')}`;
      const url = h.freshUrl();
      await h.publish(url, snap);
      const store = await h.openUrl(url);
      const log = await openEventLog(`${redis.url.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events&claimMs=100&blockMs=20`);
      const busUrl = `${redis.url}?channel=${prefix}:inv`;
      const bus = await openInvalidationBus(busUrl);
      const children: ReturnType<typeof spawn>[] = [];
      return {
        log,
        store,
        bus,
        async subscriber() {
          const child = spawn(process.execPath, [join(process.cwd(), 'dist', 'test', 'events', 'subscriber.js'), busUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
          children.push(child);
          const got: string[][] = [];
          const lines = createInterface({ input: child.stdout! });
          let ready = false;
          lines.on('line', (l) => (l === 'subscribed' ? (ready = true) : got.push(JSON.parse(l) as string[])));
          await waitFor(() => ready, { what: 'the subscriber process to subscribe' });
          return {
            got,
            async stop() {
              child.kill('SIGTERM');
            },
          };
        },
        async corruptConnections(uid) {
          const t = await h.target(url);
          const { gen } = store.current();
          await t.kv.set([{ key: t.space.gen(gen, store.current().meta.buckets).connections(uid), value: Buffer.from([0x52, 9, 0, 0]), px: 0 }]);
        },
        async cleanup() {
          for (const ch of children) ch.kill('SIGKILL');
          await bus.close();
          await log.drop();
          await h.cleanup();
        },
      };
    }),
  redis.skip,
);
