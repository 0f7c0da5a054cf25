/**
 * Freshness benchmark, on real processes and the machine's Redis:
 *
 * 1. Event → every layer: two `pymk serve` processes on one Redis store (a unique prefix), the
 *    redis-streams event log, Redis pub/sub and the Redis L2; one runs the invalidator. Background load of
 *    --rate req/s over both. Each probe warms a user's answer in both processes (L1 and L2), posts a block
 *    of the user's top recommendation to process A, and polls both processes until neither answers it:
 *    the time from the POST to the last process's fresh answer (store write, L2 delete, L1 eviction in
 *    both) is one sample.
 * 2. Invalidator throughput: --events events appended to the log first, then one invalidator (in this
 *    process) applies them to the Redis store: events/s until the lag is 0, on Redis Streams and NATS.
 *
 *   node dist/bench/fresh.js [--users 5000] [--probes 200] [--rate 300] [--events 20000] [--redis redis://127.0.0.1:6379] [--nats nats://127.0.0.1:4222]
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Invalidator, openEventLog, type PymkEvent } from '../src/events/index.js';
import { openStore } from '../src/store/index.js';
import { machine, machineLine } from './lib/machine.js';
import { backgroundLoad, pct, postEvent, runPymk, startServer } from './lib/procs.js';

const { values: a } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    probes: { type: 'string', default: '200' },
    rate: { type: 'string', default: '300' },
    events: { type: 'string', default: '20000' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    out: { type: 'string', default: 'bench/results/fresh' },
  },
});
const users = Number(a.users);
const prefix = `pymkbench-${randomBytes(3).toString('hex')}`;
const storeUrl = `${a.redis}?prefix=${prefix}&refreshMs=1000`;
const logUrl = `${a.redis!.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events`;

async function ensureBundle(): Promise<string> {
  const root = `/tmp/pymk-bench-fresh-${users}`;
  const bundle = join(root, 'bundle');
  if (!existsSync(join(root, 'data', 'world.json'))) runPymk(['generate', '--users', String(users), '--seed', '7', '--out', join(root, 'data')]);
  if (!existsSync(join(bundle, 'manifest.json'))) runPymk(['pipeline', '--data', join(root, 'data'), '--out', bundle, '--no-embed']);
  return bundle;
}

function startServerOn(bundle: string, port: number, invalidate: boolean) {
  return startServer(port, ['--bundle', bundle, '--store', storeUrl, '--events', logUrl, '--watch', '0', ...(invalidate ? ['--invalidate'] : [])]);
}

async function recs(port: number, user: string): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/users/${user}/recommendations?limit=10`);
  if (!r.ok) throw new Error(`GET ${user} on ${port}: ${r.status}`);
  return ((await r.json()) as { recommendations: { id: string }[] }).recommendations.map((x) => x.id);
}

async function eventToAllLayers(bundle: string) {
  runPymk(['publish', '--bundle', bundle, '--store', storeUrl]);
  const [pa, pb] = [19100 + (process.pid % 400), 19600 + (process.pid % 400)];
  const servers = [await startServerOn(bundle, pa, true), await startServerOn(bundle, pb, false)];
  const load = backgroundLoad([pa, pb], users, Number(a.rate));
  const samples: number[] = [];
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
      const pending = new Set([pa, pb]);
      while (pending.size > 0) {
        for (const port of [...pending]) if (!(await recs(port, user)).includes(target)) pending.delete(port);
        if (performance.now() - t0 > 10_000) throw new Error(`${user}: ${target} still served after 10 s`);
      }
      samples.push(performance.now() - t0);
    }
  } finally {
    const bg = await load.stop();
    for (const s of servers) s.kill('SIGTERM');
    (globalThis as { bg?: unknown }).bg = bg;
  }
  const bg = (globalThis as { bg?: { sent: number; failed: number; reqPerSec: number } }).bg!;
  return { probes: samples.length, p50ms: pct(samples, 50), p99ms: pct(samples, 99), maxMs: pct(samples, 100), background: bg };
}

async function invalidatorThroughput(url: string, n: number) {
  const store = await openStore(storeUrl);
  const log = await openEventLog(url);
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
    const inv = await Invalidator.start(log, store, { group: `bench-${prefix}`, batch: 256 });
    while ((await log.lag(inv.group)) > 0) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - t0) / 1000;
    const c = await inv.counts();
    await inv.stop();
    return { log: url.replace(/\?.*/, ''), events: n, seconds: Math.round(seconds * 100) / 100, eventsPerSec: Math.round(n / seconds), applied: c.applied, skipped: c.skipped, deadLettered: c.deadLettered };
  } finally {
    await log.drop().catch(() => log.close());
    await store.close();
  }
}

async function main(): Promise<void> {
  const bundle = await ensureBundle();
  const m = machine();
  const fresh = await eventToAllLayers(bundle);
  const throughput = [await invalidatorThroughput(logUrl.replace('stream=events', 'stream=tput'), Number(a.events))];
  throughput.push(await invalidatorThroughput(`${a.nats}?stream=${prefix}-tput`, Number(a.events)));
  const raw = new Redis(a.redis!);
  for (const k of await raw.keys(`${prefix}*`)) await raw.del(k);
  raw.disconnect();
  const result = { bench: 'fresh', users, machine: m, eventToAllLayers: fresh, invalidator: throughput };
  const md = [
    '# Freshness benchmark',
    '',
    `- ${users}-user generated world (seed 7, pipeline --no-embed) published to Redis; machine: ${machineLine(m)}`,
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
    '## Invalidator throughput (one consumer, Redis store)',
    '',
    '| log | events | seconds | events/s | applied | dead-lettered |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...throughput.map((t) => `| ${t.log} | ${t.events} | ${t.seconds} | ${t.eventsPerSec} | ${t.applied} | ${t.deadLettered} |`),
    '',
  ].join('\n');
  await mkdir('bench/results', { recursive: true });
  await writeFile(`${a.out}.json`, JSON.stringify(result, null, 2) + '\n');
  await writeFile(`${a.out}.md`, md);
  console.log(md);
  process.exit(0);
}

void main();
