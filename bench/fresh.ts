/**
 * Freshness benchmark, on real processes and the machine's Redis:
 *
 * 1. Event → every layer: two `pymk serve` processes on one Redis store (a unique prefix), the
 *    redis-streams event log, Redis pub/sub and the Redis L2; one runs the invalidator. Background load of
 *    --rate req/s over both. Each probe warms a user's answer in both processes (L1 and L2), posts a block
 *    of the user's top recommendation to process A, and polls both processes until neither answers it:
 *    the time from the POST to the last process's fresh answer (store write, L2 delete, L1 eviction in
 *    both) is one sample.
 *    Then connection → friends-of-friends: a user with few connections is connected (POST connection.created)
 *    to a user more than two hops away; a sample is the time until both processes' answers (limit 50)
 *    hold one of the new friend's friends (the invalidator's refresher recomputed the list on the live graph).
 * 2. Invalidator throughput: --events events appended to the log first, then one invalidator (in this
 *    process) applies them to the Redis store, deleting L2 answers and announcing on Redis pub/sub as
 *    `pymk invalidate` does: events/s until the lag is 0, on Redis Streams and NATS; once more on Redis
 *    Streams with the refresher on (its refreshes run beside the events; their drain is reported).
 *
 *   node dist/bench/fresh.js [--users 5000] [--probes 200] [--rate 300] [--events 20000] [--scorer NAME] [--redis redis://127.0.0.1:6379] [--nats nats://127.0.0.1:4222]
 *
 * --scorer: the servers' PYMK_SCORER (default: the bundle's chosen model).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { readFile } from 'node:fs/promises';
import { startRefresher } from '../src/cli/freshness.js';
import { Invalidator, openEventLog, openInvalidationBus, type PymkEvent } from '../src/events/index.js';
import { openAnswerCache } from '../src/store/answerCache.js';
import { openStore } from '../src/store/index.js';
import { machine, machineLine } from './lib/machine.js';
import { saveResults } from './lib/results.js';
import { backgroundLoad, pct, postEvent, runPymk, startServer, worldBundle } from './lib/procs.js';

const { values: a } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    probes: { type: 'string', default: '200' },
    rate: { type: 'string', default: '300' },
    events: { type: 'string', default: '20000' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    out: { type: 'string', default: 'bench/results/fresh' },
    scorer: { type: 'string' },
  },
});
const users = Number(a.users);
const prefix = `pymkbench-${randomBytes(3).toString('hex')}`;
const storeUrl = `${a.redis}?prefix=${prefix}&refreshMs=1000`;
const logUrl = `${a.redis!.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events`;

function startServerOn(bundle: string, port: number, invalidate: boolean) {
  return startServer(port, ['--bundle', bundle, '--store', storeUrl, '--events', logUrl, '--watch', '0', ...(invalidate ? ['--invalidate'] : [])], a.scorer ? { PYMK_SCORER: a.scorer } : {});
}

interface Answer {
  ids: string[];
  cache: string;
  path: string;
}

async function answer(port: number, user: string, limit = 10): Promise<Answer> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/users/${user}/recommendations?limit=${limit}`);
  if (!r.ok) throw new Error(`GET ${user} on ${port}: ${r.status}`);
  const body = (await r.json()) as { recommendations: { id: string }[]; cache: string; path: string };
  return { ids: body.recommendations.map((x) => x.id), cache: body.cache, path: body.path };
}

const recs = async (port: number, user: string, limit = 10): Promise<string[]> => (await answer(port, user, limit)).ids;

/** The friends-of-friends probe: users with at most this many 2-hop candidates before, and the answer size polled. */
const FOF_MAX_TWO_HOP = 40;
const FOF_LIMIT = 50;

/** Samples slower than this are listed with what the slow process answered last (to tell the layer that lagged). */
const SLOW_MS = 200;

/** The world's connections (connections.csv: src,dst,ts) as adjacency sets. */
async function adjacency(dataDir: string): Promise<Map<string, Set<string>>> {
  const adj = new Map<string, Set<string>>();
  const add = (x: string, y: string): void => void (adj.get(x) ?? adj.set(x, new Set()).get(x)!).add(y);
  for (const line of (await readFile(join(dataDir, 'connections.csv'), 'utf8')).split('\n').slice(1)) {
    const [x, y] = line.split(',');
    if (!y) continue;
    add(x, y);
    add(y, x);
  }
  return adj;
}

/** Connection → the new friend's friends in both processes' answers (the refresher), `n` probes. */
async function friendsOfFriends(ports: number[], adj: Map<string, Set<string>>, n: number) {
  const samples: number[] = [];
  const missed: string[] = [];
  const used = new Set<string>();
  const twoHop = (u: string): Set<string> => {
    const out = new Set<string>([u, ...(adj.get(u) ?? [])]);
    for (const f of adj.get(u) ?? []) for (const g of adj.get(f) ?? []) out.add(g);
    return out;
  };
  for (let i = 0; samples.length + missed.length < n && i < users; i++) {
    const a = `u${(Math.imul(i + 11, 2654435761) >>> 0) % users}`;
    const deg = adj.get(a)?.size ?? 0;
    if (used.has(a) || deg < 1 || deg > 3) continue;
    const near = twoHop(a);
    // Few 2-hop candidates before, so the new friend's friends are not ranked or capped out of the answer.
    if (near.size - deg - 1 > FOF_MAX_TWO_HOP) continue;
    let b = '';
    for (let j = 0; j < 400 && !b; j++) {
      const y = `u${(Math.imul(i * 31 + j + 5, 40503) >>> 0) % users}`;
      const theirs = [...(adj.get(y) ?? [])];
      if (!used.has(y) && !near.has(y) && theirs.length >= 3 && theirs.length <= 10 && theirs.every((f) => !near.has(f) && !used.has(f))) b = y;
    }
    if (!b) continue;
    used.add(a).add(b);
    const fof = new Set(adj.get(b));
    const t0 = performance.now();
    await postEvent(ports[0], { id: `fof-${prefix}-${i}`, v: 1, at: Date.now(), type: 'connection.created', a, b });
    adj.get(a)!.add(b);
    (adj.get(b) ?? adj.set(b, new Set()).get(b)!).add(a);
    const pending = new Set(ports);
    const last = new Map<number, Answer>();
    while (pending.size > 0 && performance.now() - t0 < 15_000) {
      for (const port of [...pending]) {
        const got = await answer(port, a, FOF_LIMIT);
        if (got.ids.some((x) => fof.has(x))) pending.delete(port);
        else last.set(port, got);
      }
    }
    if (pending.size > 0) missed.push(`${a}–${b} (${[...pending].map((p) => `${p === ports[0] ? 'A' : 'B'} ${last.get(p)?.cache}/${last.get(p)?.path}`).join(', ')})`);
    else samples.push(performance.now() - t0);
  }
  return { probes: samples.length, missed, p50ms: pct(samples, 50), p99ms: pct(samples, 99), maxMs: pct(samples, 100) };
}

async function eventToAllLayers(bundle: string) {
  runPymk(['publish', '--bundle', bundle, '--store', storeUrl]);
  const [pa, pb] = [19100 + (process.pid % 400), 19600 + (process.pid % 400)];
  const servers = [await startServerOn(bundle, pa, true), await startServerOn(bundle, pb, false)];
  const load = backgroundLoad([pa, pb], users, Number(a.rate));
  const samples: number[] = [];
  const slow: { user: string; ms: number; postMs: number; staleAnswers: { process: string; cache: string; path: string }[] }[] = [];
  let i = 0;
  try {
    for (let u = 0; samples.length < Number(a.probes) && u < users; u++) {
      const user = `u${(Math.imul(u + 7, 40503) >>> 0) % users}`;
      const before = await recs(pa, user).catch(() => [] as string[]);
      if (before.length === 0) continue;
      await recs(pb, user); // both processes hold the answer in L1 (and L2 has it)
      await recs(pa, user);
      const target = before[0];
      const t0 = performance.now();
      await postEvent(pa, { id: `bench-${prefix}-${i++}`, v: 1, at: Date.now(), type: 'block', actor: user, target });
      const postMs = performance.now() - t0;
      const pending = new Set([pa, pb]);
      const last = new Map<number, Answer>();
      while (pending.size > 0) {
        for (const port of [...pending]) {
          const got = await answer(port, user);
          if (!got.ids.includes(target)) pending.delete(port);
          else last.set(port, got);
        }
        if (performance.now() - t0 > 10_000) throw new Error(`${user}: ${target} still served after 10 s`);
      }
      const ms = performance.now() - t0;
      samples.push(ms);
      if (ms > SLOW_MS) slow.push({ user, ms: round2(ms), postMs: round2(postMs), staleAnswers: [...last].map(([port, x]) => ({ process: port === pa ? 'A' : 'B', cache: x.cache, path: x.path })) });
    }
    (globalThis as { fof?: unknown }).fof = await friendsOfFriends([pa, pb], await adjacency(join(bundle, '..', 'data')), Math.max(20, Math.round(Number(a.probes) / 4)));
  } finally {
    const bg = await load.stop();
    for (const s of servers) s.kill('SIGTERM');
    (globalThis as { bg?: unknown }).bg = bg;
  }
  const bg = (globalThis as { bg?: { sent: number; failed: number; reqPerSec: number } }).bg!;
  const fof = (globalThis as { fof?: Awaited<ReturnType<typeof friendsOfFriends>> }).fof!;
  return { probes: samples.length, p50ms: pct(samples, 50), p99ms: pct(samples, 99), maxMs: pct(samples, 100), slow, background: bg, friendsOfFriends: fof };
}

async function invalidatorThroughput(url: string, n: number, bundle: string, refresh: boolean) {
  const store = await openStore(storeUrl);
  const log = await openEventLog(url);
  const bus = await openInvalidationBus(`${a.redis}?channel=${prefix}:invalidate`);
  const answers = await openAnswerCache(`${a.redis}?prefix=${prefix}`, { ttlMs: 3_600_000 });
  let inv: Invalidator | null = null;
  const refresher = refresh ? await startRefresher(store, bundle, { answers, bus }, (e) => console.error(e.message), () => inv?.busy() ?? false) : null;
  try {
    const ev: PymkEvent[] = [];
    for (let i = 0; i < n; i++) {
      const x = (Math.imul(i + 1, 2654435761) >>> 0) % users;
      const y = (Math.imul(i + 3, 40503) >>> 0) % users;
      const type = i % 3 === 0 ? 'dismiss' : i % 3 === 1 ? 'block' : 'connection.created';
      ev.push((type === 'connection.created' ? { id: `t${i}`, v: 1, at: 1, type, a: `u${x}`, b: `u${y === x ? (y + 1) % users : y}` } : { id: `t${i}`, v: 1, at: 1, type, actor: `u${x}`, target: `u${y === x ? (y + 1) % users : y}` }) as PymkEvent);
    }
    for (let i = 0; i < n; i += 1000) await log.append(ev.slice(i, i + 1000));
    const t0 = performance.now();
    inv = await Invalidator.start(log, store, { group: `bench-${prefix}`, batch: 256, bus, answers, refresher });
    while ((await log.lag(inv.group)) > 0) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const c = await inv.counts();
    await inv.stop();
    await refresher?.idle();
    const drained = (performance.now() - t0) / 1000;
    const r = refresher?.counts();
    return {
      log: url.replace(/\?.*/, ''),
      refresher: refresh,
      events: n,
      seconds: round2(seconds),
      eventsPerSec: Math.round(n / seconds),
      applied: c.applied,
      skipped: c.skipped,
      deadLettered: c.deadLettered,
      ...(r && { refreshed: r.refreshed, refreshFailed: r.failed, refreshDrainSeconds: round2(drained), refreshesPerSec: Math.round(r.refreshed / drained) }),
    };
  } finally {
    await refresher?.stop();
    await log.drop().catch(() => log.close());
    await Promise.all([store.close(), bus.close(), answers.close()]);
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const { bundle } = worldBundle(users);
  const m = machine();
  const fresh = await eventToAllLayers(bundle);
  const streams = (tag: string): string => logUrl.replace('stream=events', `stream=${tag}`);
  const throughput = [
    await invalidatorThroughput(streams('tput'), Number(a.events), bundle, false),
    await invalidatorThroughput(`${a.nats}?stream=${prefix}-tput`, Number(a.events), bundle, false),
    await invalidatorThroughput(streams('tput-refresh'), Number(a.events), bundle, true),
  ];
  const raw = new Redis(a.redis!);
  for (const k of await raw.keys(`${prefix}*`)) await raw.del(k);
  raw.disconnect();
  const result = { bench: 'fresh', users, machine: m, eventToAllLayers: fresh, invalidator: throughput };
  const md = [
    '# Freshness benchmark',
    '',
    `- ${users}-user generated world (seed 7, pipeline --no-embed) published to Redis; servers rank with ${a.scorer ? `PYMK_SCORER=${a.scorer}` : "the bundle's chosen model"}; machine: ${machineLine(m)}`,
    `- command: \`node dist/bench/fresh.js ${process.argv.slice(2).join(' ')}\``,
    '',
    '## Event → every layer (2 server processes, Redis store + redis-streams log + Redis pub/sub + Redis L2)',
    '',
    `Background load ${fresh.background.reqPerSec} req/s over both processes (${fresh.background.sent} requests, ${fresh.background.failed} failed).`,
    'A sample is the time from POST /v1/events (a block of the user\'s top recommendation, sent to process A) until both processes answer without it.',
    '',
    '| probes | p50 ms | p99 ms | max ms | target p99 |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${fresh.probes} | ${fresh.p50ms} | ${fresh.p99ms} | ${fresh.maxMs} | 100 |`,
    '',
    `Samples over ${SLOW_MS} ms: ${fresh.slow.length === 0 ? 'none' : fresh.slow.map((x) => `${x.ms} ms (POST ${x.postMs} ms; stale: ${x.staleAnswers.map((y) => `${y.process} ${y.cache}/${y.path}`).join(', ') || '—'})`).join('; ')}.`,
    '',
    '## Connection → the new friend\'s friends in every layer (the refresher)',
    '',
    `A sample is the time from POST /v1/events (connection.created of a user with 1–3 connections and at most ${FOF_MAX_TWO_HOP} two-hop candidates, and a user with 3–10 connections more than two hops away, sent to process A) until both processes' answers (limit ${FOF_LIMIT}) hold one of the new friend's friends; a probe not seen within 15 s counts as missed.`,
    '',
    '| probes | missed | p50 ms | p99 ms | max ms |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${fresh.friendsOfFriends.probes} | ${fresh.friendsOfFriends.missed.length}${fresh.friendsOfFriends.missed.length ? ` (${fresh.friendsOfFriends.missed.join(', ')})` : ''} | ${fresh.friendsOfFriends.p50ms} | ${fresh.friendsOfFriends.p99ms} | ${fresh.friendsOfFriends.maxMs} |`,
    '',
    '## Invalidator throughput (one consumer: Redis store writes, L2 deletes, Redis pub/sub announcements)',
    '',
    'Events: a third each of dismiss, block and connection.created over random pairs. With the refresher, both users of every connection are queued for a refresh; refreshes wait while events arrive faster than 500/s (the backlog is applied first), then run 2 at a time; their drain time counts from the start.',
    '',
    '| log | refresher | events | seconds | events/s | applied | dead-lettered | refreshed | refreshes/s (drain) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...throughput.map((t) => `| ${t.log} | ${t.refresher ? 'on' : 'off'} | ${t.events} | ${t.seconds} | ${t.eventsPerSec} | ${t.applied} | ${t.deadLettered} | ${t.refreshed ?? '—'} | ${t.refreshesPerSec ?? '—'} |`),
    '',
  ].join('\n');
  await saveResults(a.out!, result, md);
  process.exit(0);
}

void main();
