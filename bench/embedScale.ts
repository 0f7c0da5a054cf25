/**
 * Scale of the embed stage's work on a large generated world: train to a fixed budget of positive edges,
 * then embed every user layer-wise (the same embedUsers() the pipeline stage runs). Reports wall and CPU
 * time, edges/s, users/s and peak memory.
 *
 *   node dist/src/cli/main.js generate --users 1000000 --seed 1 --out /tmp/w1m
 *   node dist/bench/embedScale.js --data /tmp/w1m [--maxEdges 200000] [--out bench/results/embed-scale]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { loadDataset } from '../src/data/load.js';
import { embedUsers } from '../src/embed/embedUsers.js';
import { TRAIN_DEFAULTS, type TrainOptions } from '../src/embed/train.js';
import { machineInfo } from '../src/eval/report.js';
import { buildGraph } from '../src/graph/csr.js';
import { EMBED_DEFAULTS } from '../src/pipeline/stages/embed.js';
import { argValue, cliOverrides, peakRssGiB, round } from './embedArgs.js';

const dir = argValue('data', '/tmp/w1m');
const out = argValue('out', '');
const train: Partial<TrainOptions> = { ...EMBED_DEFAULTS.train, maxEdges: 200_000, ...cliOverrides(TRAIN_DEFAULTS) };
const command = `node dist/bench/embedScale.js ${process.argv.slice(2).join(' ')}`;
const log = (s: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

let t = performance.now();
const world = await loadDataset(dir);
const n = world.ids.size;
const loadS = (performance.now() - t) / 1000;
log(`loaded ${n} users, ${world.connections.count} connections in ${loadS.toFixed(1)} s`);
t = performance.now();
const g = buildGraph(n, world.connections);
const graphS = (performance.now() - t) / 1000;

let trainCpu = 0;
let lastLog = 0;
const cpu0 = process.cpuUsage();
let inferCpu0: NodeJS.CpuUsage | null = null;
const r = embedUsers(g, world.profiles, {
  train,
  inferFanouts: EMBED_DEFAULTS.inferFanouts,
  log,
  onTrainProgress: (p) => {
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`train ${p.edges}/${p.plannedEdges} edges, loss ${p.loss.toFixed(4)}`);
    }
  },
  onInferProgress: (done, total) => {
    if (!inferCpu0) {
      inferCpu0 = process.cpuUsage();
      trainCpu = process.cpuUsage(cpu0).user / 1e6;
    }
    if (done === total || performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`infer ${done}/${total} users`);
    }
  },
});
const inferCpu = inferCpu0 ? process.cpuUsage(inferCpu0).user / 1e6 : 0;
const s = r.train.stats;
const result = {
  users: n,
  edges: g.edgeCount,
  budget: { maxEdges: train.maxEdges, options: train },
  loadSeconds: round(loadS),
  graphSeconds: round(graphS),
  train: { edges: s.edges, batches: s.batches, wallSeconds: round(s.seconds), cpuSeconds: round(trainCpu), edgesPerSecond: Math.round(s.edgesPerSecond), edgesPerCpuSecond: Math.round(s.edges / trainCpu), validAuc: r.train.best.validAuc, stopped: s.stopped },
  infer: { wallSeconds: round(r.inferSeconds), cpuSeconds: round(inferCpu), usersPerSecond: Math.round(n / r.inferSeconds), towerUsers: r.source.reduce((a, x) => a + x, 0) },
  peakRssGiB: peakRssGiB(),
  machine: machineInfo(),
  command,
  createdAt: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
if (out) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# Embedding at scale: ${n.toLocaleString('en-US')} users`,
    '',
    `Command: \`${command}\` on \`pymk generate --users ${n} --seed 1\` (${g.edgeCount.toLocaleString('en-US')} connections).`,
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores shared with other jobs (wall > CPU means waiting for a core), node ${result.machine.node}; one thread.`,
    `Model: the pipeline's defaults (${train.hidden} hidden → ${train.dim}-d, fanouts ${train.fanouts?.join('/')}, profile features, no identities); budget ${train.maxEdges?.toLocaleString('en-US')} positive edges.`,
    '',
    '| step | wall s | CPU s | throughput |',
    '| --- | ---: | ---: | ---: |',
    `| load dataset | ${result.loadSeconds} | | |`,
    `| build graph | ${result.graphSeconds} | | |`,
    `| train (${s.edges.toLocaleString('en-US')} positive edges, ${s.batches} batches) | ${result.train.wallSeconds} | ${result.train.cpuSeconds} | ${result.train.edgesPerSecond} edges/s wall, ${result.train.edgesPerCpuSecond} per CPU-s |`,
    `| embed all users (layer-wise) | ${result.infer.wallSeconds} | ${result.infer.cpuSeconds} | ${result.infer.usersPerSecond} users/s wall |`,
    '',
    `Peak RSS ${result.peakRssGiB} GiB. Validation AUC after the budget: ${round(result.train.validAuc ?? NaN, 4)}.`,
    '',
  ];
  writeFileSync(`${out}.md`, md.join('\n'));
}
