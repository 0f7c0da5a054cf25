/**
 * Where the time of scoring 1,000 candidates goes, fp32 against INT8 graph variants, by MLP width and
 * ONNX Runtime session option. Random weights (latency does not depend on the values); the accuracy of the
 * variants on a trained model is in bench/rank.ts.
 *
 *   node dist/bench/rankInt8.js [--runs 300] [--sizes 64x32,128x64,...] [--kernels 64,128,...]
 *                               [--sections options,widths,kernels] [--out bench/results/rank-int8-sweep]
 *
 * This sweep talks to onnxruntime-node directly (session options the adapter does not expose).
 * The kernels section is the ceiling any MLP can reach: one bare K→K layer over 1,000 rows, fp32 Gemm against
 * QGemm (u8 activations × s8 weights → f32, the op the served INT8 graph is made of) and MatMulInteger, the
 * three timed in interleaved runs. An MLP is a chain of such layers plus a per-run floor, so its INT8 speed-up
 * stays below the best single-layer ratio; the ratio is set by the CPU's int8 instructions (AVX-512 VNNI or
 * AVX-VNNI multiply-add u8×s8 into int32 in one step; AVX2 takes three), whose flags the report lists.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Rng } from '../src/core/rng.js';
import { machineInfo } from '../src/eval/report.js';
import { calibrate, type MlpParams } from '../src/rank/mlp.js';
import { INT8_VARIANTS, mlpGraph } from '../src/rank/mlpGraph.js';
import { attr, encodeModel, type OnnxGraph } from '../src/rank/onnxModel.js';
import { FEATURE_COUNT } from '../src/rank/schema.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const runs = Number(arg('runs', '300'));
const sizes = arg('sizes', '64x32,128x64,128x128,256x128,256x256').split(',').map((s) => s.split('x').map(Number));
const kernels = arg('kernels', '64,128,256,512,1024').split(',').map(Number);
const SECTIONS = ['options', 'widths', 'kernels'];
const sections = new Set(arg('sections', SECTIONS.join(',')).split(','));
for (const s of sections) if (!SECTIONS.includes(s)) throw new Error(`unknown section '${s}': expected some of ${SECTIONS.join(', ')}`);
// A partial run writes its own report, so it cannot overwrite the full sweep's by default.
const out = arg('out', sections.size === SECTIONS.length ? 'bench/results/rank-int8-sweep' : `bench/results/rank-int8-${[...sections].join('-')}`);
const F = FEATURE_COUNT;
const N = 1000;
const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const log = (s: string): void => void process.stderr.write(s + '\n');

const rng = new Rng(7);
// Inputs shaped like the real ones: non-negative, long-tailed (log1p counts, similarities, 0/1 flags).
const X = Float32Array.from({ length: N * F }, () => Math.abs(rng.normal()) * (rng.next() < 0.5 ? 1 : 3));

function randomMlp(hidden: number[]): MlpParams {
  const s = [F, ...hidden, 1];
  return {
    sizes: s,
    mean: Float32Array.from({ length: F }, () => 1),
    invStd: Float32Array.from({ length: F }, () => 0.7),
    weights: s.slice(0, -1).map((n, l) => Float32Array.from({ length: n * s[l + 1] }, () => rng.normal() * Math.sqrt(2 / n))),
    biases: s.slice(1).map((n) => Float32Array.from({ length: n }, () => rng.normal() * 0.1)),
  };
}

/** The per-run floor: one 20→1 Gemm and a Sigmoid (input in, 1,000 scores out). */
function floorGraph(): OnnxGraph {
  return {
    name: 'floor',
    nodes: [
      { op: 'Gemm', inputs: ['features', 'w', 'b'], outputs: ['z'], attrs: { alpha: attr.float(1), beta: attr.float(1) } },
      { op: 'Sigmoid', inputs: ['z'], outputs: ['score'] },
    ],
    initializers: [
      { name: 'w', type: 'float', dims: [F, 1], data: new Float32Array(F).fill(0.1) },
      { name: 'b', type: 'float', dims: [1], data: new Float32Array(1) },
    ],
    inputs: [{ name: 'features', type: 'float', dims: ['N', F] }],
    outputs: [{ name: 'score', type: 'float', dims: ['N', 1] }],
    opsets: { '': 17 },
  };
}

type Opts = ort.InferenceSession.SessionOptions;
const BASE: Opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' };

async function measure(bytes: Uint8Array, opts: Opts, prealloc = false): Promise<{ p50: number; p99: number; mean: number }> {
  const s = await ort.InferenceSession.create(bytes, opts);
  const fetches = prealloc ? { score: new ort.Tensor('float32', new Float32Array(N), [N, 1]) } : undefined;
  const once = async (): Promise<void> => {
    const feeds = { features: new ort.Tensor('float32', X, [N, F]) };
    if (fetches) await s.run(feeds, fetches);
    else await s.run(feeds);
  };
  for (let i = 0; i < 50; i++) await once();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const a = performance.now();
    await once();
    ts.push(performance.now() - a);
  }
  await s.release();
  ts.sort((a, b) => a - b);
  return { p50: r4(ts[Math.floor(runs * 0.5)]), p99: r4(ts[Math.floor(runs * 0.99)]), mean: r4(ts.reduce((a, b) => a + b, 0) / runs) };
}

const rows: { mlp: string; graph: string; options: string; p50: number; p99: number; mean: number }[] = [];
const record = async (mlp: string, graph: string, options: string, bytes: Uint8Array, opts: Opts, prealloc = false): Promise<void> => {
  const m = await measure(bytes, opts, prealloc);
  rows.push({ mlp, graph, options, ...m });
  log(`${mlp} ${graph} [${options}]: p50 ${m.p50} p99 ${m.p99}`);
};

// 1. The per-run floor and the session options, on the floor graph and on the default MLP.
if (sections.has('options')) {
  const floor = encodeModel(floorGraph());
  await record('-', 'floor (20→1 Gemm + Sigmoid)', 'default', floor, BASE);
  await record('-', 'floor (20→1 Gemm + Sigmoid)', 'preallocated output', floor, BASE, true);
  const def = randomMlp([64, 32]);
  const optionSets: [string, Opts, boolean?][] = [
    ['default', BASE],
    ['2 threads', { ...BASE, intraOpNumThreads: 2 }],
    ['opt basic', { ...BASE, graphOptimizationLevel: 'basic' }],
    ['opt disabled', { ...BASE, graphOptimizationLevel: 'disabled' }],
    ['no mem arena', { ...BASE, enableCpuMemArena: false }],
    ['no mem pattern', { ...BASE, enableMemPattern: false }],
    ['preallocated output', BASE, true],
  ];
  const calibration = calibrate(def, X, N, 0.9999);
  for (const variant of ['fp32', ...INT8_VARIANTS] as const) {
    const bytes = encodeModel(mlpGraph(def, { variant, calibration }));
    for (const [name, o, pre] of optionSets) await record('64x32', variant, name, bytes, o, pre);
  }
}

// 2. Widths × graph variants, 1 and 2 threads.
if (sections.has('widths')) {
  for (const hidden of sizes) {
    const p = randomMlp(hidden);
    const calibration = calibrate(p, X, N, 0.9999);
    for (const variant of ['fp32', ...INT8_VARIANTS] as const) {
      const bytes = encodeModel(mlpGraph(p, { variant, calibration }));
      for (const threads of [1, 2]) await record(hidden.join('x'), variant, `${threads} thread${threads > 1 ? 's' : ''}`, bytes, { ...BASE, intraOpNumThreads: threads });
    }
  }
}

// 3. The kernel ceiling: one bare K→K layer, fp32 against int8, runs interleaved.
type KernelOp = 'Gemm fp32' | 'QGemm u8×s8→f32' | 'MatMulInteger u8×s8→i32';
const KERNEL_OPS: KernelOp[] = ['Gemm fp32', 'QGemm u8×s8→f32', 'MatMulInteger u8×s8→i32'];

function layerGraph(K: number, op: KernelOp): OnnxGraph {
  const int8 = op !== 'Gemm fp32';
  const w8 = Int8Array.from({ length: K * K }, () => Math.round((rng.next() - 0.5) * 126));
  const g: OnnxGraph = { name: 'layer', nodes: [], initializers: [], inputs: [{ name: 'x', type: int8 ? 'uint8' : 'float', dims: ['N', K] }], outputs: [{ name: 'y', type: op.endsWith('i32') ? 'int32' : 'float', dims: ['N', K] }], opsets: { '': 17, 'com.microsoft': 1 } };
  if (op === 'Gemm fp32') {
    g.initializers.push({ name: 'w', type: 'float', dims: [K, K], data: Float32Array.from(w8, (v) => v / 64) }, { name: 'b', type: 'float', dims: [K], data: new Float32Array(K) });
    g.nodes.push({ op: 'Gemm', inputs: ['x', 'w', 'b'], outputs: ['y'] });
  } else if (op === 'QGemm u8×s8→f32') {
    g.initializers.push(
      { name: 'w', type: 'int8', dims: [K, K], data: w8 },
      { name: 'ws', type: 'float', dims: [K], data: new Float32Array(K).fill(1 / 64) },
      { name: 'wz', type: 'int8', dims: [K], data: new Int8Array(K) },
      { name: 'b', type: 'int32', dims: [K], data: new Int32Array(K) },
      { name: 'xs', type: 'float', dims: [], data: Float32Array.of(1 / 255) },
      { name: 'xz', type: 'uint8', dims: [], data: new Uint8Array(1) },
    );
    g.nodes.push({ op: 'QGemm', domain: 'com.microsoft', inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'b'], outputs: ['y'], attrs: { alpha: attr.float(1) } });
  } else {
    g.initializers.push({ name: 'w', type: 'int8', dims: [K, K], data: w8 }, { name: 'xz', type: 'uint8', dims: [], data: new Uint8Array(1) }, { name: 'wz', type: 'int8', dims: [], data: new Int8Array(1) });
    g.nodes.push({ op: 'MatMulInteger', inputs: ['x', 'w', 'xz', 'wz'], outputs: ['y'] });
  }
  return g;
}

const kernelRows: { K: number; op: KernelOp; p50: number; gmacs: number }[] = [];
if (sections.has('kernels')) {
  for (const K of kernels) {
    const sessions = await Promise.all(KERNEL_OPS.map((op) => ort.InferenceSession.create(encodeModel(layerGraph(K, op)), BASE)));
    const xf = new ort.Tensor('float32', Float32Array.from({ length: N * K }, () => rng.next()), [N, K]);
    const xq = new ort.Tensor('uint8', Uint8Array.from({ length: N * K }, () => Math.floor(rng.next() * 256)), [N, K]);
    const times: number[][] = KERNEL_OPS.map(() => []);
    for (let i = 0; i < 50 + runs; i++) {
      for (let j = 0; j < sessions.length; j++) {
        const a = performance.now();
        await sessions[j].run({ x: j === 0 ? xf : xq });
        if (i >= 50) times[j].push(performance.now() - a);
      }
    }
    for (let j = 0; j < sessions.length; j++) {
      const t = times[j].sort((a, b) => a - b);
      const p50 = t[Math.floor(runs / 2)];
      kernelRows.push({ K, op: KERNEL_OPS[j], p50: r4(p50), gmacs: Math.round((N * K * K) / p50 / 1e5) / 10 });
      log(`kernel ${K}x${K} ${KERNEL_OPS[j]}: p50 ${r4(p50)} ms`);
      await sessions[j].release();
    }
  }
}

/** The CPU's SIMD flags that decide int8 speed (Linux; empty elsewhere). */
function simdFlags(): string[] {
  try {
    const flags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
    return ['avx2', 'fma', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx_vnni', 'amx_int8'].map((f) => `${f} ${flags.has(f) ? 'yes' : 'no'}`);
  } catch {
    return [];
  }
}

const result = { command: `node dist/bench/rankInt8.js ${argv.join(' ')}`, machine: machineInfo(), loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100), createdAt: new Date().toISOString(), simd: simdFlags(), rowsPerRequest: N, runs, latencyMs: rows, kernels: kernelRows };
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.json`, JSON.stringify(result, null, 2) + '\n');
const row = (c: (string | number)[]): string => `| ${c.join(' | ')} |`;
const fp32Of = (m: string, o: string): number | undefined => rows.find((r) => r.mlp === m && r.graph === 'fp32' && r.options === o)?.p50;
const fp32Kernel = (K: number): number => kernelRows.find((r) => r.K === K && r.op === 'Gemm fp32')!.p50;
const kernelTable = kernelRows.length === 0 ? [] : [
  '## The kernel ceiling: one bare K→K layer over 1,000 rows, 1 thread, runs interleaved',
  '',
  row(['K×K', 'op', 'p50 ms', 'GMAC/s', 'fp32 p50 / this p50']),
  row(['---', '---', '---:', '---:', '---:']),
  ...kernelRows.map((r) => row([`${r.K}×${r.K}`, r.op, r.p50, r.gmacs, (fp32Kernel(r.K) / r.p50).toFixed(2)])),
  '',
];
writeFileSync(
  `${out}.md`,
  [
    rows.length === 0 ? '# INT8 kernel ceiling: one bare layer, fp32 against int8' : '# INT8 sweep: scoring 1,000 candidates by graph variant, width and session option',
    '',
    `- command: \`${result.command}\``,
    `- machine: ${result.machine.cpu}, ${result.machine.cores} cores, node ${result.machine.node}; load average at the end ${result.loadAverage.join(', ')}; ${result.createdAt}`,
    `- SIMD: ${result.simd.join(', ') || 'unknown'}`,
    `- ${runs} timed runs after 50 warm-up runs; random weights, the same input every run`,
    '',
    ...(rows.length === 0 ? [] : [
      row(['MLP', 'graph', 'options', 'p50 ms', 'p99 ms', 'mean ms', 'fp32 p50 / this p50']),
      row(['---', '---', '---', '---:', '---:', '---:', '---:']),
      ...rows.map((r) => {
        const f = fp32Of(r.mlp, r.options);
        return row([r.mlp, r.graph, r.options, r.p50, r.p99, r.mean, f ? (f / r.p50).toFixed(2) : '']);
      }),
      '',
    ]),
    ...kernelTable,
  ].join('\n'),
);
log(`wrote ${out}.json and ${out}.md`);
