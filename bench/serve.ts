/**
 * HTTP serving benchmark: requests/s and latency of GET /v1/users/:id/recommendations against a real
 * `pymk serve` process (or several, via --workers), with the load generator (autocannon) in this process.
 * Scenarios side by side in one run: /healthz (the fastify floor on this box), recommendations for random users
 * with the L1 cache off (the full path every time), and the same with L1 on and a small hot set of users.
 *
 *   node dist/bench/serve.js [--bundle DIR] [--users 20000] [--duration 8] [--connections 32] [--workers 1,2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { generateWorld } from '../src/data/generate/index.js';
import { readBundleVersion } from '../src/bundle/bundle.js';
import { runPipeline } from '../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../src/pipeline/stages/index.js';
import { machine, machineLine } from './lib/machine.js';

const { values: a } = parseArgs({
  options: {
    bundle: { type: 'string' },
    users: { type: 'string', default: '20000' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1,2' },
    out: { type: 'string', default: 'bench/results/serve' },
  },
});
const users = Number(a.users);
const CLI = 'dist/src/cli/main.js';

async function ensureBundle(): Promise<string> {
  if (a.bundle) return a.bundle;
  const root = `/tmp/pymk-bench-serve-${users}`;
  const data = join(root, 'data');
  const bundle = join(root, 'bundle');
  if (!existsSync(join(data, 'world.json'))) await generateWorld({ users, seed: 1, out: data });
  if (!(await readBundleVersion(bundle))) {
    await runPipeline({ out: bundle, stages: defaultStages(), inputs: { data }, params: PIPELINE_DEFAULTS, progress: 'silent' });
  }
  return bundle;
}

async function startServer(bundle: string, port: number, workers: number, l1: boolean): Promise<ChildProcess> {
  const env = { ...process.env, PYMK_L1_SIZE: l1 ? '10000' : '0', PYMK_LOG_LEVEL: 'warn' };
  const child = spawn(process.execPath, [CLI, 'serve', '--bundle', bundle, '--port', String(port), '--workers', String(workers), '--watch', '0'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) {
        await new Promise((res) => setTimeout(res, 300 * workers)); // let every worker finish loading
        return child;
      }
    } catch {
      // not up yet
    }
    await new Promise((res) => setTimeout(res, 200));
  }
  child.kill('SIGTERM');
  throw new Error('server did not become ready in 60 s');
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((res) => child.once('exit', res));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
}

interface Row {
  scenario: string;
  workers: number;
  requestsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
}

async function load(port: number, path: (i: number) => string): Promise<Omit<Row, 'scenario' | 'workers'>> {
  let i = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: Number(a.connections),
    duration: Number(a.duration),
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(i++) }) }],
  });
  return { requestsPerSec: Math.round(r.requests.average), p50ms: r.latency.p50, p99ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  const bundle = await ensureBundle();
  const m = machine();
  const rows: Row[] = [];
  const rand = (i: number): number => (Math.imul(i + 1, 2654435761) >>> 0) % users;
  const port = 18000 + (process.pid % 1000);
  for (const workers of a.workers!.split(',').map(Number)) {
    for (const l1 of [false, true]) {
      const server = await startServer(bundle, port, workers, l1);
      try {
        if (!l1) {
          rows.push({ scenario: 'GET /healthz (framework floor)', workers, ...(await load(port, () => '/healthz')) });
          rows.push({ scenario: 'recommendations, random users, L1 off', workers, ...(await load(port, (i) => `/v1/users/u${rand(i)}/recommendations?limit=10`)) });
        } else {
          rows.push({ scenario: 'recommendations, 1,000 hot users, L1 on', workers, ...(await load(port, (i) => `/v1/users/u${rand(i) % 1000}/recommendations?limit=10`)) });
        }
      } finally {
        await stopServer(server);
      }
    }
  }
  const result = { bench: 'serve', bundle, users, connections: Number(a.connections), durationSeconds: Number(a.duration), machine: m, rows };
  const md = [
    `# Serving benchmark`,
    '',
    `- ${users}-user generated world, bundle ${bundle}; autocannon with ${a.connections} connections for ${a.duration} s per row, in the same box as the server`,
    `- machine: ${machineLine(m)}`,
    `- command: \`node dist/bench/serve.js ${process.argv.slice(2).join(' ')}\``,
    '',
    '| scenario | server processes | req/s | p50 ms | p99 ms | non-2xx | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.scenario} | ${r.workers} | ${r.requestsPerSec} | ${r.p50ms} | ${r.p99ms} | ${r.non2xx} | ${r.errors} |`),
    '',
  ].join('\n');
  await mkdir('bench/results', { recursive: true });
  await writeFile(`${a.out}.json`, JSON.stringify(result, null, 2) + '\n');
  await writeFile(`${a.out}.md`, md);
  console.log(JSON.stringify(result, null, 2));
  console.log(md);
}

void main();
