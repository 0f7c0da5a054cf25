/**
 * L1 and L2 under a replayed request mix with repeat visits, on real processes and the machine's Redis:
 * two `pymk serve` processes on one Redis store (a unique prefix), each with its own L1 and the shared
 * Redis L2. Requests come from --clients closed-loop clients, each sending --requests / --clients
 * requests to a process picked at random (a load balancer without affinity); the user is drawn from a
 * Zipf law over the users (exponent --zipf), so popular users come back often, on either process. Every
 * answer says where it came from (`cache`: l1, l2 or computed): the hit rate of each layer and the latency
 * of hits and misses per layer are reported, with a second pass over the same mix once the caches are warm.
 *
 *   node dist/bench/cacheMix.js [--users 5000] [--requests 20000] [--clients 16] [--zipf 1.0] [--redis redis://127.0.0.1:6379]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Rng } from '../src/core/rng.js';
import { machine, machineLine } from './lib/machine.js';
import { saveResults } from './lib/results.js';
import { pct, runPymk, startServer, worldBundle } from './lib/procs.js';

const { values: a } = parseArgs({
  options: {
    users: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '16' },
    zipf: { type: 'string', default: '1.0' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    out: { type: 'string', default: 'bench/results/cache-mix' },
  },
});
const users = Number(a.users);
const prefix = `pymkbench-${randomBytes(3).toString('hex')}`;
const storeUrl = `${a.redis}?prefix=${prefix}&refreshMs=1000`;

/** Draws user ranks 0..n-1 with P(r) ∝ 1 / (r + 1)^s (inverse CDF over the precomputed weights). */
function zipf(n: number, s: number, rng: Rng): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 0; r < n; r++) cdf[r] = sum += 1 / (r + 1) ** s;
  return () => {
    const x = rng.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

interface Pass {
  requests: number;
  seconds: number;
  reqPerSec: number;
  byLayer: Record<string, { share: number; p50ms: number; p99ms: number }>;
  failed: number;
}

/** One pass of the mix: `n` requests from `clients` closed-loop clients; the same seed gives the same mix. */
async function pass(ports: number[], n: number, clients: number, seed: number): Promise<Pass> {
  const rng = new Rng(seed);
  const draw = zipf(users, Number(a.zipf), rng);
  // A fixed permutation maps ranks to users, so the popular users are not u0, u1, … (ids carry no meaning).
  const perm = Array.from({ length: users }, (_, i) => i);
  const shuffle = new Rng(99);
  for (let i = users - 1; i > 0; i--) {
    const j = shuffle.int(i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const mix = Array.from({ length: n }, () => ({ user: `u${perm[draw()]}`, port: ports[rng.int(ports.length)] }));
  const lat: Record<string, number[]> = { l1: [], l2: [], computed: [] };
  let failed = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < mix.length) {
        const { user, port } = mix[next++];
        const t = performance.now();
        const r = await fetch(`http://127.0.0.1:${port}/v1/users/${user}/recommendations?limit=10`).catch(() => null);
        if (!r?.ok) {
          failed++;
          continue;
        }
        const body = (await r.json()) as { cache?: string };
        (lat[body.cache ?? 'computed'] ??= []).push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const done = Object.values(lat).reduce((x, l) => x + l.length, 0);
  const byLayer = Object.fromEntries(Object.entries(lat).map(([k, l]) => [k, { share: Math.round((l.length / Math.max(done, 1)) * 1000) / 10, p50ms: l.length ? pct(l, 50) : 0, p99ms: l.length ? pct(l, 99) : 0 }]));
  return { requests: n, seconds: Math.round(seconds * 100) / 100, reqPerSec: Math.round(n / seconds), byLayer, failed };
}

async function main(): Promise<void> {
  const { bundle } = worldBundle(users);
  const m = machine();
  runPymk(['publish', '--bundle', bundle, '--store', storeUrl]);
  const ports = [20100 + (process.pid % 400), 20600 + (process.pid % 400)];
  const servers = await Promise.all(ports.map((p) => startServer(p, ['--bundle', bundle, '--store', storeUrl, '--watch', '0'])));
  let cold: Pass;
  let warm: Pass;
  try {
    cold = await pass(ports, Number(a.requests), Number(a.clients), 1);
    warm = await pass(ports, Number(a.requests), Number(a.clients), 2);
  } finally {
    for (const s of servers) s.kill('SIGTERM');
    const raw = new Redis(a.redis!);
    for (const k of await raw.keys(`${prefix}*`)) await raw.del(k);
    raw.disconnect();
  }
  const result = { bench: 'cache-mix', users, zipf: Number(a.zipf), clients: Number(a.clients), machine: m, cold, warm };
  const row = (name: string, p: Pass): string[] =>
    ['l1', 'l2', 'computed'].map((k) => `| ${name} | ${k} | ${p.byLayer[k]?.share ?? 0}% | ${p.byLayer[k]?.p50ms ?? '—'} | ${p.byLayer[k]?.p99ms ?? '—'} |`);
  const md = [
    '# L1 and L2 under a request mix with repeat visits',
    '',
    `- ${users}-user generated world (seed 7, pipeline --no-embed) published to Redis; two \`pymk serve\` processes on it (L1 each: defaults; L2: the store's Redis, 1 h); machine: ${machineLine(m)}`,
    `- command: \`node dist/bench/cacheMix.js ${process.argv.slice(2).join(' ')}\``,
    `- ${a.requests} requests per pass from ${a.clients} closed-loop clients, each to a process picked at random; users drawn from a Zipf law (exponent ${a.zipf}) over a fixed shuffle of the users; pass 1 starts with empty caches, pass 2 is a new mix over the same popularity`,
    '',
    `Pass 1: ${cold.reqPerSec} req/s (${cold.failed} failed); pass 2: ${warm.reqPerSec} req/s (${warm.failed} failed).`,
    '',
    '| pass | answered from | share | p50 ms | p99 ms |',
    '| --- | --- | ---: | ---: | ---: |',
    ...row('1 (cold)', cold),
    ...row('2 (warm)', warm),
    '',
  ].join('\n');
  await saveResults(a.out!, result, md);
  process.exit(0);
}

void main();
