/**
 * The blend as one ONNX graph: the MLP (mlpGraph.ts; static INT8, or fp32) and the tree ensemble (treeGraph.ts) side by
 * side on the same `features`, sigmoid(MLP logit + w × trees' logit) as `score` — one session run per batch,
 * the same tensors as every other variant.
 */
import type { Ensemble } from './gbdt.js';
import type { Calibration, MlpParams } from './mlp.js';
import { mlpGraph, OUTPUT_NAME, type MlpGraphVariant } from './mlpGraph.js';
import type { OnnxGraph, OnnxNode } from './onnxModel.js';
import { treeGraph } from './treeGraph.js';

export function blendGraph(mlp: MlpParams, calibration: Calibration, trees: Ensemble, treeWeight: number, variant: Extract<MlpGraphVariant, 'fp32' | 'int8-static'>, metadata?: Record<string, string>): OnnxGraph {
  const m = mlpGraph(mlp, { variant, calibration, metadata });
  const t = treeGraph(trees, metadata);
  const rename = (n: OnnxNode, to: string): OnnxNode => ({ ...n, outputs: n.outputs.map((o) => (o === 'logit' ? to : o)) });
  const body = (g: OnnxGraph, to: string): OnnxNode[] => g.nodes.filter((n) => n.op !== 'Sigmoid').map((n) => rename(n, to));
  return {
    name: variant === 'fp32' ? 'pymk_blend' : 'pymk_blend_int8',
    nodes: [
      ...body(m, 'mlp_logit'),
      ...body(t, 'tree_logit'),
      { op: 'Mul', inputs: ['tree_logit', 'tree_weight'], outputs: ['tree_part'] },
      { op: 'Add', inputs: ['mlp_logit', 'tree_part'], outputs: ['logit'] },
      { op: 'Sigmoid', inputs: ['logit'], outputs: [OUTPUT_NAME] },
    ],
    initializers: [...m.initializers, ...t.initializers, { name: 'tree_weight', type: 'float', dims: [], data: Float32Array.of(treeWeight) }],
    inputs: m.inputs,
    outputs: m.outputs,
    opsets: { ...m.opsets, ...t.opsets },
    metadata,
  };
}
