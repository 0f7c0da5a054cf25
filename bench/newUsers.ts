/**
 * New users benchmark, on real processes and the machine's Redis: a generated world run through the whole
 * pipeline (GNN, profile tower, ANN index) and published to Redis under a unique prefix; two `pymk serve`
 * processes on it sharing the redis-streams log — A runs the invalidator and writes the ANN tier's log, B
 * only serves — under a background read load of --rate req/s. Each probe posts a `user.created` (a bundle
 * user's profile) to A and polls both processes every few ms:
 *
 * - first recommendations: from the POST until B (and then A) answers 200 with recommendations whose
 *   source is `ann`, i.e. computed from the new user's own profile-tower embedding;
 * - found by others: a twin created right after (the same profile, so the same tower vector) — from its
 *   POST until the first new user is among the twin's answers in both processes (each inserted both into
 *   its own index).
 *
 *   node dist/bench/newUsers.js [--users 5000] [--probes 100] [--rate 200] [--redis redis://127.0.0.1:6379]
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { machine, machineLine } from './lib/machine.js';
import { saveResults } from './lib/results.js';
import { backgroundLoad, pct, postEvent, runPymk, startServer } from './lib/procs.js';

const { values: a } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    probes: { type: 'string', default: '100' },
    rate: { type: 'string', default: '200' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    out: { type: 'string', default: 'bench/results/new-users' },
  },
});
const users = Number(a.users);
const prefix = `pymkbench-${randomBytes(3).toString('hex')}`;
const storeUrl = `${a.redis}?prefix=${prefix}&refreshMs=1000`;
const logUrl = `${a.redis!.replace(/^redis:/, 'redis-streams:')}?prefix=${prefix}&stream=events`;

interface Card {
  id: string;
}
interface Answer {
  source: string;
  recommendations: Card[];
}

function ensureBundle(): { bundle: string; data: string; pipelineSeconds: number | null } {
  const root = `/tmp/pymk-bench-new-users-${users}`;
  const data = join(root, 'data');
  const bundle = join(root, 'bundle');
  if (!existsSync(join(data, 'world.json'))) runPymk(['generate', '--users', String(users), '--seed', '11', '--out', data]);
  let pipelineSeconds: number | null = null;
  if (!existsSync(join(bundle, 'manifest.json'))) {
    const t0 = performance.now();
    runPymk(['pipeline', '--data', data, '--out', bundle]);
    pipelineSeconds = Math.round((performance.now() - t0) / 100) / 10;
  }
  return { bundle, data, pipelineSeconds };
}

/** 503s met while polling (a store read over its deadline on the loaded machine: the user is not in the bundle, so no fallback has them). */
let unavailable = 0;

async function answer(port: number, user: string): Promise<Answer | null> {
  const r = await fetch(`http://127.0.0.1:${port}/v1/users/${encodeURIComponent(user)}/recommendations?limit=20`);
  if (r.status === 404) return null;
  if (r.status === 503) {
    unavailable++;
    await r.arrayBuffer();
    return null;
  }
  if (!r.ok) throw new Error(`GET ${user} on ${port}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Answer;
}

/** Polls every 5 ms until ok(answer) holds on `port`; ms since t0 (throws after 10 s). */
async function until(port: number, user: string, t0: number, ok: (x: Answer) => boolean): Promise<number> {
  for (;;) {
    const x = await answer(port, user);
    if (x && ok(x)) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${user} on ${port}: not served as expected after 10 s (${JSON.stringify(x)?.slice(0, 200)})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const summary = (xs: number[]) => ({ p50ms: pct(xs, 50), p99ms: pct(xs, 99), maxMs: pct(xs, 100) });

async function main(): Promise<void> {
  const { bundle, data, pipelineSeconds } = ensureBundle();
  const m = machine();
  runPymk(['publish', '--bundle', bundle, '--store', storeUrl]);
  const profiles = readFileSync(join(data, 'users.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((u) => u.company && u.school)
    .map((u) => ({ company: u.company, school: u.school, location: u.location ?? null, industry: u.industry ?? null, seniority: u.seniority ?? null }));
  const [pa, pb] = [19100 + (process.pid % 400), 19600 + (process.pid % 400)];
  const common = ['--bundle', bundle, '--store', storeUrl, '--events', logUrl, '--watch', '0'];
  const servers = [await startServer(pa, [...common, '--invalidate']), await startServer(pb, common, { PYMK_ANN_LOG_WRITER: 'false' })];
  const load = backgroundLoad([pa, pb], users, Number(a.rate));
  const firstOther: number[] = [];
  const firstBoth: number[] = [];
  const foundBoth: number[] = [];
  const sources: Record<string, number> = {};
  let bg = { sent: 0, failed: 0, reqPerSec: 0 };
  try {
    for (let i = 0; i < Number(a.probes); i++) {
      const profile = profiles[(Math.imul(i + 1, 2654435761) >>> 0) % profiles.length];
      const [user, twin] = [`new-${prefix}-${i}`, `twin-${prefix}-${i}`];
      const t0 = performance.now();
      await postEvent(pa, { id: `c-${user}`, v: 1, at: Date.now(), type: 'user.created', user, profile });
      const own = (x: Answer) => x.recommendations.length > 0 && x.source === 'ann';
      firstOther.push(await until(pb, user, t0, own));
      firstBoth.push(await until(pa, user, t0, own));
      const t1 = performance.now();
      await postEvent(pa, { id: `c-${twin}`, v: 1, at: Date.now(), type: 'user.created', user: twin, profile });
      const finds = (x: Answer) => x.recommendations.some((c) => c.id === user);
      await until(pb, twin, t1, finds);
      foundBoth.push(await until(pa, twin, t1, finds));
      const x = await answer(pb, user);
      if (x) sources[x.source] = (sources[x.source] ?? 0) + 1;
    }
  } finally {
    bg = await load.stop();
    for (const s of servers) s.kill('SIGTERM');
  }
  const raw = new Redis(a.redis!);
  for (const k of await raw.keys(`${prefix}*`)) await raw.del(k);
  raw.disconnect();
  const result = {
    bench: 'new-users',
    users,
    machine: m,
    pipelineSeconds,
    probes: firstOther.length,
    background: bg,
    unavailableWhilePolling: unavailable,
    firstRecommendationsOtherProcess: summary(firstOther),
    firstRecommendationsBothProcesses: summary(firstBoth),
    foundByTwinBothProcesses: summary(foundBoth),
    sourcesAfterwards: sources,
  };
  const row = (what: string, s: ReturnType<typeof summary>, target: string) => `| ${what} | ${s.p50ms} | ${s.p99ms} | ${s.maxMs} | ${target} |`;
  const md = [
    '# New users benchmark',
    '',
    `- ${users}-user generated world (seed 11, full pipeline: GNN, profile tower, ANN) published to Redis; machine: ${machineLine(m)}`,
    `- command: \`node dist/bench/newUsers.js ${process.argv.slice(2).join(' ')}\``,
    `- two \`pymk serve\` processes on the Redis store and the redis-streams log: A runs the invalidator and writes the ANN tier's log, B only serves`,
    `- background load ${bg.reqPerSec} req/s over both (${bg.sent} requests, ${bg.failed} failed); ${firstOther.length} probes, polled every 5 ms (${unavailable} polls answered 503)`,
    '',
    '| from the POST of user.created until | p50 ms | p99 ms | max ms | target p99 |',
    '| --- | ---: | ---: | ---: | ---: |',
    row("B answers the new user's own recommendations (source ann: their profile-tower embedding)", result.firstRecommendationsOtherProcess, '1000'),
    row('both A and B do', result.firstRecommendationsBothProcesses, '1000'),
    row("a twin created next finds the first new user in its answer, in both processes", result.foundByTwinBothProcesses, '—'),
    '',
  ].join('\n');
  await saveResults(a.out!, result, md);
  process.exit(0);
}

void main();
