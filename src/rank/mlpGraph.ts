/**
 * The MLP as an ONNX graph, fp32 or INT8. Every variant takes `features` [N, F] (raw, as assembled) and
 * returns `score` [N, 1], the probability.
 *
 * fp32: Gemm (standardisation folded into its weights) → Relu → … → Gemm → Sigmoid.
 * int8-static (exported as mlp-int8): the first layer in fp32, its output quantized once to uint8 with a
 * scale calibrated on training rows, then com.microsoft QGemm layers (u8 × s8, int32 bias, uint8 output:
 * the zero point 0 is the ReLU) up to a float logit → Sigmoid. No per-batch step: a row scores the same
 * alone or in any batch.
 * The other INT8 variants are kept for the sweep (bench/rankInt8.ts), which measured them slower:
 * DynamicQuantizeMatMul on the hidden layers (int8-dynamic, the previous export) or on every layer but
 * the last, DynamicQuantizeLinear + MatMulInteger (standard ops), static with a fp32 output layer, and
 * static with the raw input quantized per feature (its per-axis QuantizeLinear costs more than it saves).
 * Weights use 7 bits (±63) so the u8×s8 kernels on AVX2 (VPMADDUBSW pairs into int16) cannot saturate.
 */
import type { Calibration, MlpParams } from './mlp.js';
import { attr, type Initializer, type OnnxGraph, type OnnxNode } from './onnxModel.js';

export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'score';
/** Largest magnitude of a quantized weight (7 bits; see the module comment). */
export const WEIGHT_QMAX = 63;

export interface QuantizedLayer {
  q: Int8Array;
  scale: Float32Array;
}

/** Symmetric per-output-column quantization of a row-major [rows × cols] weight matrix. */
export function quantizeColumns(w: Float32Array, rows: number, cols: number, qmax = WEIGHT_QMAX): QuantizedLayer {
  const scale = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(w[i * cols + j]));
    scale[j] = m > 0 ? m / qmax : 1;
  }
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) q[i * cols + j] = Math.max(-qmax, Math.min(qmax, Math.round(w[i * cols + j] / scale[j])));
  }
  return { q, scale };
}

/** The INT8 graph variants (the sweep in bench/rankInt8.ts measures them). */
export const INT8_VARIANTS = ['int8-dynamic', 'int8-dynamic-all', 'int8-matmulinteger', 'int8-static', 'int8-static-fp32out', 'int8-static-all'] as const;
export type MlpGraphVariant = 'fp32' | (typeof INT8_VARIANTS)[number];

export interface MlpGraphOptions {
  variant: MlpGraphVariant;
  /** Value ranges on training rows (mlp.ts calibrate): the static INT8 scales. */
  calibration?: Calibration;
  metadata?: Record<string, string>;
}

/** Folds the standardisation into the first layer: W' = diag(1/std) W, b' = b − (mean/std) W. */
function foldStandardisation(p: MlpParams): { w: Float32Array; b: Float32Array } {
  const F = p.sizes[0];
  const H = p.sizes[1];
  const w = new Float32Array(F * H);
  const b = new Float32Array(H);
  for (let j = 0; j < H; j++) {
    let acc = p.biases[0][j];
    for (let f = 0; f < F; f++) {
      w[f * H + j] = p.weights[0][f * H + j] * p.invStd[f];
      acc -= p.mean[f] * p.invStd[f] * p.weights[0][f * H + j];
    }
    b[j] = acc;
  }
  return { w, b };
}

const gemm = (inputs: string[], output: string): OnnxNode => ({ op: 'Gemm', inputs, outputs: [output], attrs: { alpha: attr.float(1), beta: attr.float(1) } });

/**
 * Weights smaller than this are exported as 0. Training leaves the weights of features that never vary in
 * the data (decayed by L2 towards 0) as float32 denormals, and x86 multiplies denormals through a slow
 * microcode path: a trained 64x32 MLP's first Gemm took 0.6 ms instead of 0.04 ms for 1,000 rows in ONNX
 * Runtime (bench/rankInt8.ts). The change to any score is far below the golden tolerance.
 */
export const WEIGHT_FLUSH = 1e-30;

function flushed(a: Float32Array): Float32Array {
  return a.map((v) => (Math.abs(v) < WEIGHT_FLUSH ? 0 : v));
}

export function mlpGraph(params: MlpParams, opts: MlpGraphOptions): OnnxGraph {
  const p: MlpParams = { ...params, weights: params.weights.map(flushed), biases: params.biases.map(flushed) };
  const body = opts.variant.startsWith('int8-static') ? staticBody(p, opts) : dynamicBody(p, opts.variant);
  const int8 = opts.variant !== 'fp32';
  return {
    name: int8 ? `pymk_mlp_${opts.variant.replace(/-/g, '_')}` : 'pymk_mlp',
    nodes: [...body.nodes, { op: 'Sigmoid', inputs: ['logit'], outputs: [OUTPUT_NAME] }],
    initializers: body.inits,
    inputs: [{ name: INPUT_NAME, type: 'float', dims: ['N', p.sizes[0]] }],
    outputs: [{ name: OUTPUT_NAME, type: 'float', dims: ['N', 1] }],
    opsets: int8 ? { '': 17, 'com.microsoft': 1 } : { '': 17 },
    metadata: opts.metadata,
  };
}

interface Body {
  nodes: OnnxNode[];
  inits: Initializer[];
}

/** fp32, and the INT8 variants that quantize activations per batch at run time. Ends in 'logit'. */
function dynamicBody(p: MlpParams, variant: MlpGraphVariant): Body {
  const nodes: OnnxNode[] = [];
  const inits: Initializer[] = [];
  const layers = p.sizes.length - 1;
  // fp32 folds the standardisation into the first Gemm (saves a Sub and a Mul over the input); the dynamic
  // INT8 variants quantize the standardised input, so they keep them.
  const folded = variant === 'fp32';
  let x = 'x0';
  if (folded) {
    x = INPUT_NAME;
  } else {
    inits.push({ name: 'mean', type: 'float', dims: [p.sizes[0]], data: p.mean }, { name: 'inv_std', type: 'float', dims: [p.sizes[0]], data: p.invStd });
    nodes.push({ op: 'Sub', inputs: [INPUT_NAME, 'mean'], outputs: ['centred'] }, { op: 'Mul', inputs: ['centred', 'inv_std'], outputs: ['x0'] });
  }
  for (let l = 0; l < layers; l++) {
    const rows = p.sizes[l];
    const cols = p.sizes[l + 1];
    const last = l === layers - 1;
    const z = last ? 'logit' : `z${l + 1}`;
    const n = l + 1;
    const quantized = !last && ((variant === 'int8-dynamic' && l > 0) || variant === 'int8-dynamic-all' || (variant === 'int8-matmulinteger' && l > 0));
    const w = folded && l === 0 ? foldStandardisation(p) : { w: p.weights[l], b: p.biases[l] };
    inits.push({ name: `b${n}`, type: 'float', dims: [cols], data: w.b });
    if (quantized) {
      int8Weights(inits, n, quantizeColumns(w.w, rows, cols), rows, cols);
      if (variant === 'int8-matmulinteger') {
        nodes.push({ op: 'DynamicQuantizeLinear', inputs: [x], outputs: [`x${n}_q`, `x${n}_s`, `x${n}_zp`] });
        nodes.push({ op: 'MatMulInteger', inputs: [`x${n}_q`, `w${n}_q`, `x${n}_zp`, `w${n}_zp`], outputs: [`m${n}_i32`] });
        nodes.push({ op: 'Cast', inputs: [`m${n}_i32`], outputs: [`m${n}_f`], attrs: { to: attr.int(1) } });
        nodes.push({ op: 'Mul', inputs: [`x${n}_s`, `w${n}_scale`], outputs: [`s${n}`] });
        nodes.push({ op: 'Mul', inputs: [`m${n}_f`, `s${n}`], outputs: [`m${n}`] });
        nodes.push({ op: 'Add', inputs: [`m${n}`, `b${n}`], outputs: [z] });
      } else {
        nodes.push({ op: 'DynamicQuantizeMatMul', domain: 'com.microsoft', inputs: [x, `w${n}_q`, `w${n}_scale`, `w${n}_zp`, `b${n}`], outputs: [z] });
      }
    } else {
      inits.push({ name: `w${n}`, type: 'float', dims: [rows, cols], data: w.w });
      nodes.push(gemm([x, `w${n}`, `b${n}`], z));
    }
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [z], outputs: [`h${n}`] });
      x = `h${n}`;
    }
  }
  return { nodes, inits };
}

/**
 * Static INT8: the first layer in fp32 (standardisation folded in), its output quantized to uint8 with a
 * scale calibrated on training rows and zero point 0 — saturating at 0 is the ReLU — then QGemm layers
 * (u8 activations × s8 weights, int32 bias) whose uint8 outputs are again the ReLU; the last layer returns
 * float (QGemm without an output scale, or DequantizeLinear + an fp32 Gemm in int8-static-fp32out).
 * int8-static-all quantizes the raw input too (per feature, uint8, its calibrated range) and runs the first
 * layer as a QGemm, the per-feature scales folded into its weights and the zero points into its bias.
 */
function staticBody(p: MlpParams, opts: MlpGraphOptions): Body {
  const cal = opts.calibration;
  if (!cal || cal.hidden.length !== p.sizes.length - 2) throw new RangeError(`${opts.variant}: static INT8 needs calibration ranges`);
  const nodes: OnnxNode[] = [];
  const inits: Initializer[] = [{ name: 'zp_u8', type: 'uint8', dims: [], data: new Uint8Array(1) }];
  const scale = (l: number): number => cal.hidden[l - 1] / 255;
  inits.push({ name: 'h1_scale', type: 'float', dims: [], data: Float32Array.of(scale(1)) });
  const first = foldStandardisation(p);
  const F = p.sizes[0];
  const H = p.sizes[1];
  if (opts.variant === 'int8-static-all') {
    const inScale = new Float32Array(F);
    const inZp = new Uint8Array(F);
    const w = new Float32Array(F * H);
    for (let f = 0; f < F; f++) {
      const lo = Math.min(cal.inputMin[f], 0);
      const hi = Math.max(cal.inputMax[f], lo + 1e-6);
      inScale[f] = (hi - lo) / 255;
      inZp[f] = Math.round(-lo / inScale[f]);
      for (let j = 0; j < H; j++) w[f * H + j] = first.w[f * H + j] * inScale[f];
    }
    const { q, scale: ws } = int8Weights(inits, 1, quantizeColumns(w, F, H), F, H);
    const bias = Int32Array.from(first.b, (b, j) => {
      let zp = 0;
      for (let f = 0; f < F; f++) zp += q[f * H + j] * inZp[f];
      return toInt32(b / ws[j] - zp);
    });
    inits.push(
      { name: 'in_scale', type: 'float', dims: [F], data: inScale },
      { name: 'in_zp', type: 'uint8', dims: [F], data: inZp },
      { name: 'one', type: 'float', dims: [], data: Float32Array.of(1) },
      { name: 'b1_i32', type: 'int32', dims: [H], data: bias },
    );
    nodes.push({ op: 'QuantizeLinear', inputs: [INPUT_NAME, 'in_scale', 'in_zp'], outputs: ['x_q'], attrs: { axis: attr.int(1) } });
    nodes.push({ op: 'QGemm', domain: 'com.microsoft', inputs: ['x_q', 'one', 'zp_u8', 'w1_q', 'w1_scale', 'w1_zp', 'b1_i32', 'h1_scale', 'zp_u8'], outputs: ['h1_q'], attrs: { alpha: attr.float(1) } });
  } else {
    inits.push({ name: 'w1', type: 'float', dims: [F, H], data: first.w }, { name: 'b1', type: 'float', dims: [H], data: first.b });
    nodes.push(gemm([INPUT_NAME, 'w1', 'b1'], 'z1'));
    nodes.push({ op: 'QuantizeLinear', inputs: ['z1', 'h1_scale', 'zp_u8'], outputs: ['h1_q'] });
  }
  const layers = p.sizes.length - 1;
  for (let l = 1; l < layers; l++) {
    const n = l + 1;
    const rows = p.sizes[l];
    const cols = p.sizes[l + 1];
    const last = l === layers - 1;
    const x = `h${l}_q`;
    if (last && opts.variant === 'int8-static-fp32out') {
      inits.push({ name: `w${n}`, type: 'float', dims: [rows, cols], data: p.weights[l] }, { name: `b${n}`, type: 'float', dims: [cols], data: p.biases[l] });
      nodes.push({ op: 'DequantizeLinear', inputs: [x, `h${l}_scale`, 'zp_u8'], outputs: [`h${l}`] });
      nodes.push(gemm([`h${l}`, `w${n}`, `b${n}`], 'logit'));
      break;
    }
    const { scale: ws } = int8Weights(inits, n, quantizeColumns(p.weights[l], rows, cols), rows, cols);
    const bias = Int32Array.from(p.biases[l], (b, j) => toInt32(b / (scale(l) * ws[j])));
    inits.push({ name: `b${n}_i32`, type: 'int32', dims: [cols], data: bias });
    const inputs = [x, `h${l}_scale`, 'zp_u8', `w${n}_q`, `w${n}_scale`, `w${n}_zp`, `b${n}_i32`];
    if (last) {
      nodes.push({ op: 'QGemm', domain: 'com.microsoft', inputs, outputs: ['logit'], attrs: { alpha: attr.float(1) } });
    } else {
      inits.push({ name: `h${n}_scale`, type: 'float', dims: [], data: Float32Array.of(scale(n)) });
      nodes.push({ op: 'QGemm', domain: 'com.microsoft', inputs: [...inputs, `h${n}_scale`, 'zp_u8'], outputs: [`h${n}_q`], attrs: { alpha: attr.float(1) } });
    }
  }
  return { nodes, inits };
}

/** Layer n's int8 weights as initializers `w<n>_q`, `w<n>_scale` (per column) and `w<n>_zp` (zeros); returns them. */
function int8Weights(inits: Initializer[], n: number, w: QuantizedLayer, rows: number, cols: number): QuantizedLayer {
  inits.push(
    { name: `w${n}_q`, type: 'int8', dims: [rows, cols], data: w.q },
    { name: `w${n}_scale`, type: 'float', dims: [cols], data: w.scale },
    { name: `w${n}_zp`, type: 'int8', dims: [cols], data: new Int8Array(cols) },
  );
  return w;
}

/** An int32 bias, saturated (a bias beyond the accumulator range saturates the layer's output anyway). */
function toInt32(v: number): number {
  return Math.max(-0x7fffffff, Math.min(0x7fffffff, Math.round(v)));
}
