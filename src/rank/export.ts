/**
 * Exports a trained ranker: the MLP as fp32 and INT8 ONNX graphs, the trees as a TreeEnsembleRegressor
 * graph, and the blend of the MLP (fp32 and INT8) and the trees as one graph each, every one validated
 * against the trainer's forward pass on the golden batch before it is listed in the model card. A variant
 * that fails is left out (and reported); when it is the one asked to be served, the nearest variant that
 * passed is served instead (FALLBACK), so a bundle never lists an unchecked model.
 */
import { PymkError } from '../core/errors.js';
import { blendGraph } from './blendGraph.js';
import { mlpGraph } from './mlpGraph.js';
import { MODEL_FILES, REFERENCE, validateVariant, type ModelCard, type Variant } from './modelFiles.js';
import { encodeModel } from './onnxModel.js';
import { FEATURE_NAMES, SCHEMA_ID } from './schema.js';
import type { TrainedRanker } from './train.js';
import { treeGraph } from './treeGraph.js';

export interface ExportedModel {
  card: ModelCard;
  /** File name in the bundle → bytes (the ONNX files). */
  files: Map<string, Uint8Array>;
  /** Variants that failed validation, with the reason. */
  refused: Record<string, string>;
}

/** The ONNX bytes of every variant. */
export function exportGraphs(t: TrainedRanker): Record<Variant, Uint8Array> {
  const metadata = { schema_id: SCHEMA_ID, features: FEATURE_NAMES.join(',') };
  return {
    mlp: encodeModel(mlpGraph(t.mlp, { variant: 'fp32', metadata })),
    'mlp-int8': encodeModel(mlpGraph(t.mlp, { variant: 'int8-static', calibration: t.calibration, metadata })),
    gbdt: encodeModel(treeGraph(t.gbdt, metadata)),
    blend: encodeModel(blendGraph(t.mlp, t.calibration, t.gbdt, t.treeWeight, 'fp32', metadata)),
    'blend-int8': encodeModel(blendGraph(t.mlp, t.calibration, t.gbdt, t.treeWeight, 'int8-static', metadata)),
  };
}

/** What is served when a variant fails its check: the same model at the other precision first, then the closest. */
export const FALLBACK: Record<Variant, Variant[]> = {
  'blend-int8': ['blend', 'mlp-int8', 'mlp', 'gbdt'],
  blend: ['blend-int8', 'mlp', 'mlp-int8', 'gbdt'],
  'mlp-int8': ['mlp', 'blend-int8', 'blend', 'gbdt'],
  mlp: ['mlp-int8', 'blend', 'blend-int8', 'gbdt'],
  gbdt: ['blend', 'blend-int8', 'mlp', 'mlp-int8'],
};

export async function exportModel(t: TrainedRanker, served: Variant, metrics: Record<string, unknown> = {}): Promise<ExportedModel> {
  const graphs = exportGraphs(t);
  const golden = t.golden;
  const card: ModelCard = { format: 1, schema: { id: SCHEMA_ID, features: [...FEATURE_NAMES] }, served, variants: {}, metrics };
  const files = new Map<string, Uint8Array>();
  const refused: Record<string, string> = {};
  for (const [variant, bytes] of Object.entries(graphs) as [Variant, Uint8Array][]) {
    const file = MODEL_FILES.onnx(variant);
    try {
      const { session, maxGoldenDiff } = await validateVariant(variant, bytes, golden, file);
      session.dispose();
      card.variants[variant] = { file, bytes: bytes.length, maxGoldenDiff, tolerance: REFERENCE[variant].tolerance };
      files.set(file, bytes);
    } catch (e) {
      refused[variant] = (e as Error).message;
    }
  }
  if (!card.variants[served]) {
    // The requested variant failed its check: serve the next one that passed rather than none.
    const fallback = FALLBACK[served].find((v) => card.variants[v]);
    if (!fallback) throw new PymkError('PYMK_MODEL_INVALID', `no variant passed validation: ${JSON.stringify(refused)}`);
    card.served = fallback;
  }
  return { card, files, refused };
}
