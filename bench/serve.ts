/**
 * HTTP serving benchmark: the full stack on Redis. A generated world (100k users by default) is run through
 * the pipeline (ranker and ANN index on), published to a private redis-server, and served by `pymk serve
 * --store redis://… --workers N` with L1 and L2 on; autocannon drives it from this process (the same box).
 * Side by side in one run, for each process count:
 *
 *   - a bare fastify hello-world with as many processes: the ceiling of the framework on this box;
 *   - the recommendations route at L1+L2 hit rates of about 0%, 30% and 70%: each request picks a
 *     user from a warmed hot set with that probability, else a user never asked for before in this run;
 *   - the uncached route at a fixed 500 req/s (the latency target), open-loop (bench/lib/openLoop.ts) and, for
 *     comparison, in autocannon's rate mode (bursts each second), next to its closed-loop maximum;
 *   - L1 hits only (fully cached), alternating --rounds times with the ceiling: the ratio is their median.
 *
 * Each row records req/s, p50/p99/p999, the hit rate the server itself counted (from /metrics), CPU per
 * request of the server processes and of Redis, and, for the uncached rows, the time per stage; the
 * capacity model (cores for the seed's 25,000 QPS) is computed from those figures.
 *
 *   node dist/bench/serve.js [--bundle DIR] [--users 100000] [--duration 10] [--connections 32] [--workers 1,2] [--hits 0,30,70] [--rate 500] [--rounds 3] [--warmup 5]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { generateWorld } from '../src/data/generate/index.js';
import { readBundleVersion, readManifest } from '../src/bundle/bundle.js';
import { runPipeline } from '../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../src/pipeline/stages/index.js';
import { machine, machineLine } from './lib/machine.js';
import { openLoop } from './lib/openLoop.js';
import { saveResults } from './lib/results.js';

const { values: a } = parseArgs({
  options: {
    bundle: { type: 'string' },
    users: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1,2' },
    hits: { type: 'string', default: '0,30,70' },
    rate: { type: 'string', default: '500' },
    hot: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/serve' },
  },
});
const users = Number(a.users);
const duration = Number(a.duration);
const connections = Number(a.connections);
const HOT = Number(a.hot);
const CLI = 'dist/src/cli/main.js';
const QPS_TARGET = 25_000;
/** The utilisation a core is planned at in the capacity model: headroom keeps p99 near what was measured. */
const PLANNED_UTILISATION = 0.6;
/** Alternations of the ceiling and the fully cached route per process count. */
const ROUNDS = Number(a.rounds);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function ensureBundle(): Promise<string> {
  if (a.bundle) return a.bundle;
  const root = `/tmp/pymk-bench-serve-${users}`;
  const data = join(root, 'data');
  const bundle = join(root, 'bundle');
  if (!existsSync(join(data, 'world.json'))) await generateWorld({ users, seed: 1, out: data });
  if (!(await readBundleVersion(bundle))) {
    console.error(`building the ${users}-user bundle (pipeline defaults: ranker and ANN index on)…`);
    await runPipeline({ out: bundle, stages: defaultStages(), inputs: { data }, params: PIPELINE_DEFAULTS, progress: 'auto' });
  }
  return bundle;
}

async function waitReady(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready in 120 s`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((res) => setTimeout(res, 8000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Load {
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  p999ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Open-loop rows: how late the generator sent, p99 ms (its own share of the latency). */
  sendLagP99ms?: number;
}

/**
 * Load on the server for `seconds`: closed-loop (autocannon, `connections` at full speed) when rate is 0; at a
 * fixed rate, open-loop (evenly spaced, latency from each request's due time: bench/lib/openLoop.ts), or
 * autocannon's own rate mode (per-connection budgets each second, so bursts) with `generator: 'autocannon'`.
 */
async function load(port: number, path: () => string, rate = 0, seconds = duration, generator: 'open' | 'autocannon' = 'open'): Promise<Load> {
  if (rate > 0 && generator === 'open') {
    const r = await openLoop({ port, rate, seconds, path, connections: 64 });
    return { requestsPerSec: r.requestsPerSec, p50ms: r.p50ms, p99ms: r.p99ms, p999ms: r.p999ms, requests: r.requests, non2xx: r.non2xx, errors: r.errors, sendLagP99ms: r.sendLagP99ms };
  }
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    ...(rate > 0 ? { overallRate: rate } : {}),
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
  });
  return {
    requestsPerSec: Math.round(r.requests.average),
    p50ms: r.latency.p50,
    p99ms: r.latency.p99,
    p999ms: (r.latency as unknown as Record<string, number>).p99_9 ?? r.latency.max,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** Sums of the server's counters of interest, over every process (the gathered /metrics). */
interface Counters {
  l1Hit: number;
  l1Miss: number;
  l2Hit: number;
  l2Miss: number;
  cpuSeconds: number;
  stageSum: Record<string, number>;
  stageCount: Record<string, number>;
  fallbacks: number;
}

async function counters(port: number): Promise<Counters> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const c: Counters = { l1Hit: 0, l1Miss: 0, l2Hit: 0, l2Miss: 0, cpuSeconds: 0, stageSum: {}, stageCount: {}, fallbacks: 0 };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('pymk_cache_lookups_total{')) {
      const layer = /layer="(\w+)"/.exec(line)?.[1];
      const hit = line.includes('result="hit"');
      if (layer === 'l1') c[hit ? 'l1Hit' : 'l1Miss'] += v;
      if (layer === 'l2') c[hit ? 'l2Hit' : 'l2Miss'] += v;
    } else if (line.startsWith('process_cpu_seconds_total')) c.cpuSeconds += v;
    else if (line.startsWith('pymk_fallbacks_total{')) c.fallbacks += v;
    else if (line.startsWith('pymk_stage_duration_seconds_sum{') || line.startsWith('pymk_stage_duration_seconds_count{')) {
      const stage = /stage="([\w-]+)"/.exec(line)?.[1] ?? '?';
      const into = line.startsWith('pymk_stage_duration_seconds_sum') ? c.stageSum : c.stageCount;
      into[stage] = (into[stage] ?? 0) + v;
    }
  }
  return c;
}

async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const get = (k: string): number => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return get('used_cpu_user') + get('used_cpu_sys');
}

interface Row extends Load {
  scenario: string;
  workers: number;
  /** The hit rate asked for (share of requests for warmed users), and the one the server counted. */
  hitTarget: number | null;
  hitMeasured: number | null;
  /** CPU time per request, ms: all server processes, and Redis. */
  serverCpuMs: number | null;
  redisCpuMs: number | null;
  fallbacks: number | null;
  /** Mean ms per computed answer in each stage (uncached rows). */
  stagesMs?: Record<string, number>;
  /** Computed answers that went through each stage (ann: only users with no stored list). */
  stageCounts?: Record<string, number>;
  /** Which alternation of ceiling and fully cached rows this is. */
  round?: number;
}

async function main(): Promise<void> {
  const bundle = await ensureBundle();
  const m = machine();
  // The model the server ranks with (PYMK_SCORER overrides the bundle's choice).
  const rank = (await readManifest(bundle))?.stages.find((st) => st.name === 'rank');
  const scorer = process.env.PYMK_SCORER ?? String((rank?.metrics as { served?: unknown } | undefined)?.served ?? 'none (no rank stage)');
  const redisPort = await freePort();
  const redisProc = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
  const redis = new Redis({ port: redisPort, lazyConnect: true });
  redis.on('error', () => {}); // refused until redis-server listens: the loop below retries
  for (let i = 0; i < 100; i++) {
    if (await redis.connect().then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const store = `redis://127.0.0.1:${redisPort}?prefix=bench`;
  const published = spawnSync(process.execPath, [CLI, 'publish', '--bundle', bundle, '--store', store, '--no-progress'], { encoding: 'utf8' });
  if (published.status !== 0) throw new Error(`publish failed: ${published.stderr}`);
  console.error(`published: ${published.stdout.trim()}`);

  // Users: a hot set (warmed before the hit-rate rows) and, for misses, a walk through the others that never
  // repeats within the run (wrapping only if the world is too small for the run's requests).
  const order = Array.from({ length: users }, (_, i) => i).sort((x, y) => (Math.imul(x + 1, 2654435761) >>> 0) - (Math.imul(y + 1, 2654435761) >>> 0));
  const hot = order.slice(0, HOT);
  const cold = order.slice(HOT);
  let next = 0;
  let wrapped = 0;
  const coldUser = (): number => {
    if (next === cold.length) (next = 0), wrapped++;
    return cold[next++];
  };
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const rec = (u: number): string => `/v1/users/u${u}/recommendations?limit=10`;

  const rows: Row[] = [];
  const ratios: Array<{ workers: number; round: number; ratio: number }> = [];
  const port = await freePort();
  const helloPort = await freePort();
  for (const workers of a.workers!.split(',').map(Number)) {
    // The ceiling runs beside the server (an idle server costs nothing) so the two alternate below.
    const hello = spawn(process.execPath, ['dist/bench/lib/hello.js', String(helloPort), String(workers)], { stdio: 'ignore' });
    await waitReady(`http://127.0.0.1:${helloPort}/`, hello, 'hello-world');
    const env = { ...process.env, PYMK_LOG_LEVEL: 'warn', PYMK_SHUTDOWN_DELAY_MS: '0', PYMK_L1_SIZE: '200000', PYMK_L2_TTL: '3600', PYMK_STORE: store };
    const server = spawn(process.execPath, [CLI, 'serve', '--bundle', bundle, '--store', store, '--port', String(port), '--workers', String(workers), '--watch', '0'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    try {
      await waitReady(`http://127.0.0.1:${port}/readyz`, server, 'pymk serve');
      await new Promise((r) => setTimeout(r, 1000 * workers)); // every process loaded
      await redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end return 0", 0, 'bench:l2:*'); // L2 from the previous process count
      // Warm the hot set: each user once through L2 (shared), then once more so L1 of each process tends to hold it.
      for (let round = 0; round < workers + 1; round++) {
        await Promise.all(Array.from({ length: 16 }, async (_, k) => {
          for (let i = k; i < hot.length; i += 16) await fetch(`http://127.0.0.1:${port}${rec(hot[i])}`, { headers: { connection: 'close' } }).then((r) => r.arrayBuffer());
        }));
      }
      const measure = async (scenario: string, hitTarget: number | null, path: () => string, rate = 0, round?: number, generator: 'open' | 'autocannon' = 'open'): Promise<void> => {
        const c0 = await counters(port);
        const r0 = await redisCpuSeconds(redis);
        const l = await load(port, path, rate, duration, generator);
        const c1 = await counters(port);
        const r1 = await redisCpuSeconds(redis);
        const lookups = c1.l1Hit + c1.l1Miss - (c0.l1Hit + c0.l1Miss);
        const hits = c1.l1Hit - c0.l1Hit + (c1.l2Hit - c0.l2Hit);
        const stagesMs: Record<string, number> = {};
        const stageCounts: Record<string, number> = {};
        for (const s of Object.keys(c1.stageCount)) {
          const n = c1.stageCount[s] - (c0.stageCount[s] ?? 0);
          if (n > 0) stagesMs[s] = Math.round(((c1.stageSum[s] - (c0.stageSum[s] ?? 0)) / n) * 1e6) / 1e3;
          if (n > 0) stageCounts[s] = n;
        }
        const row: Row = {
          scenario,
          workers,
          hitTarget,
          hitMeasured: lookups > 0 ? Math.round((hits / lookups) * 1000) / 10 : null,
          serverCpuMs: l.requests > 0 ? Math.round(((c1.cpuSeconds - c0.cpuSeconds) / l.requests) * 1e6) / 1e3 : null,
          redisCpuMs: l.requests > 0 ? Math.round(((r1 - r0) / l.requests) * 1e6) / 1e3 : null,
          fallbacks: c1.fallbacks - c0.fallbacks,
          ...l,
          ...(round === undefined ? {} : { round }),
          ...(hitTarget === 0 ? { stagesMs, stageCounts } : {}),
        };
        rows.push(row);
        console.error(JSON.stringify(row));
      };
      // Uncached traffic at the fixed rate before the first measured row (not recorded): the first seconds
      // of a fresh process's full path run slower (JIT, first reads), which is start-up, not steady state.
      if (Number(a.warmup) > 0) await load(port, () => rec(coldUser()), Number(a.rate), Number(a.warmup));
      await measure(`uncached, fixed ${a.rate} req/s`, 0, () => rec(coldUser()), Number(a.rate));
      // The same rate through autocannon's rate mode (bursts at each second's start), as earlier runs measured it.
      await measure(`uncached, ${a.rate} req/s by autocannon (per-second bursts)`, 0, () => rec(coldUser()), Number(a.rate), undefined, 'autocannon');
      for (const h of a.hits!.split(',').map(Number)) {
        await measure(`L1+L2 hit rate ~${h}%`, h, () => (rand() * 100 < h ? rec(hot[Math.floor(rand() * hot.length)]) : rec(coldUser())));
      }
      // The ceiling and the fully cached route alternate, ROUNDS times each: the ratio is the median of
      // the rounds' ratios, so a noisy neighbour on this shared 2-core box hits both sides alike.
      for (let round = 0; round < ROUNDS; round++) {
        const ceiling = await load(helloPort, () => '/');
        rows.push({ scenario: 'bare fastify hello-world (ceiling)', workers, hitTarget: null, hitMeasured: null, serverCpuMs: null, redisCpuMs: null, fallbacks: null, round, ...ceiling });
        await measure('L1 hits (hot set only)', 100, () => rec(hot[Math.floor(rand() * hot.length)]), 0, round);
        const last = rows[rows.length - 1];
        ratios.push({ workers, round, ratio: Math.round((last.requestsPerSec / ceiling.requestsPerSec) * 1000) / 1000 });
      }
    } finally {
      await stop(server);
      await stop(hello);
    }
  }
  redis.disconnect();
  redisProc.kill('SIGKILL');

  // Capacity model: server and Redis CPU per request at each measured hit rate, planned at 60% utilisation.
  const capacity = rows
    .filter((r) => r.workers === Math.max(...rows.map((x) => x.workers)) && r.hitTarget !== null && !r.scenario.startsWith('uncached,') && (r.round ?? 0) === 0 && r.serverCpuMs !== null)
    .map((r) => ({
      hitRate: r.hitMeasured,
      serverCpuMsPerRequest: r.serverCpuMs,
      redisCpuMsPerRequest: r.redisCpuMs,
      serverCores: Math.ceil((QPS_TARGET * (r.serverCpuMs ?? 0)) / 1000 / PLANNED_UTILISATION),
      redisCores: Math.ceil((QPS_TARGET * (r.redisCpuMs ?? 0)) / 1000 / PLANNED_UTILISATION),
      p99ms: r.p99ms,
    }));
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  const ceiling = (w: number): number => median(rows.filter((r) => r.workers === w && r.scenario.startsWith('bare')).map((r) => r.requestsPerSec));
  const cachedRatio = [...new Set(ratios.map((r) => r.workers))].map((w) => ({ workers: w, rounds: ratios.filter((r) => r.workers === w).map((r) => r.ratio), median: median(ratios.filter((r) => r.workers === w).map((r) => r.ratio)) }));
  const result = { bench: 'serve', bundle, scorer, users, connections, durationSeconds: duration, hotUsers: HOT, coldWrapped: wrapped, machine: m, rows, cachedRatio, capacity, plannedUtilisation: PLANNED_UTILISATION, qpsTarget: QPS_TARGET };
  const pct = (r: Row): string => (r.scenario.startsWith('bare') ? '' : `${Math.round((r.requestsPerSec / ceiling(r.workers)) * 100)}%`);
  const md = [
    '# Serving benchmark (Redis store, L1 + L2, ranker and ANN on)',
    '',
    `- ${users}-user generated world (seed 1), pipeline defaults, published to a private redis-server; \`pymk serve --store redis://… --workers N\` with L1 (200k entries) and L2 (Redis, 1 h); hot set ${HOT} users warmed before the hit-rate rows, then ${a.warmup} s of uncached load at the fixed rate (not recorded); misses are users not asked for before in the run${wrapped ? ` (wrapped ${wrapped}×)` : ''}`,
    `- ranking model served: ${scorer}${process.env.PYMK_SCORER ? ' (PYMK_SCORER)' : " (the bundle's choice)"}`,
    `- load from the benchmark process on the same box, ${duration} s per row: autocannon with ${connections} connections for the closed-loop rows; the "uncached, fixed" row is open-loop (bench/lib/openLoop.ts: requests evenly spaced at the rate on up to 64 keep-alive connections, latency from each request's due time, so no coordinated omission; the generator's own send lag p99 in the JSON), the "by autocannon" row the same rate in autocannon's rate mode (each connection's budget per second spent at full speed as the second starts: bursts); the server logs at warn`,
    `- machine: ${machineLine(m)}`,
    `- command: \`node dist/bench/serve.js ${process.argv.slice(2).join(' ')}\``,
    '',
    `Fully cached (L1 hits) vs the bare-fastify ceiling, alternating ${ROUNDS} times: ${cachedRatio.map((c) => `${c.workers} process${c.workers > 1 ? 'es' : ''} ${Math.round(c.median * 100)}% (rounds ${c.rounds.map((x) => `${Math.round(x * 100)}%`).join(', ')})`).join('; ')}. The "of ceiling" column divides by the median ceiling of the same process count.`,
    '',
    '| scenario | processes | req/s | of ceiling | p50 ms | p99 ms | p999 ms | hit rate counted | server CPU ms/req | Redis CPU ms/req | fallbacks | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.scenario} | ${r.workers} | ${r.requestsPerSec} | ${pct(r)} | ${r.p50ms} | ${r.p99ms} | ${r.p999ms} | ${r.hitMeasured ?? '–'}${r.hitMeasured === null ? '' : '%'} | ${r.serverCpuMs ?? '–'} | ${r.redisCpuMs ?? '–'} | ${r.fallbacks ?? '–'} | ${r.non2xx + r.errors} |`),
    '',
    '## Where the time goes (mean ms per computed answer, uncached rows)',
    '',
    'Each cell: mean ms, and how many computed answers went through the stage (ann runs only for users with no stored list). The stages run one after the other (l2 miss, then resolve … reasons); time between them is waiting for the event loop.',
    '',
    '| scenario | processes | ' + ['l2', 'resolve', 'inputs', 'ann', 'score', 'rules', 'reasons'].join(' | ') + ' |',
    '| --- | ---: |' + ' ---: |'.repeat(7),
    ...rows.filter((r) => r.stagesMs).map((r) => `| ${r.scenario} | ${r.workers} | ${['l2', 'resolve', 'inputs', 'ann', 'score', 'rules', 'reasons'].map((s) => (r.stagesMs![s] === undefined ? '–' : `${r.stagesMs![s]} (${r.stageCounts![s]})`)).join(' | ')} |`),
    '',
    `## Capacity for ${QPS_TARGET.toLocaleString('en')} QPS (from CPU per request, cores planned at ${PLANNED_UTILISATION * 100}% utilisation)`,
    '',
    '| hit rate counted | server CPU ms/req | server cores | Redis CPU ms/req | Redis cores | p99 ms measured |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...capacity.map((c) => `| ${c.hitRate}% | ${c.serverCpuMsPerRequest} | ${c.serverCores} | ${c.redisCpuMsPerRequest} | ${c.redisCores} | ${c.p99ms} |`),
    '',
  ].join('\n');
  await saveResults(a.out!, result, md);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
