/**
 * Fault suite, store side, with real processes: a redis-server, `pymk serve` on it, and a closed-loop load.
 * - Redis SIGKILLed mid-load and restarted empty 5 s later: no 5xx, no second without answers, readyz
 *   degraded meanwhile, and full service from Redis (the server republishes its bundle) within 10 s.
 * - The same, restarted with its dump: the same guarantees.
 * - 200 ms of latency injected between server and Redis: every answer 200 and within the budget's reach,
 *   through the fallbacks, and full service after the latency goes.
 * Sizes come from FAULTS (small in `npm test`; `npm run faults` runs the acceptance's and commits the counts).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { openKvTarget, publishSnapshot, type Snapshot } from '../../src/store/index.js';
import { redisServerSkip } from '../helpers/services.js';
import { waitFor } from '../helpers/waitFor.js';
import { DelayProxy, FAULTS, RedisProcess, closedLoop, freePort, fullServiceAfter, record, sleep, startServe, summarize, worldBundle } from './harness.js';

const skip = await redisServerSkip();
/** L1 off, so every request reaches Redis (L2, then the store) and the faults are felt, not hidden by this process's cache. */
const NO_L1 = { PYMK_L1_SIZE: '0' };
/** The acceptance: full service from Redis within 10 s of Redis returning. */
const FULL_SERVICE_MS = 10_000;
let root = '';
let bundle = '';
let snap: Snapshot;
let users: string[] = [];

before(async () => {
  if (skip) return;
  root = await mkdtemp(join(tmpdir(), 'pymk-faults-'));
  bundle = await worldBundle(root, FAULTS.users);
  snap = await loadSnapshot(bundle);
  users = Array.from({ length: snap.ids.size }, (_, i) => snap.ids.value(i));
});
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function publish(url: string): Promise<void> {
  const t = await openKvTarget(url);
  try {
    await publishSnapshot(t.kv, t.space, snap, { log: () => {} });
  } finally {
    await t.kv.close();
  }
}

/** Polls /readyz every 200 ms while the load runs; the states seen, with their times. */
function watchReady(base: string, t0: number): { stop(): { t: number; status: string }[] } {
  const seen: { t: number; status: string }[] = [];
  const timer = setInterval(() => {
    void fetch(`${base}/readyz`)
      .then((r) => r.json() as Promise<{ status?: string; code?: string }>)
      .then((b) => seen.push({ t: performance.now() - t0, status: b.status ?? b.code ?? '?' }), () => seen.push({ t: performance.now() - t0, status: 'no answer' }));
  }, 200);
  return { stop: () => (clearInterval(timer), seen) };
}

async function restartScenario(name: string, withDump: boolean): Promise<void> {
  const port = await freePort();
  const redis = new RedisProcess(port, join(root, `${name}-redis`));
  await redis.start();
  const url = `redis://127.0.0.1:${port}?prefix=faults&refreshMs=200`;
  await publish(url);
  const server = await startServe(['--bundle', bundle, '--store', url, '--watch', '1000'], NO_L1);
  try {
    const killAt = Math.max(2000, FAULTS.seconds * 250);
    const downMs = 5000;
    const load = closedLoop(server.base, users, FAULTS.connections);
    const ready = watchReady(server.base, load.t0);
    await sleep(killAt);
    if (withDump) await redis.save();
    redis.kill();
    const killed = performance.now() - load.t0;
    await sleep(downMs);
    await redis.start(withDump ? undefined : join(root, `${name}-redis-empty`));
    const back = performance.now() - load.t0;
    await sleep(Math.max(FULL_SERVICE_MS + 1000, FAULTS.seconds * 1000 - back)); // room to see full service return
    const samples = await load.stop();
    const states = ready.stop();
    const all = summarize(samples);
    const outage = summarize(samples, killed, back);
    const full = fullServiceAfter(samples, back);
    const degradedSeen = states.filter((s) => s.t >= killed && s.t < back + (full ?? 0) && s.status === 'degraded').length;
    record(name, { killedAtMs: Math.round(killed), backAtMs: Math.round(back), fullServiceMsAfterBack: full, all, outage, readyzDegradedPolls: degradedSeen, readyzStates: countBy(states.map((s) => s.status)) });
    assert.equal(all.fiveXx, 0, `no 5xx: ${JSON.stringify(all.by)}`);
    assert.equal(all.emptySeconds, 0, 'no second without completed answers');
    assert.ok(outage.answers > 0 && Object.keys(outage.by.path).every((p) => p !== 'full' || outage.by.path[p] < outage.answers), `fallbacks answered the outage: ${JSON.stringify(outage.by.path)}`);
    assert.ok(full !== null && full <= FULL_SERVICE_MS, `full service from Redis ${full} ms after it returned: ${server.log().slice(-2000)}`);
    assert.ok(degradedSeen > 0, `readyz said degraded during the outage: ${JSON.stringify(countBy(states.map((s) => s.status)))}`);
  } finally {
    await server.stop();
    redis.kill();
  }
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

test('Redis killed mid-load, restarted EMPTY: 0 5xx, answers every second, readyz degraded, full service within 10 s', { skip }, () => restartScenario('redis-restart-empty', false));

test('Redis killed mid-load, restarted WITH its dump: 0 5xx, answers every second, full service within 10 s', { skip }, () => restartScenario('redis-restart-dump', true));

test('200 ms injected between server and Redis: every answer 200 within reach of the budget, through the fallbacks', { skip }, async () => {
  const port = await freePort();
  const redis = new RedisProcess(port, join(root, 'latency-redis'));
  await redis.start();
  const proxy = new DelayProxy(port);
  const via = await proxy.listen();
  const url = `redis://127.0.0.1:${via}?prefix=faults&refreshMs=200`;
  await publish(`redis://127.0.0.1:${port}?prefix=faults`);
  const server = await startServe(['--bundle', bundle, '--store', url, '--watch', '1000'], NO_L1);
  try {
    const slowFor = Math.max(4000, FAULTS.seconds * 500);
    const load = closedLoop(server.base, users, FAULTS.connections);
    await sleep(1500);
    proxy.delayMs = 200;
    const from = performance.now() - load.t0;
    await sleep(slowFor);
    proxy.delayMs = 0;
    const to = performance.now() - load.t0;
    await sleep(Math.max(3000, FAULTS.seconds * 1000 - to));
    // The bound below is 10 s: on a loaded machine keep the load on until full service shows or that passes.
    while (fullServiceAfter(load.samples, to) === null && performance.now() - load.t0 - to < 10_500) await sleep(250);
    const samples = await load.stop();
    const all = summarize(samples);
    // The first second of the delay is spent finding out (requests already waiting on the store time out).
    const slow = summarize(samples, from + 1000, to);
    const full = fullServiceAfter(samples, to);
    record('store-latency-200ms', { slowFromMs: Math.round(from), slowToMs: Math.round(to), fullServiceMsAfterRecovery: full, all, slow });
    assert.equal(all.fiveXx, 0, JSON.stringify(all.by));
    const perSec: Record<number, number> = {};
    for (const s of samples) perSec[Math.floor(s.t / 1000)] = (perSec[Math.floor(s.t / 1000)] ?? 0) + 1;
    assert.equal(all.emptySeconds, 0, `per second ${JSON.stringify(perSec)} slow ${Math.round(from)}..${Math.round(to)}: ${server.log().slice(-3000)}`);
    assert.ok(slow.answers > 0);
    assert.ok((slow.by.path.full ?? 0) < slow.answers * 0.5, `fallbacks served the slow store: ${JSON.stringify(slow.by.path)}`);
    // The budget is 150 ms; the fallbacks answer in-process. Loose bound for a loaded 2-core CI machine; the committed run reports the real p99.
    assert.ok(slow.p99ms < 400, `p99 ${slow.p99ms} ms while the store was 200 ms away`);
    assert.ok(full !== null && full <= 10_000, `full service ${full} ms after the latency went`);
  } finally {
    await server.stop();
    await proxy.close();
    redis.kill();
  }
});

test('200 ms injected between server and the rate limiter\'s Redis: answers within the budget, served unlimited, limits back after', { skip }, async () => {
  const port = await freePort();
  const redis = new RedisProcess(port, join(root, 'limiter-redis'));
  await redis.start();
  const proxy = new DelayProxy(port);
  const via = await proxy.listen();
  const url = `redis://127.0.0.1:${port}?prefix=faults`;
  await publish(url);
  // The store is reached directly; only the token buckets are behind the slow link. A high limit: nobody is refused.
  const server = await startServe(['--bundle', bundle, '--store', url, '--watch', '0'], { PYMK_RATE_LIMIT: '100000', PYMK_RATE_BURST: '100000', PYMK_RATE_LIMIT_STORE: `redis://127.0.0.1:${via}?prefix=faults-rl` });
  const limitHeader = async (): Promise<string | null> => (await fetch(`${server.base}/v1/users/${users[0]}/recommendations`)).headers.get('ratelimit-limit');
  try {
    assert.equal(await limitHeader(), '100000', 'the limiter answers before the delay');
    const load = closedLoop(server.base, users, FAULTS.connections);
    await sleep(1000);
    proxy.delayMs = 200;
    const from = performance.now() - load.t0;
    await sleep(4000);
    proxy.delayMs = 0;
    const to = performance.now() - load.t0;
    await sleep(1000);
    const samples = await load.stop();
    const all = summarize(samples);
    const slow = summarize(samples, from + 500, to);
    record('limiter-latency-200ms', { slowFromMs: Math.round(from), slowToMs: Math.round(to), all, slow });
    assert.equal(all.fiveXx, 0, JSON.stringify(all.by));
    assert.equal(all.emptySeconds, 0);
    assert.ok(slow.answers > 0);
    // Without the breaker every request waits the 200 ms (measured: p99 490 ms); its timeout is 50 ms, and while
    // it is open nobody waits. Counted against the run's own start, not a p99 bound: a loaded 2-core CI
    // machine has its own tail.
    // The share of answers slower than 200 ms, against the same share before the delay (the machine's own).
    const share = (a: number, b: number): number => samples.filter((x) => x.t >= a && x.t < b && x.ms >= 200).length / Math.max(1, samples.filter((x) => x.t >= a && x.t < b).length);
    const before = share(0, from);
    const during = share(from + 500, to);
    assert.ok(during < before + 0.1, `${(during * 100).toFixed(1)}% of answers took ≥ 200 ms while the limiter's Redis was 200 ms away, ${(before * 100).toFixed(1)}% before (p50 ${slow.p50ms}, p99 ${slow.p99ms} ms)`);
    const metrics = await (await fetch(`${server.base}/metrics`)).text();
    assert.match(metrics, /pymk_rate_limiter_failures_total [1-9]/, 'the skipped checks are counted');
    // Limits come back: once the breaker's trial call succeeds (PYMK_BREAKER_RESET_MS, 2 s), answers carry them again.
    await waitFor(async () => (await limitHeader()) === '100000', { what: 'rate limits back after the delay', everyMs: 200, timeoutMs: 10_000 });
  } finally {
    await server.stop();
    await proxy.close();
    redis.kill();
  }
});
