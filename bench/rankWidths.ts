/**
 * The MLP width trade-off: for each hidden-layer shape, offline quality on the held-out users (AUC,
 * NDCG@10, Recall@20, against Adamic-Adar), the INT8 graph variants' agreement with fp32 (AUC drop, top-20
 * agreement per 1,000-row request), and the latency of scoring 1,000 candidates (p50/p99, 1 and 2 threads).
 *
 *   node dist/bench/rankWidths.js --data DIR [--widths 64x32,128x64,128x128,256x128] [--variants fp32,int8-dynamic,int8-static]
 *       [--runs 300] [--cache DIR] [--out bench/results/rank-widths]
 *
 * Training uses the pipeline's defaults (TRAIN_DEFAULTS) with only the hidden layers changed; trained
 * parameters are cached under --cache (keyed by data, width and seed) so the latency part can be re-run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadDataset } from '../src/data/load.js';
import { machineInfo } from '../src/eval/report.js';
import { buildGraph } from '../src/graph/csr.js';
import { buildExamples, EXAMPLE_DEFAULTS } from '../src/rank/examples.js';
import { mlpForward, trainMlp, type MlpParams } from '../src/rank/mlp.js';
import { mlpGraph, type MlpGraphVariant } from '../src/rank/mlpGraph.js';
import { encodeModel } from '../src/rank/onnxModel.js';
import { RankSession } from '../src/rank/onnxRuntime.js';
import { COL, FEATURE_COUNT } from '../src/rank/schema.js';
import { calibrateOn, examplesWhere, TRAIN_DEFAULTS } from '../src/rank/train.js';
import { isValidationUser, scoreMetrics } from '../src/rank/validation.js';
import { aucOf, topKAgreement } from './lib/agreement.js';
import { timeInterleaved } from './lib/timing.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const data = arg('data', '');
if (!data) throw new Error('--data DIR is required');
const widths = arg('widths', '64x32,128x64,128x128,256x128').split(',');
const variants = arg('variants', 'fp32,int8-dynamic,int8-static').split(',') as MlpGraphVariant[];
const runs = Number(arg('runs', '300'));
const cacheDir = arg('cache', '/tmp/pymk-rank-widths');
const out = arg('out', 'bench/results/rank-widths');
const trainOnly = argv.includes('--train-only');
const F = FEATURE_COUNT;
const log = (s: string): void => void process.stderr.write(s + '\n');
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

const w = await loadDataset(data);
const ex = await buildExamples({ ids: w.ids, profiles: w.profiles, graph: buildGraph(w.ids.size, w.connections), events: w.events }, EXAMPLE_DEFAULTS);
log(`${ex.rows} examples`);
const train = examplesWhere(ex, (u) => !isValidationUser(u));
const valid = examplesWhere(ex, (u) => isValidationUser(u));
const vUser = Int32Array.from({ length: ex.rows }, (_, r) => ex.user[r]).filter((u) => isValidationUser(u));
const aa = Float32Array.from({ length: valid.rows }, (_, i) => valid.X[i * F + COL.aa]);
const aaMetrics = scoreMetrics(aa, valid.y, vUser, false);
const requests = Math.max(1, Math.floor(valid.rows / 1000));

const table: Record<string, unknown>[] = [];
for (const width of widths) {
  const hidden = width.split('x').map(Number);
  const { params, seconds } = trained(hidden);
  if (trainOnly) continue;
  const quality = scoreMetrics(mlpForward(params, valid.X, valid.rows), valid.y, vUser, true);
  log(`${width}: ${JSON.stringify(quality)} (trained in ${seconds}s)`);
  let fp32Scores: Float32Array | null = null;
  const rowsOf: Record<string, Record<string, unknown>> = {};
  const models: Record<string, Uint8Array> = {};
  const calibration = calibrateOn(params, train);
  for (const variant of variants) {
    const bytes = encodeModel(mlpGraph(params, { variant, calibration }));
    models[variant] = bytes;
    const s = await RankSession.load(bytes, F, `${width} ${variant}`);
    const scores = (await s.run(valid.X, valid.rows)).slice();
    s.dispose();
    fp32Scores ??= scores;
    const auc = aucOf(scores, valid.y);
    rowsOf[variant] = { width, variant, trainSeconds: seconds, ...quality, aucOnnx: r4(auc), aucDropVsFp32: r4(aucOf(fp32Scores, valid.y) - auc), top20Agreement: r4(topKAgreement(fp32Scores, scores, 1000, 20)) };
  }
  // Latency: the variants' requests interleaved (A, B, C, A, B, C, …) so a busy neighbour slows all alike.
  for (const threads of [1, 2]) {
    const sessions = await Promise.all(variants.map((v) => RankSession.load(models[v], F, `${width} ${v}`, { threads })));
    const ms = await timeInterleaved(sessions.map((t) => async (i: number) => void (await t.run(valid.X.subarray((i % requests) * 1000 * F, ((i % requests) + 1) * 1000 * F), 1000))), runs);
    variants.forEach((v, k) => Object.assign(rowsOf[v], { [`p50_${threads}t`]: ms[k].p50, [`p99_${threads}t`]: ms[k].p99 }));
    sessions.forEach((t) => t.dispose());
  }
  for (const v of variants) {
    log(JSON.stringify(rowsOf[v]));
    table.push(rowsOf[v]);
  }
}
if (trainOnly) process.exit(0);

const result = { command: `node dist/bench/rankWidths.js ${argv.join(' ')}`, machine: machineInfo(), loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100), createdAt: new Date().toISOString(), examples: ex.labels, validRows: valid.rows, aa: aaMetrics, table };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, JSON.stringify(result, null, 2) + '\n');
const row = (c: (string | number)[]): string => `| ${c.join(' | ')} |`;
const fp32p50 = (wd: string, k: string): number => (table.find((r) => r.width === wd && r.variant === 'fp32') as Record<string, number>)[k];
writeFileSync(
  `${out}.md`,
  [
    '# MLP width trade-off: quality, INT8 agreement, latency (1,000 candidates)',
    '',
    `- command: \`${result.command}\``,
    `- machine: ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}; load average at the end ${result.loadAverage.join(', ')}; ${result.createdAt}`,
    `- validation: ${valid.rows} rows of the held-out users; Adamic-Adar NDCG@10 ${aaMetrics.ndcg10}, Recall@20 ${aaMetrics.recall20}, AUC ${aaMetrics.auc}`,
    `- quality columns are the trainer's fp32 forward pass; AUC drop and top-20 agreement compare each ONNX variant with the fp32 ONNX graph; ${runs} timed runs`,
    '',
    row(['MLP', 'graph', 'train s', 'AUC', 'NDCG@10', 'Recall@20', 'AUC drop', 'top-20 agr.', 'p50 1t', 'p99 1t', 'p50 2t', 'p99 2t', 'fp32/this p50 1t', 'fp32/this p50 2t']),
    row(['---', '---', ...Array(12).fill('---:')]),
    ...table.map((r) => {
      const x = r as Record<string, number> & { width: string; variant: string };
      return row([x.width, x.variant, x.trainSeconds, x.auc, x.ndcg10, x.recall20, x.aucDropVsFp32, x.top20Agreement, x.p50_1t, x.p99_1t, x.p50_2t, x.p99_2t, (fp32p50(x.width, 'p50_1t') / x.p50_1t).toFixed(2), (fp32p50(x.width, 'p50_2t') / x.p50_2t).toFixed(2)]);
    }),
    '',
  ].join('\n'),
);
log(`wrote ${out}.json and ${out}.md`);
process.exit(0);

/** Trains (or reads from the cache) the MLP with these hidden layers on the training users. */
function trained(hidden: number[]): { params: MlpParams; seconds: number } {
  const file = join(cacheDir, `${data.replace(/\W/g, '_')}-${hidden.join('x')}-s${TRAIN_DEFAULTS.seed}.json`);
  if (existsSync(file)) {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    const f32 = (a: number[]): Float32Array => Float32Array.from(a);
    return { params: { sizes: j.sizes, mean: f32(j.mean), invStd: f32(j.invStd), weights: j.weights.map(f32), biases: j.biases.map(f32) }, seconds: j.seconds };
  }
  const t0 = performance.now();
  const params = trainMlp(train, { ...TRAIN_DEFAULTS.mlp, hidden, seed: TRAIN_DEFAULTS.seed }, (e) => log(`${hidden.join('x')} epoch ${e.epoch}: loss ${e.loss.toFixed(4)} (${e.seconds.toFixed(1)}s)`));
  const seconds = Math.round((performance.now() - t0) / 100) / 10;
  mkdirSync(cacheDir, { recursive: true });
  const arr = (a: Float32Array): number[] => Array.from(a);
  writeFileSync(file, JSON.stringify({ sizes: params.sizes, mean: arr(params.mean), invStd: arr(params.invStd), weights: params.weights.map(arr), biases: params.biases.map(arr), seconds }));
  return { params, seconds };
}
