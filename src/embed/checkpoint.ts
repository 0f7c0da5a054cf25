/**
 * Model checkpoints and the embedding artifacts of a bundle.
 *
 * A checkpoint is two artifacts: `embeddings/model.bin` (one float32 column per parameter, pymk array
 * format) and `embeddings/model.json` (ModelMeta: architecture, config with the input hashing spec,
 * users covered, a version id). The same pair written to a folder by saveModel() is what the benchmarks
 * keep. Loading checks every shape against the config (PYMK_BUNDLE_INVALID otherwise).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import { readArrays, writeArrays, type Columns } from '../bundle/binary.js';
import { ARCHITECTURE, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, PARAM_NAMES, checkConfig, paramShape, type Model, type ModelConfig, type ParamName } from './model.js';

/** Artifact names in a bundle. The ANN stage reads `vectors`: column 'vectors' (float32, users × dim). */
export const EMBED_ARTIFACTS = {
  /** Columns: vectors float32 (users × dim, row-major, unit L2 norm); source uint8 (0 = GNN, 1 = profile tower). */
  vectors: 'embeddings/users.bin',
  /** Column: vectors uint16 (binary16 bits of the f32 vectors). */
  vectorsF16: 'embeddings/users-f16.bin',
  /** Columns: vectors int8 (codes), scale float32[1] (x ≈ code × scale). */
  vectorsI8: 'embeddings/users-i8.bin',
  /** EmbeddingsMeta. */
  meta: 'embeddings/users.json',
  model: 'embeddings/model.bin',
  modelMeta: 'embeddings/model.json',
} as const;

export interface ModelMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  architecture: typeof ARCHITECTURE;
  /** Content id of the parameters (sha256 prefix). */
  modelVersion: string;
  config: ModelConfig;
  users: number;
  createdAt: string;
  /** Free-form training summary (budget, validation AUC, fine-tuned from …). */
  training?: Record<string, unknown>;
}

/** What a bundle says about its embeddings (artifact `embeddings/users.json`). */
export interface EmbeddingsMeta {
  format: 'pymk-embeddings';
  version: 1;
  count: number;
  dim: number;
  /** Every row has unit L2 norm, so dot product = cosine. */
  normalization: 'l2';
  metric: 'dot';
  modelVersion: string;
  architecture: string;
  /** Users embedded by the GNN (≥ 1 connection) and by the profile tower (no connections). */
  sources: { gnn: number; tower: number };
  files: {
    f32: { artifact: string; column: 'vectors'; dtype: 'float32' };
    f16: { artifact: string; column: 'vectors'; dtype: 'uint16'; encoding: 'binary16' };
    i8: { artifact: string; column: 'vectors'; dtype: 'int8'; scale: number; offset: 0 };
  };
}

/** The parameter arrays as columns. */
export function modelColumns(m: Model): Columns {
  return Object.fromEntries(PARAM_NAMES.map((k) => [k, m.params[k]]));
}

/** A content id of the parameters. */
export function modelVersionOf(m: Model): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(m.config));
  for (const k of PARAM_NAMES) h.update(new Uint8Array(m.params[k].buffer, m.params[k].byteOffset, m.params[k].byteLength));
  return h.digest('hex').slice(0, 16);
}

export function modelMeta(m: Model, training?: Record<string, unknown>): ModelMeta {
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture: ARCHITECTURE,
    modelVersion: modelVersionOf(m),
    config: m.config,
    users: m.users,
    createdAt: new Date().toISOString(),
    ...(training ? { training } : {}),
  };
}

/** Rebuilds a model from its description and columns, checking format and every shape. */
export function modelFrom(meta: ModelMeta, cols: Columns, where: string): Model {
  const bad = (why: string): PymkError => new PymkError('PYMK_BUNDLE_INVALID', `${where}: ${why}`, { file: where });
  if (meta?.format !== CHECKPOINT_FORMAT || meta.version !== CHECKPOINT_VERSION) throw bad(`not a ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION} checkpoint`);
  if (meta.architecture !== ARCHITECTURE) throw bad(`architecture '${meta.architecture}', this build has '${ARCHITECTURE}'`);
  try {
    checkConfig(meta.config);
  } catch (e) {
    throw bad((e as Error).message);
  }
  const m: Model = { config: meta.config, users: meta.users, params: {} as Record<ParamName, Float32Array> };
  for (const k of PARAM_NAMES) {
    const c = cols[k];
    const [r, w] = paramShape(m, k);
    if (!(c instanceof Float32Array) || c.length !== r * w) throw bad(`parameter ${k}: expected float32 × ${r * w}, got ${c ? `${c.constructor.name} × ${c.length}` : 'nothing'}`);
    m.params[k] = c.slice();
  }
  return m;
}

/** Writes `model.bin` and `model.json` into dir. */
export async function saveModel(dir: string, m: Model, training?: Record<string, unknown>): Promise<ModelMeta> {
  await mkdir(dir, { recursive: true });
  const meta = modelMeta(m, training);
  await writeArrays(join(dir, 'model.bin'), modelColumns(m));
  await writeFile(join(dir, 'model.json'), JSON.stringify(meta, null, 2) + '\n');
  return meta;
}

/** Reads a model saved by saveModel(). */
export async function loadModel(dir: string): Promise<Model> {
  const metaPath = join(dir, 'model.json');
  const text = await readFile(metaPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return 'null'; // reported just below as "no model description"
    throw new PymkError('PYMK_BAD_INPUT', `${metaPath}: cannot read (${e.message})`, { path: metaPath });
  });
  const meta = JSON.parse(text) as ModelMeta;
  if (!meta) throw new PymkError('PYMK_BAD_INPUT', `${metaPath}: no model description`, { path: metaPath });
  return modelFrom(meta, await readArrays(join(dir, 'model.bin')), metaPath);
}

/** What loading from a bundle needs (an opened Bundle or a stage context). */
export interface ModelSource {
  has(name: string): boolean;
  readArrays(name: string): Promise<Columns>;
  readJson<T = unknown>(name: string): Promise<T>;
}

/** The checkpoint in a bundle, or null when it has none. */
export async function loadBundleModel(b: ModelSource): Promise<Model | null> {
  if (!b.has(EMBED_ARTIFACTS.modelMeta) || !b.has(EMBED_ARTIFACTS.model)) return null;
  const meta = await b.readJson<ModelMeta>(EMBED_ARTIFACTS.modelMeta);
  return modelFrom(meta, await b.readArrays(EMBED_ARTIFACTS.model), EMBED_ARTIFACTS.modelMeta);
}
