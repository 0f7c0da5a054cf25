/**
 * 2-hop candidate throughput on a synthetic power-law graph.
 *
 *   node dist/bench/twoHop.js [--users 1000000] [--edges 50000000] [--sample 20000] [--topN 200] [--seed 1]
 *
 * Endpoints are drawn as floor(n · r^1.5) (r uniform), so user i is picked with density ∝ i^(-1/3): mean
 * degree 2m/n, a heavy tail (max ≈ 10⁴ at 1M users). Builds the CSR graph, then runs twoHopAll over a
 * random sample of users, uncapped and with fan-out caps, and writes bench/results/twohop.{json,md}.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Rng } from '../src/core/rng.js';
import type { EdgeTable } from '../src/core/tables.js';
import { buildGraph } from '../src/graph/csr.js';
import { twoHopAll, type TwoHopOptions } from '../src/graph/twoHop.js';
import { machineInfo } from '../src/eval/report.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const n = arg('users', 1_000_000);
const m = arg('edges', 50_000_000);
const sample = arg('sample', 20_000);
const topN = arg('topN', 200);
const seed = arg('seed', 1);
const gib = (b: number): number => Math.round((b / 2 ** 30) * 100) / 100;

const rng = new Rng(seed);
let t = performance.now();
const edges: EdgeTable = { count: m, src: new Int32Array(m), dst: new Int32Array(m), ts: new Uint32Array(m) };
for (let i = 0; i < m; i++) {
  edges.src[i] = Math.min(n - 1, Math.floor(n * Math.pow(rng.next(), 1.5)));
  edges.dst[i] = Math.min(n - 1, Math.floor(n * Math.pow(rng.next(), 1.5)));
  edges.ts[i] = 1;
}
const genS = (performance.now() - t) / 1000;
t = performance.now();
const g = buildGraph(n, edges);
const buildS = (performance.now() - t) / 1000;
let maxDeg = 0;
for (let u = 0; u < n; u++) maxDeg = Math.max(maxDeg, g.degree(u));
const graphInfo = { users: n, edgesDrawn: m, edges: g.edgeCount, meanDegree: (2 * g.edgeCount) / n, maxDegree: maxDeg, genS, buildS };
console.log(JSON.stringify(graphInfo));

const users = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i)).slice(0, sample);
// The work of an uncapped pass: 2-paths u–w–x walked per user (Σ deg w over u's neighbours).
let paths = 0;
for (const u of users) for (const w of g.neighbors(u)) paths += g.degree(w);
const pathsPerUser = Math.round(paths / users.length);
twoHopAll(g, users.subarray(0, Math.min(200, users.length)), { topN }); // JIT warm-up, not timed
const runs: Record<string, unknown>[] = [];
const configs: [string, TwoHopOptions][] = [
  ['uncapped', { topN }],
  ['maxFanout 1000 skip', { topN, maxFanout: 1000 }],
  ['maxFanout 1000 sample', { topN, maxFanout: 1000, hubMode: 'sample' }],
  ['maxFanout 200 skip', { topN, maxFanout: 200 }],
];
for (const [name, opts] of configs) {
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const c = twoHopAll(g, users, opts);
  const cpuS = process.cpuUsage(cpu0).user / 1e6;
  const s = (performance.now() - t) / 1000;
  const mem = process.memoryUsage();
  const run = {
    config: name,
    users: users.length,
    seconds: Math.round(s * 100) / 100,
    cpuSeconds: Math.round(cpuS * 100) / 100,
    usersPerSecond: Math.round(users.length / s),
    usersPerCpuSecond: Math.round(users.length / cpuS),
    projectedCpuMinutes: Math.round((n / (users.length / cpuS) / 60) * 10) / 10,
    meanCandidates: c.cand.length / users.length,
    rssGiB: gib(mem.rss),
    arrayBuffersGiB: gib(mem.arrayBuffers),
  };
  console.log(JSON.stringify(run));
  runs.push(run);
}

const out = { benchmark: 'twoHop', graph: graphInfo, pathsPerUser, topN, score: 'aa', runs, machine: machineInfo(), createdAt: new Date().toISOString() };
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/twohop.json', JSON.stringify(out, null, 2) + '\n');
const md = [
  '# 2-hop candidate throughput',
  '',
  `Graph: ${n} users, ${g.edgeCount} undirected edges (mean degree ${graphInfo.meanDegree.toFixed(1)}, max ${maxDeg}), power-law`,
  `endpoints; built in ${buildS.toFixed(1)} s. twoHopAll over ${users.length} random users, top ${topN} by Adamic-Adar;`,
  `an uncapped pass walks ${pathsPerUser} 2-paths per user on average. Wall and CPU time are both given: the`,
  `machine is shared, and wall > CPU means the process was waiting for a core.`,
  `Machine: ${out.machine.cpu}, ${out.machine.cores} cores, node ${out.machine.node}; single thread.`,
  `Command: \`node dist/bench/twoHop.js --users ${n} --edges ${m} --sample ${sample} --topN ${topN} --seed ${seed}\``,
  '',
  '| config | wall s | CPU s | users/s (wall) | users/s (CPU) | projected CPU min for all users (1 thread) | mean candidates | RSS GiB |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...runs.map(
    (r) =>
      `| ${r.config} | ${r.seconds} | ${r.cpuSeconds} | ${r.usersPerSecond} | ${r.usersPerCpuSecond} | ${r.projectedCpuMinutes} | ${(r.meanCandidates as number).toFixed(1)} | ${r.rssGiB} |`,
  ),
  '',
];
writeFileSync('bench/results/twohop.md', md.join('\n'));
