/**
 * The MLP as an ONNX graph, fp32 or INT8 (dynamic quantization). Both take `features` [N, F] (raw, as
 * assembled) and return `score` [N, 1], the probability.
 *
 * fp32: Sub(mean) → Mul(1/std) → [Gemm → Relu]… → Gemm → Sigmoid.
 * INT8: the hidden-to-hidden layers become com.microsoft DynamicQuantizeMatMul (the activations quantized
 * to uint8 per batch, the weights stored as int8 with one scale per output column) → Relu. The first layer
 * stays fp32 — its inputs are standardised features with long tails, which one per-tensor uint8 range
 * resolves poorly, and it is the small one (features × width) — and so does the last, one-column layer.
 * Weights use 7 bits (±63) so the u8×s8 kernels on AVX2 (VPMADDUBSW pairs into int16) cannot saturate.
 */
import type { MlpParams } from './mlp.js';
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

export function mlpGraph(p: MlpParams, opts: { int8: boolean; metadata?: Record<string, string> }): OnnxGraph {
  const F = p.sizes[0];
  const nodes: OnnxNode[] = [];
  const inits: Initializer[] = [
    { name: 'mean', type: 'float', dims: [F], data: p.mean },
    { name: 'inv_std', type: 'float', dims: [F], data: p.invStd },
  ];
  nodes.push({ op: 'Sub', inputs: [INPUT_NAME, 'mean'], outputs: ['centred'] });
  nodes.push({ op: 'Mul', inputs: ['centred', 'inv_std'], outputs: ['x0'] });
  const layers = p.sizes.length - 1;
  let x = 'x0';
  for (let l = 0; l < layers; l++) {
    const rows = p.sizes[l];
    const cols = p.sizes[l + 1];
    const last = l === layers - 1;
    const z = last ? 'logit' : `z${l + 1}`;
    inits.push({ name: `b${l + 1}`, type: 'float', dims: [cols], data: p.biases[l] });
    if (opts.int8 && l > 0 && !last) {
      const { q, scale } = quantizeColumns(p.weights[l], rows, cols);
      inits.push({ name: `w${l + 1}_q`, type: 'int8', dims: [rows, cols], data: q });
      inits.push({ name: `w${l + 1}_scale`, type: 'float', dims: [cols], data: scale });
      inits.push({ name: `w${l + 1}_zp`, type: 'int8', dims: [cols], data: new Int8Array(cols) });
      nodes.push({
        op: 'DynamicQuantizeMatMul',
        domain: 'com.microsoft',
        inputs: [x, `w${l + 1}_q`, `w${l + 1}_scale`, `w${l + 1}_zp`, `b${l + 1}`],
        outputs: [z],
      });
    } else {
      inits.push({ name: `w${l + 1}`, type: 'float', dims: [rows, cols], data: p.weights[l] });
      nodes.push({ op: 'Gemm', inputs: [x, `w${l + 1}`, `b${l + 1}`], outputs: [z], attrs: { alpha: attr.float(1), beta: attr.float(1) } });
    }
    if (!last) {
      nodes.push({ op: 'Relu', inputs: [z], outputs: [`h${l + 1}`] });
      x = `h${l + 1}`;
    }
  }
  nodes.push({ op: 'Sigmoid', inputs: ['logit'], outputs: [OUTPUT_NAME] });
  return {
    name: opts.int8 ? 'pymk_mlp_int8' : 'pymk_mlp',
    nodes,
    initializers: inits,
    inputs: [{ name: INPUT_NAME, type: 'float', dims: ['N', F] }],
    outputs: [{ name: OUTPUT_NAME, type: 'float', dims: ['N', 1] }],
    opsets: opts.int8 ? { '': 17, 'com.microsoft': 1 } : { '': 17 },
    metadata: opts.metadata,
  };
}
