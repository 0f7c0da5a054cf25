/**
 * The ranking model: training cost and scoring latency.
 *
 *   node dist/bench/rank.js --data DIR [--train-rows 1000000] [--runs 400] [--out bench/results/rank-generated]
 *
 * 1. Training data: buildExamples on the dataset (log labels with a time cut), then trainRanker (the
 *    pipeline's defaults) for the validation metrics of the MLP, the trees and Adamic-Adar.
 * 2. Training cost at scale: the example rows tiled to at least --train-rows, one MLP epoch and 25 trees
 *    (the tree cost is linear in the number of trees), timed (rows/s).
 * 3. Scoring 1,000 candidates (validation rows, 1,000 per request) with ONNX Runtime: MLP fp32 vs INT8 for
 *    the default width and a comparison width (--compare, default 256x128, a width where INT8 can matter; trained the
 *    same way), the trees (ORT TreeEnsembleRegressor and the flat JS evaluator), 1 and 2 intra-op threads,
 *    p50/p99 over --runs requests per model with the ONNX models' requests interleaved (a busy neighbour
 *    slows all alike, so same-run ratios hold); plus feature assembly for 1,000 candidates.
 * 4. INT8 against fp32 on the validation rows: AUC of each, and top-20 agreement per 1,000-row request.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildGraph } from '../src/graph/csr.js';
import { loadDataset } from '../src/data/load.js';
import { machineInfo } from '../src/eval/report.js';
import { MemoryStore } from '../src/store/memory.js';
import { PAIR_FEATURES } from '../src/store/snapshot.js';
import { assembleFeatures } from '../src/rank/assemble.js';
import { buildExamples, EXAMPLE_DEFAULTS } from '../src/rank/examples.js';
import { exportGraphs } from '../src/rank/export.js';
import { gbdtForward, trainGbdt, GBDT_DEFAULTS } from '../src/rank/gbdt.js';
import { MLP_DEFAULTS, mlpForward, trainMlp, type TrainingSet } from '../src/rank/mlp.js';
import { RankSession } from '../src/rank/onnxRuntime.js';
import { FEATURE_COUNT } from '../src/rank/schema.js';
import { calibrateOn, examplesWhere, trainRanker, TRAIN_DEFAULTS, type TrainedRanker } from '../src/rank/train.js';
import { isValidationUser } from '../src/rank/validation.js';
import { aucOf, topKAgreement } from './lib/agreement.js';
import { timeInterleaved } from './lib/timing.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const data = arg('data', '');
const trainRows = Number(arg('train-rows', '1000000'));
const runs = Number(arg('runs', '400'));
const out = arg('out', 'bench/results/rank-generated');
if (!data) throw new Error('--data DIR is required');
const F = FEATURE_COUNT;
const log = (s: string): void => void process.stderr.write(s + '\n');
const r2 = (x: number): number => Math.round(x * 100) / 100;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

// 1. Examples and the default ranker.
const w = await loadDataset(data);
let t0 = performance.now();
const ex = await buildExamples({ ids: w.ids, profiles: w.profiles, graph: buildGraph(w.ids.size, w.connections), events: w.events }, EXAMPLE_DEFAULTS);
const exampleSeconds = (performance.now() - t0) / 1000;
log(`${ex.rows} examples in ${exampleSeconds.toFixed(1)}s: ${JSON.stringify(ex.labels)}`);
const ranker = trainRanker(ex, TRAIN_DEFAULTS, log);
// The comparison width, trained like the default (same rows, epochs and seed).
const compareHidden = arg('compare', '256x128').split('x').map(Number);
if (compareHidden.join('x') === MLP_DEFAULTS.hidden.join('x')) throw new Error(`--compare ${compareHidden.join('x')} is the default width: pass another`);
const trainSet = examplesWhere(ex, (u) => !isValidationUser(u));
const compareMlp = trainMlp(trainSet, { ...TRAIN_DEFAULTS.mlp, hidden: compareHidden, seed: TRAIN_DEFAULTS.seed });
const compare: TrainedRanker = { ...ranker, mlp: compareMlp, calibration: calibrateOn(compareMlp, trainSet) };
const compareName = compareHidden.join('x');

// Validation rows (the users trainRanker held out), in 1,000-row requests.
const valid = examplesWhere(ex, (u) => isValidationUser(u));
const requests = Math.max(1, Math.floor(valid.rows / 1000));
const batch = (i: number): Float32Array => tile(valid.X, valid.rows, 1000, (i % requests) * 1000);

// 2. Training cost at scale.
const big = tileSet(examplesWhere(ex, () => true), trainRows);
t0 = performance.now();
trainMlp(big, { ...MLP_DEFAULTS, epochs: 1, minSteps: 0 });
const mlpEpochSeconds = (performance.now() - t0) / 1000;
log(`mlp: one epoch over ${big.rows} rows in ${mlpEpochSeconds.toFixed(1)}s`);
t0 = performance.now();
const SCALE_TREES = 25; // the cost is linear in trees: 25 keep the run short on a shared machine
trainGbdt(big, { ...GBDT_DEFAULTS, trees: SCALE_TREES });
const gbdtSeconds = (performance.now() - t0) / 1000;
log(`gbdt: ${SCALE_TREES} trees over ${big.rows} rows in ${gbdtSeconds.toFixed(1)}s`);

// 3. Scoring latency.
const graphs = exportGraphs(ranker);
const compareGraphs = exportGraphs(compare);
// The served MLP is TRAIN_DEFAULTS.members networks side by side (train.ts): its width is theirs summed.
const servedWidth = ranker.mlp.sizes.slice(1, -1).join('x');
const models: Record<string, Uint8Array> = {
  [`mlp ${servedWidth} fp32`]: graphs.mlp,
  [`mlp ${servedWidth} int8`]: graphs['mlp-int8'],
  [`mlp ${compareName} fp32`]: compareGraphs.mlp,
  [`mlp ${compareName} int8`]: compareGraphs['mlp-int8'],
  [`gbdt ${GBDT_DEFAULTS.trees} trees (ORT)`]: graphs.gbdt,
  [`blend (mlp ${servedWidth} fp32 + trees)`]: graphs.blend,
  [`blend-int8 (mlp ${servedWidth} int8 + trees)`]: graphs['blend-int8'],
};
const latency: { model: string; threads: number; p50: number; p99: number }[] = [];
for (const threads of [1, 2]) {
  const names = Object.keys(models);
  const sessions = await Promise.all(names.map((name) => RankSession.load(models[name], F, name, { threads })));
  const ms = await timeInterleaved(sessions.map((s) => async (i: number) => void (await s.run(batch(i), 1000))), runs);
  names.forEach((model, k) => latency.push({ model, threads, ...ms[k] }));
  sessions.forEach((s) => s.dispose());
  latency.push({ model: `gbdt ${GBDT_DEFAULTS.trees} trees (flat JS)`, threads, ...(await time(async (i) => void gbdtForward(ranker.gbdt, batch(i), 1000))) });
}
// Feature assembly for a 1,000-candidate request (RankingInputs from a MemoryStore over a synthetic list).
const asm = await assemblyLatency();

// 4. INT8 vs fp32 on the validation rows.
const accuracy: Record<string, unknown>[] = [];
for (const [label, g] of [
  [servedWidth, graphs],
  [compareName, compareGraphs],
] as const) {
  const a = await RankSession.load(g.mlp, F, 'fp32');
  const b = await RankSession.load(g['mlp-int8'], F, 'int8');
  const sa = await a.run(valid.X, valid.rows);
  const sb = await b.run(valid.X, valid.rows);
  const aucA = aucOf(sa, valid.y);
  const aucB = aucOf(sb, valid.y);
  accuracy.push({ mlp: label, aucFp32: r4(aucA), aucInt8: r4(aucB), aucDrop: r4(aucA - aucB), top20Agreement: r4(topKAgreement(sa, sb, 1000, 20)), maxAbsDiff: r4(maxDiff(sa, sb)) });
  a.dispose();
  b.dispose();
}

const result = {
  command: `node dist/bench/rank.js ${argv.join(' ')}`,
  machine: machineInfo(),
  loadAverage: (await import('node:os')).loadavg().map(r2),
  createdAt: new Date().toISOString(),
  examples: { ...ex.labels, seconds: r2(exampleSeconds) },
  validation: ranker.metrics.valid,
  training: {
    defaultRun: { rows: ranker.metrics.trainRows, mlpSeconds: ranker.metrics.mlpSeconds, mlpEpochs: ranker.metrics.mlpEpochs, gbdtSeconds: ranker.metrics.gbdtSeconds },
    atScale: { rows: big.rows, mlpHidden: MLP_DEFAULTS.hidden, mlpEpochSeconds: r2(mlpEpochSeconds), mlpRowsPerSecond: Math.round(big.rows / mlpEpochSeconds), gbdtTrees: SCALE_TREES, gbdtSeconds: r2(gbdtSeconds), gbdtRowTreesPerSecond: Math.round((big.rows * SCALE_TREES) / gbdtSeconds) },
  },
  latencyMs: latency,
  assemblyMs: asm,
  int8: accuracy,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, JSON.stringify(result, null, 2) + '\n');
writeFileSync(`${out}.md`, markdown(result));
log(`wrote ${out}.json and ${out}.md`);
process.exit(0);

function tile(X: Float32Array, rows: number, want: number, start: number): Float32Array {
  const outX = new Float32Array(want * F);
  for (let i = 0; i < want; i++) outX.set(X.subarray(((start + i) % rows) * F, ((start + i) % rows + 1) * F), i * F);
  return outX;
}

function tileSet(s: TrainingSet, want: number): TrainingSet {
  const rows = Math.max(want, s.rows);
  const y = new Float32Array(rows);
  const wt = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = s.y[i % s.rows];
    wt[i] = s.w[i % s.rows];
  }
  return { X: tile(s.X, s.rows, rows, 0), rows, features: F, y, w: wt };
}

async function time(fn: (i: number) => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 50; i++) await fn(i);
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    await fn(i);
    ts.push(performance.now() - a);
  }
  ts.sort((a, b) => a - b);
  return { p50: r4(ts[Math.floor(ts.length * 0.5)]), p99: r4(ts[Math.floor(ts.length * 0.99)]) };
}


async function assemblyLatency(): Promise<{ p50: number; p99: number }> {
  // 1,000 candidates for user 0 of the dataset, features zero: assembly cost does not depend on values.
  const n = w.ids.size;
  const cand = Int32Array.from({ length: 1000 }, (_, i) => 1 + (i % (n - 1)));
  const offsets = new Int32Array(n + 1).fill(1000);
  offsets[0] = 0;
  const g = buildGraph(n, w.connections);
  const features = Object.fromEntries(PAIR_FEATURES.map((f) => [f, new Float32Array(1000)]));
  const empty = { offsets: new Int32Array(n + 1), targets: new Int32Array(0) };
  const store = new MemoryStore({ version: 'bench', ids: w.ids, profiles: w.profiles, graph: g, blocked: empty, dismissed: empty, candidates: { offsets, cand, score: new Float32Array(1000), features: features as never }, lists: null });
  const inputs = await store.fetchRankingInputs(0);
  const buf = new Float32Array(1000 * F);
  return time(async () => void assembleFeatures(inputs, buf));
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function markdown(r: typeof result): string {
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const lat = (m: string, th: number): { p50: number; p99: number } | undefined => r.latencyMs.find((x) => x.model === m && x.threads === th);
  const lines = [
    '# Ranking model: training and scoring',
    '',
    `- command: \`${r.command}\``,
    `- machine: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}; load average at the end ${r.loadAverage.join(', ')} (shared machine); ${r.createdAt}`,
    `- examples: ${r.examples.rows} rows (${r.examples.positives} positive) from ${r.examples.users} users, ${r.examples.mode} labels, cut ${r.examples.cut}; built in ${r.examples.seconds}s`,
    '',
    '## Validation (held-out users of the training period)',
    '',
    row(['scorer', 'AUC', 'log loss', 'NDCG@10', 'Recall@20']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...(['mlp', 'gbdt', 'blend', 'aa'] as const).map((k) => row([k, r.validation[k].auc, r.validation[k].logLoss ?? '–', r.validation[k].ndcg10, r.validation[k].recall20])),
    '',
    '## Training cost',
    '',
    `- default run: ${r.training.defaultRun.rows} rows; MLP ${r.training.defaultRun.mlpEpochs} epochs in ${r.training.defaultRun.mlpSeconds}s, trees in ${r.training.defaultRun.gbdtSeconds}s`,
    `- at scale (example rows tiled to ${r.training.atScale.rows}): MLP ${r.training.atScale.mlpHidden.join('x')} one epoch ${r.training.atScale.mlpEpochSeconds}s = **${r.training.atScale.mlpRowsPerSecond} rows/s**; ${r.training.atScale.gbdtTrees} trees ${r.training.atScale.gbdtSeconds}s = ${r.training.atScale.gbdtRowTreesPerSecond} row·trees/s`,
    '',
    '## Scoring 1,000 candidates (ms per request)',
    '',
    row(['model', 'p50 1 thread', 'p99 1 thread', 'p50 2 threads', 'p99 2 threads']),
    row(['---', '---:', '---:', '---:', '---:']),
    ...[...new Set(r.latencyMs.map((x) => x.model))].map((m) => row([m, lat(m, 1)?.p50 ?? '–', lat(m, 1)?.p99 ?? '–', lat(m, 2)?.p50 ?? '–', lat(m, 2)?.p99 ?? '–'])),
    row(['feature assembly (JS)', r.assemblyMs.p50, r.assemblyMs.p99, '', '']),
    '',
    ...[servedWidth, compareName].map((wd) => {
      const ratio = (th: number): string => ((lat(`mlp ${wd} fp32`, th)?.p50 ?? NaN) / (lat(`mlp ${wd} int8`, th)?.p50 ?? NaN)).toFixed(2);
      return `- MLP ${wd}: INT8 is **${ratio(1)}×** faster than fp32 at p50 with 1 thread, ${ratio(2)}× with 2 (same run, requests interleaved)`;
    }),
    ...[1, 2].map((th) => {
      const b = lat(`blend-int8 (mlp ${servedWidth} int8 + trees)`, th)?.p50 ?? NaN;
      return `- blend-int8 (served by default) ÷ mlp int8 at p50, ${th} thread${th > 1 ? 's' : ''}: **${(b / (lat(`mlp ${servedWidth} int8`, th)?.p50 ?? NaN)).toFixed(2)}×**; ÷ the trees alone ${(b / (lat(`gbdt ${GBDT_DEFAULTS.trees} trees (ORT)`, th)?.p50 ?? NaN)).toFixed(2)}×`;
    }),
    '',
    '## INT8 against fp32 (validation rows; agreement per 1,000-row request)',
    '',
    row(['MLP', 'AUC fp32', 'AUC int8', 'AUC drop', 'top-20 agreement', 'max |Δ score|']),
    row(['---', '---:', '---:', '---:', '---:', '---:']),
    ...r.int8.map((a) => row([String(a.mlp), String(a.aucFp32), String(a.aucInt8), String(a.aucDrop), String(a.top20Agreement), String(a.maxAbsDiff)])),
    '',
  ];
  return lines.join('\n');
}
