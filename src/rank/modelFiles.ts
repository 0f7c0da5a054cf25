/**
 * The ranking model in a bundle: ONNX files per variant, a golden batch (inputs and the trainer's own
 * outputs) and a model card naming the feature schema, the served variant and each variant's tolerance.
 * A variant is accepted only when ONNX Runtime loads it, its signature fits the schema, and it reproduces
 * the golden outputs within tolerance — at export (before the card lists it) and again at every load.
 */
import { PymkError } from '../core/errors.js';
import type { ColumnSpec, ColumnsOf } from '../bundle/binary.js';
import { RankSession, type SessionOptions } from './onnxRuntime.js';
import { FEATURE_COUNT, FEATURE_NAMES, SCHEMA_ID } from './schema.js';

export const MODEL_FILES = {
  card: 'model/model.json',
  golden: 'model/golden.bin',
  onnx: (variant: string) => `model/${variant}.onnx`,
} as const;

/** The variants a bundle may carry: the MLP in fp32 and INT8, the tree ensemble, and the MLP (fp32 or INT8) and the trees blended. */
export const VARIANTS = ['mlp', 'mlp-int8', 'gbdt', 'blend', 'blend-int8'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Which trainer output each variant must reproduce, and how closely (max absolute difference). */
export const REFERENCE: Record<Variant, { golden: 'mlp' | 'gbdt' | 'blend'; tolerance: number }> = {
  mlp: { golden: 'mlp', tolerance: 1e-4 },
  'mlp-int8': { golden: 'mlp', tolerance: 0.15 },
  gbdt: { golden: 'gbdt', tolerance: 1e-4 },
  blend: { golden: 'blend', tolerance: 1e-4 },
  'blend-int8': { golden: 'blend', tolerance: 0.15 },
};

export const GOLDEN_COLUMNS = { x: 'float32', mlp: 'float32', gbdt: 'float32', blend: 'float32' } as const satisfies ColumnSpec;

export interface ModelCard {
  format: 1;
  schema: { id: string; features: string[] };
  served: Variant;
  variants: Partial<Record<Variant, { file: string; bytes: number; maxGoldenDiff: number; tolerance: number }>>;
  metrics?: Record<string, unknown>;
}

/** What loading needs of a bundle (a Bundle fits; a stage adapts its context). */
export interface ModelReader {
  has(name: string): boolean;
  readBytes(name: string): Promise<Uint8Array>;
  readJson<T = unknown>(name: string): Promise<T>;
  readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
}

export interface LoadedModel {
  variant: Variant;
  card: ModelCard;
  session: RankSession;
  maxGoldenDiff: number;
}

/** Runs a session on the golden batch: the largest absolute difference from the reference outputs. */
export async function goldenDiff(session: RankSession, golden: ColumnsOf<typeof GOLDEN_COLUMNS>, reference: Float32Array): Promise<number> {
  const rows = golden.x.length / FEATURE_COUNT;
  const got = await session.run(golden.x, rows);
  let max = 0;
  for (let i = 0; i < rows; i++) {
    const d = Math.abs(got[i] - reference[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/** Checks one exported variant's bytes against the golden batch; returns the session (PYMK_MODEL_INVALID when off). */
export async function validateVariant(
  variant: Variant,
  bytes: Uint8Array,
  golden: ColumnsOf<typeof GOLDEN_COLUMNS>,
  label: string,
  opts: SessionOptions = {},
): Promise<{ session: RankSession; maxGoldenDiff: number }> {
  if (golden.x.length % FEATURE_COUNT !== 0 || golden.x.length / FEATURE_COUNT !== golden.mlp.length) {
    throw new PymkError('PYMK_MODEL_INVALID', `${label}: golden batch does not have ${FEATURE_COUNT} features per row`);
  }
  const session = await RankSession.load(bytes, FEATURE_COUNT, label, opts);
  const ref = REFERENCE[variant];
  const diff = await goldenDiff(session, golden, golden[ref.golden]);
  if (!(diff <= ref.tolerance)) {
    session.dispose();
    throw new PymkError('PYMK_MODEL_INVALID', `${label}: golden batch differs from the trainer by up to ${diff} (tolerance ${ref.tolerance})`);
  }
  return { session, maxGoldenDiff: diff };
}

/** Whether a bundle carries a ranking model. */
export function hasModel(r: Pick<ModelReader, 'has'>): boolean {
  return r.has(MODEL_FILES.card);
}

/**
 * Loads and validates a variant (default: the card's served one): the card must name this code's feature
 * schema, the file must load in ONNX Runtime with the schema's signature, and the golden batch must match.
 */
export async function loadModel(r: ModelReader, variant?: Variant, opts: SessionOptions = {}): Promise<LoadedModel> {
  if (!hasModel(r)) throw new PymkError('PYMK_MODEL_INVALID', `no ranking model (${MODEL_FILES.card}) in the bundle`);
  const card = await r.readJson<ModelCard>(MODEL_FILES.card);
  if (card?.format !== 1 || !card.schema || !card.variants) throw new PymkError('PYMK_MODEL_INVALID', `${MODEL_FILES.card}: not a model card this version reads`);
  if (card.schema.id !== SCHEMA_ID || card.schema.features.join(',') !== FEATURE_NAMES.join(',')) {
    throw new PymkError(
      'PYMK_MODEL_INVALID',
      `${MODEL_FILES.card}: model trained for feature schema ${card.schema.id} [${card.schema.features.join(', ')}]; this server assembles schema ${SCHEMA_ID} [${FEATURE_NAMES.join(', ')}]`,
    );
  }
  const v = variant ?? card.served;
  const entry = card.variants[v];
  if (!entry) throw new PymkError('PYMK_MODEL_INVALID', `${MODEL_FILES.card}: no validated variant '${v}' (has: ${Object.keys(card.variants).join(', ') || 'none'})`);
  const golden = await r.readArrays(MODEL_FILES.golden, GOLDEN_COLUMNS);
  const bytes = await r.readBytes(entry.file);
  const { session, maxGoldenDiff } = await validateVariant(v, bytes, golden, entry.file, opts);
  return { variant: v, card, session, maxGoldenDiff };
}
