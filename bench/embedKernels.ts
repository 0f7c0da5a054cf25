/**
 * Dense-kernel choice by measurement: the typed-array kernels (src/embed/kernels.ts) against
 * @tensorflow/tfjs-core on the wasm backend, on the encoder's own layer sizes, then whole training batches
 * with each. tfjs is not a dependency of pymk; install it anywhere and point at it:
 *
 *   (mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm init -y && npm i @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0)
 *   node dist/bench/embedKernels.js --tfjs /tmp/tfjs [--out bench/results/embed-kernels]
 *
 * Without --tfjs only the typed-array kernels are measured. The wasm backend is single-threaded here; its
 * matMul with transposeA/B is much slower than transposing first, so the adapter transposes in JS.
 */
import { createRequire } from 'node:module';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readPlanetoid } from '../src/data/adapters/planetoid.js';
import { listInputs } from '../src/embed/features.js';
import { jsKernels, transpose, type DenseKernels } from '../src/embed/kernels.js';
import { trainModel } from '../src/embed/train.js';
import { machineInfo } from '../src/eval/report.js';
import { buildGraph } from '../src/graph/csr.js';
import { Rng } from '../src/core/rng.js';
import { argValue, round } from './embedArgs.js';

interface TfLike {
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor2d(values: Float32Array, shape: [number, number]): { dispose(): void };
  matMul(a: unknown, b: unknown): { dataSync(): Float32Array; dispose(): void };
}

/** DenseKernels over tfjs: upload, matMul, read back; operands are transposed in JS first. */
async function tfjsKernels(dir: string): Promise<DenseKernels> {
  const req = createRequire(join(dir, 'package.json'));
  const tf = (await import(pathToFileURL(req.resolve('@tensorflow/tfjs-core')).href)) as unknown as TfLike;
  await import(pathToFileURL(req.resolve('@tensorflow/tfjs-backend-wasm')).href);
  await tf.setBackend('wasm');
  await tf.ready();
  let s1: Float32Array = new Float32Array(0);
  const grow = (a: Float32Array, len: number): Float32Array => (a.length >= len ? a : new Float32Array(len));
  const run = (A: Float32Array, B: Float32Array, M: number, K: number, N: number, C: Float32Array): void => {
    const a = tf.tensor2d(A.subarray(0, M * K), [M, K]);
    const b = tf.tensor2d(B.subarray(0, K * N), [K, N]);
    const c = tf.matMul(a, b);
    C.set(c.dataSync());
    a.dispose();
    b.dispose();
    c.dispose();
  };
  return {
    name: `tfjs-core ${tf.getBackend()} backend`,
    mm: run,
    mmBt(A, B, M, K, N, C) {
      s1 = grow(s1, N * K);
      run(A, transpose(B, N, K, s1), M, K, N, C);
    },
    mmAt(A, B, M, K, N, C) {
      s1 = grow(s1, M * K);
      run(transpose(A, M, K, s1), B, K, M, N, C);
    },
  };
}

function timeIt(f: () => void, minMs = 1500): { ms: number; cpuMs: number } {
  f();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let runs = 0;
  while (performance.now() - t0 < minMs) {
    f();
    runs++;
  }
  return { ms: (performance.now() - t0) / runs, cpuMs: process.cpuUsage(c0).user / 1000 / runs };
}

const tfDir = argValue('tfjs', '');
const out = argValue('out', '');
const kernels: DenseKernels[] = [jsKernels()];
if (tfDir) kernels.push(await tfjsKernels(tfDir));

// The encoder's products: layer 2 of a Cora batch (≈1,500 targets, 2×256 → 128), of a social-graph batch
// (≈3,000 targets, 2×128 → 128), and the profile tower (128 → 128).
const shapes: [string, number, number, number][] = [
  ['layer 2, Cora batch', 1536, 512, 128],
  ['layer 2, social batch', 3072, 256, 128],
  ['tower', 1024, 128, 128],
];
const rng = new Rng(1);
const rand = (len: number): Float32Array => Float32Array.from({ length: len }, () => rng.next() - 0.5);
const products: Record<string, unknown>[] = [];
for (const [label, M, K, N] of shapes) {
  const A = rand(M * K);
  const W = rand(K * N);
  const dZ = rand(M * N);
  const C = new Float32Array(Math.max(M * N, M * K, K * N));
  for (const k of kernels) {
    const flops = 2 * M * K * N;
    const fwd = timeIt(() => k.mm(A, W, M, K, N, C));
    const bt = timeIt(() => k.mmBt(dZ, W, M, N, K, C));
    const at = timeIt(() => k.mmAt(A, dZ, M, K, N, C));
    const row = {
      shape: label,
      M,
      K,
      N,
      kernel: k.name,
      forwardMs: round(fwd.ms, 3),
      forwardGflops: round(flops / fwd.cpuMs / 1e6),
      backwardInputMs: round(bt.ms, 3),
      backwardWeightMs: round(at.ms, 3),
      backwardWeightGflops: round(flops / at.cpuMs / 1e6),
    };
    products.push(row);
    console.log(JSON.stringify(row));
  }
}

// Whole training batches on Cora (all sparse work in JS either way): the same 40 batches with each kernel.
const cora = await readPlanetoid('cora');
const inputs = listInputs(cora.features, cora.featureDim);
const g = buildGraph(cora.n, cora.edges);
const training: Record<string, unknown>[] = [];
for (const k of kernels) {
  const c0 = process.cpuUsage();
  const r = trainModel(
    { graph: g, inputs, spec: { kind: 'list', dim: cora.featureDim } },
    { seed: 1, hidden: 256, fanouts: [25, 10], batchSize: 512, maxEdges: 512 * 40, epochs: 100, validFrac: 0, negatives: 4, towerWeight: 0, alignWeight: 0 },
    { kernels: k },
  );
  const cpuS = process.cpuUsage(c0).user / 1e6;
  const row = { kernel: k.name, batches: r.stats.batches, seconds: round(r.stats.seconds), cpuSeconds: round(cpuS), msPerBatchCpu: round((1000 * cpuS) / r.stats.batches, 1), finalLoss: round(r.rounds[r.rounds.length - 1].loss, 4) };
  training.push(row);
  console.log(JSON.stringify(row));
}

if (out) {
  const command = `node dist/bench/embedKernels.js ${process.argv.slice(2).join(' ')}`;
  const doc = { benchmark: 'embed-kernels', products, training, command, machine: machineInfo(), createdAt: new Date().toISOString() };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`${out}.json`, JSON.stringify(doc, null, 2) + '\n');
  const md = [
    '# Dense kernels for the encoder: typed arrays vs tfjs wasm',
    '',
    `Command: \`${command}\``,
    `Machine: ${doc.machine.cpu}, ${doc.machine.cores} cores (shared), node ${doc.machine.node}. GFLOP/s are per CPU-second.`,
    '',
    '| product | M×K·K×N | kernel | forward ms | GFLOP/s | dX = dZ·Wᵀ ms | dW = Xᵀ·dZ ms | GFLOP/s |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...products.map((p) => `| ${p.shape} | ${p.M}×${p.K}·${p.K}×${p.N} | ${p.kernel} | ${p.forwardMs} | ${p.forwardGflops} | ${p.backwardInputMs} | ${p.backwardWeightMs} | ${p.backwardWeightGflops} |`),
    '',
    'Whole training batches (Cora, 512 positives, hidden 256, fanouts 25/10; sparse work is typed-array code in both):',
    '',
    '| kernel | batches | CPU s | ms / batch (CPU) | final loss |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...training.map((t) => `| ${t.kernel} | ${t.batches} | ${t.cpuSeconds} | ${t.msPerBatchCpu} | ${t.finalLoss} |`),
    '',
  ];
  writeFileSync(`${out}.md`, md.join('\n'));
}
