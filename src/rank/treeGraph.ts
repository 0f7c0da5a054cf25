/**
 * The tree ensemble as an ONNX graph: ai.onnx.ml TreeEnsembleRegressor (sum of leaf values plus the base
 * log-odds) followed by Sigmoid, so it takes and returns the same tensors as the MLP graphs.
 */
import type { Ensemble } from './gbdt.js';
import { INPUT_NAME, OUTPUT_NAME } from './mlpGraph.js';
import { attr, type OnnxGraph } from './onnxModel.js';

export function treeGraph(e: Ensemble, metadata?: Record<string, string>): OnnxGraph {
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const values: number[] = [];
  const modes: string[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetWeight: number[] = [];
  const T = e.roots.length - 1;
  for (let t = 0; t < T; t++) {
    const root = e.roots[t];
    for (let i = root; i < e.roots[t + 1]; i++) {
      const leaf = e.feature[i] < 0;
      treeIds.push(t);
      nodeIds.push(i - root);
      featureIds.push(leaf ? 0 : e.feature[i]);
      values.push(leaf ? 0 : e.threshold[i]);
      modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      trueIds.push(leaf ? 0 : e.left[i] - root);
      falseIds.push(leaf ? 0 : e.right[i] - root);
      if (leaf) {
        targetTree.push(t);
        targetNode.push(i - root);
        targetWeight.push(e.value[i]);
      }
    }
  }
  return {
    name: 'pymk_gbdt',
    nodes: [
      {
        op: 'TreeEnsembleRegressor',
        domain: 'ai.onnx.ml',
        inputs: [INPUT_NAME],
        outputs: ['logit'],
        attrs: {
          n_targets: attr.int(1),
          aggregate_function: attr.string('SUM'),
          post_transform: attr.string('NONE'),
          base_values: attr.floats([e.base]),
          nodes_treeids: attr.ints(treeIds),
          nodes_nodeids: attr.ints(nodeIds),
          nodes_featureids: attr.ints(featureIds),
          nodes_values: attr.floats(values),
          nodes_modes: attr.strings(modes),
          nodes_truenodeids: attr.ints(trueIds),
          nodes_falsenodeids: attr.ints(falseIds),
          nodes_missing_value_tracks_true: attr.ints(new Array(treeIds.length).fill(0)),
          target_treeids: attr.ints(targetTree),
          target_nodeids: attr.ints(targetNode),
          target_ids: attr.ints(new Array(targetTree.length).fill(0)),
          target_weights: attr.floats(targetWeight),
        },
      },
      { op: 'Sigmoid', inputs: ['logit'], outputs: [OUTPUT_NAME] },
    ],
    initializers: [],
    inputs: [{ name: INPUT_NAME, type: 'float', dims: ['N', e.features] }],
    outputs: [{ name: OUTPUT_NAME, type: 'float', dims: ['N', 1] }],
    opsets: { '': 17, 'ai.onnx.ml': 3 },
    metadata,
  };
}
