/**
 * Acceptance, with real processes on the machine's Redis (unique prefixes, cleaned up): `pymk events
 * publish` appends 10,000 events to redis-streams://, a `pymk invalidate` process is killed with SIGKILL in
 * the middle of them and started again under the same consumer name; afterwards the Redis store equals a
 * replay of the same events into a fresh memory store (adjacency, exclusions, candidate lists, flags of every
 * touched user), the one poison event (a pair whose stored connection row is malformed, so the store write
 * fails for real) is in the dead letters with its reason, and a subscriber process heard every changed user.
 * The refresher is off (--no-refresh): its lists are computed on the graph of the moment, which a replay of
 * the events alone does not reproduce (test/recommend/refresh.test.ts checks them against the pipeline).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { openEventLog, type EventLog, type PymkEvent } from '../../src/events/index.js';
import { kvHarness } from '../store/kvHarness.js';
import { randomSnapshot } from '../store/fixtures.js';
import { testRedis } from '../helpers/services.js';
import { waitFor } from '../helpers/waitFor.js';
import { assertSameUsers, randomEvents, replay, touchedUsers } from './invalidatorFixtures.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const redis = await testRedis();
const h = redis.skip ? null : kvHarness(redis.url);
const children: ChildProcess[] = [];
let log: EventLog | null = null;
let dir = '';

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await log?.drop();
  await h?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function exited(c: ChildProcess): Promise<number | null> {
  return new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))));
}

test('kill -9 mid-stream, restart: 10,000 events applied exactly once in effect, the poison dead-lettered, every change announced', { skip: redis.skip }, async () => {
  const snap = randomSnapshot({ users: 150, seed: 31, maxCandidates: 12 });
  const storeUrl = h!.freshUrl();
  await h!.publish(storeUrl, snap);
  const store = await h!.openUrl(storeUrl);
  const tag = `pymktest-acc-${process.pid}-${randomBytes(3).toString('hex')}`;
  const eventsUrl = `${redis.url.replace(/^redis:/, 'redis-streams:')}?prefix=${tag}&stream=events&claimMs=200&blockMs=20`;
  const busUrl = `${redis.url}?channel=${tag}:inv`;
  log = await openEventLog(eventsUrl);

  // The poison: P's connection row in the store is malformed; P is named by one event only.
  const P = 7;
  const Q = 8;
  const t = await h!.target(storeUrl);
  const { gen, meta } = store.current();
  await t.kv.set([{ key: t.space.gen(gen, meta.buckets).connections(P), value: Buffer.from([0x52, 9, 0, 0]), px: 0 }]);
  const named = (e: PymkEvent, u: number): boolean => Object.values(e).some((v) => v === snap.ids.value(u) || (Array.isArray(v) && v.includes(snap.ids.value(u))));
  const clean = randomEvents(snap, 12_000, 77, 'acc').filter((e) => !named(e, P)).slice(0, 9_999);
  const poison: PymkEvent = { id: 'poison', type: 'connection.created', v: 1, at: 1_760_000_000_000, a: snap.ids.value(Q), b: snap.ids.value(P) };
  const events = [...clean.slice(0, 5000), poison, ...clean.slice(5000)];
  assert.equal(events.length, 10_000);

  dir = await mkdtemp(join(tmpdir(), 'pymk-inv-'));
  const file = join(dir, 'events.jsonl');
  await writeFile(file, events.map((e) => JSON.stringify(e)).join('\n'));
  const pub = await run(process.execPath, [CLI, 'events', 'publish', '--events', eventsUrl, file]);
  const positions = pub.stdout.trim().split('\n');
  assert.equal(positions.length, 10_000);
  assert.match(positions[0], /^\d+-\d+$/);

  // A subscriber in its own process, as a server would be.
  const sub = spawn(process.execPath, [join(process.cwd(), 'dist', 'test', 'events', 'subscriber.js'), busUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(sub);
  const heard = new Set<string>();
  let subscribed = false;
  createInterface({ input: sub.stdout! }).on('line', (l) => (l === 'subscribed' ? (subscribed = true) : (JSON.parse(l) as string[]).forEach((u) => heard.add(u))));
  await waitFor(() => subscribed, { what: 'the subscriber to subscribe' });

  const args = [CLI, 'invalidate', '--events', eventsUrl, '--store', storeUrl, '--bus', busUrl, '--consumer', 'inv-1', '--max-deliveries', '3', '--no-refresh'];
  const first = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(first);
  await waitFor(async () => (await log!.lag('invalidator')) <= 6_000, { what: 'the first invalidator to get going', timeoutMs: 15_000 });
  first.kill('SIGKILL');
  await exited(first);
  const left = await log.lag('invalidator');
  assert.ok(left > 0 && left < 10_000, `killed mid-stream (lag ${left})`);

  const second = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(second);
  let out = '';
  second.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor(async () => (await log!.lag('invalidator')) === 0, { what: 'the restarted invalidator to drain the log', timeoutMs: 15_000 });
  second.kill('SIGTERM');
  assert.equal(await exited(second), 0);
  const counts = JSON.parse(out.trim()) as { applied: number; deadLettered: number; lag: number; skipped: Record<string, number>; notApplied: Record<string, number> };
  assert.equal(counts.lag, 0);
  assert.equal(counts.deadLettered, 1);
  assert.ok(counts.applied > 0 && counts.skipped['unknown user'] > 0 && counts.notApplied.impression > 0, JSON.stringify(counts));

  const dead = await log.deadLetters();
  assert.equal(dead.length, 1);
  assert.equal(dead[0].event?.id, 'poison');
  assert.match(dead[0].reason, /^PYMK_STORE_INVALID: stored value \S+\{7\}n: ids format version 9/);

  // Exactly once in effect: equal to the clean events replayed in log order into a fresh memory store.
  const ref = await replay(snap, clean);
  const users = touchedUsers(snap, events).filter((u) => u !== P);
  assert.ok(users.length > 100);
  await assertSameUsers(store, ref, users);

  // Every user of an applied event was announced.
  const changed = new Set<string>();
  for (const e of clean) {
    if (['impression', 'user.created'].includes(e.type)) continue;
    const ids = Object.entries(e).filter(([k]) => ['a', 'b', 'actor', 'target', 'user'].includes(k)).map(([, v]) => v as string);
    if (ids.every((id) => snap.ids.lookup(id) >= 0) && new Set(ids).size === ids.length) ids.forEach((id) => changed.add(id));
  }
  await waitFor(() => [...changed].every((u) => heard.has(u)), { what: 'the subscriber to hear every changed user' });
  assert.ok(!heard.has(snap.ids.value(P)), 'the poison pair was never announced');
});
