/**
 * Stage: build the ANN index over the users' embeddings.
 *
 * Reads the embedding stage's artifacts (src/embed/checkpoint.ts): `embeddings/users.json` for dim and count,
 * and `embeddings/users.bin`, column `vectors` (float32, count × dim, row = dense user id; an all-zero row
 * would mean "no embedding" and is left out). Unit vectors compared by dot product = the 'cos' metric.
 * Writes `ann/main.usearch` (+ `ann/main.usearch.json`, its description) and `ann/index.json`, the manifest
 * serving opens with openBundleIndex(bundleDir): the index memory-mapped, re-ranked in f32 straight from
 * the embeddings file. The build's recall@10 on sampled users is measured against brute force and the stage
 * fails below `minRecall`, so a bad index is never published.
 */
import { PymkError } from '../../core/errors.js';
import { checkMetric } from '../../ann/distance.js';
import { BUNDLE_ANN_MANIFEST, type BundleAnnManifest } from '../../ann/open.js';
import { gather, isZero, sampledRecall } from '../../ann/quality.js';
import { createIndex, INDEX_KINDS } from '../../ann/registry.js';
import { RerankedIndex } from '../../ann/rerank.js';
import type { Metric, VectorIndex } from '../../ann/types.js';
import { MemoryVectorStore } from '../../ann/vectors.js';
import { EMBED_ARTIFACTS, type EmbeddingsMeta } from '../../embed/checkpoint.js';
import type { Stage, StageContext } from '../stage.js';

/** The artifacts this stage reads (written by the embedding stage). */
export const EMBEDDINGS_ARTIFACT = EMBED_ARTIFACTS.vectors;
export const EMBEDDINGS_META = EMBED_ARTIFACTS.meta;
/** The index file this stage writes (its description is the same name + '.json'). */
export const ANN_INDEX_ARTIFACT = 'ann/main.usearch';

export interface AnnStageParams {
  /** Registry kind of the index (usearch by default). */
  kind: string;
  metric: Metric;
  /** Options of that kind (usearch: dtype, connectivity, expansionAdd, expansionSearch). */
  options: Record<string, unknown>;
  /** Re-rank candidates per result (× k) from the f32 embeddings (0 = none). */
  rerank: number;
  /** Fraction of k taken in i8 order without reading f32 rows (see RerankOptions.trust). */
  rerankTrust: number;
  /** Users sampled for the recall check, and the floor below which the stage fails. */
  recallSample: number;
  minRecall: number;
}

/**
 * The default: usearch i8 over randomly rotated codes (276.5 bytes/vector at 128-d), re-ranked ×1.2 in f32
 * from the memory-mapped embeddings file: recall@100 0.999 at 1M. See docs/ann.md for the measurements.
 */
export const ANN_DEFAULTS: AnnStageParams = {
  kind: 'usearch',
  metric: 'cos',
  options: { dtype: 'i8', connectivity: 16, expansionAdd: 128, expansionSearch: 128 },
  rerank: 1.2,
  rerankTrust: 0,
  recallSample: 200,
  minRecall: 0.9,
};

/** The params with the defaults filled in, checked. */
export function annParams(params: Partial<AnnStageParams> = {}): AnnStageParams {
  // The default options belong to the default kind; another kind starts from its own defaults.
  const baseOptions = params.kind && params.kind !== ANN_DEFAULTS.kind ? {} : ANN_DEFAULTS.options;
  const p: AnnStageParams = { ...ANN_DEFAULTS, ...params, options: { ...baseOptions, ...params.options } };
  checkMetric(p.metric);
  if (!INDEX_KINDS.includes(p.kind)) throw new PymkError('PYMK_UNKNOWN_NAME', `unknown ANN index kind '${p.kind}'; expected one of: ${INDEX_KINDS.join(', ')}`);
  return p;
}

/** The run's embeddings (f32, users × dim) as the embed stage described them, and the f16 copy's artifact. */
export async function readEmbeddings(ctx: StageContext): Promise<{ vectors: Float32Array; dim: number; n: number; source: string; f16: string | null }> {
  const meta = await ctx.readJson<Pick<EmbeddingsMeta, 'dim' | 'count'> & Partial<EmbeddingsMeta>>(EMBEDDINGS_META);
  const source = meta.files?.f32?.artifact ?? EMBEDDINGS_ARTIFACT;
  const { vectors } = await ctx.readArrays(source, { vectors: 'float32' });
  const dim = meta.dim;
  if (!(dim > 0) || vectors.length !== meta.count * dim) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${source}: ${vectors.length} floats, but ${EMBEDDINGS_META} says ${meta.count} × ${dim}`);
  }
  return { vectors, dim, n: vectors.length / dim, source, f16: meta.files?.f16?.artifact ?? null };
}

/** An index of `p`'s kind over rows `ids` of `vectors`. */
export function buildIndex(p: AnnStageParams, vectors: Float32Array, dim: number, ids: Int32Array, options: Record<string, unknown> = p.options): VectorIndex {
  const index = createIndex(p.kind, dim, p.metric, options);
  if (ids.length) index.addBatch(ids, ids.length === vectors.length / dim ? vectors : gather(vectors, ids, dim));
  return index;
}

/** `index` as serving runs it: re-ranked in f32 from `vectors` (unless p.rerank is 0). */
export function served(p: AnnStageParams, index: VectorIndex, vectors: Float32Array, dim: number): VectorIndex {
  return p.rerank > 0 ? new RerankedIndex(index, MemoryVectorStore.wrap(vectors, dim), { factor: p.rerank, trust: p.rerankTrust }) : index;
}

export function annStage(params: Partial<AnnStageParams> = {}): Stage {
  const p = annParams(params);
  return {
    name: 'ann',
    params: p,
    async run(ctx) {
      const { vectors, dim, n, source, f16 } = await readEmbeddings(ctx);
      const ids = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isZero(vectors, i, dim));
      const bar = ctx.progress('ann build', 1);
      const t0 = performance.now();
      const index = buildIndex(p, vectors, dim, ids);
      const buildSeconds = (performance.now() - t0) / 1000;
      bar.done();
      index.save(ctx.path(ANN_INDEX_ARTIFACT));
      await ctx.addFile(ANN_INDEX_ARTIFACT);
      await ctx.addFile(`${ANN_INDEX_ARTIFACT}.json`);
      // The gate measures what serving will run: the index re-ranked from the same f32 rows.
      const quality = sampledRecall(served(p, index, vectors, dim), vectors, dim, p.metric, 10, p.recallSample);
      index.close();
      if (quality.recall < p.minRecall) {
        throw new PymkError('PYMK_STAGE_FAILED', `ANN recall@10 ${quality.recall.toFixed(4)} is below the floor ${p.minRecall}`);
      }
      const manifest: BundleAnnManifest = {
        index: ANN_INDEX_ARTIFACT,
        vectors: source,
        column: 'vectors',
        rerank: p.rerank,
        rerankTrust: p.rerankTrust,
        dim,
        metric: p.metric,
        count: ids.length,
        rows: n,
        kind: p.kind,
        options: p.options,
        ...(f16 !== null && { mainVectors: f16 }),
      };
      await ctx.writeJson(BUNDLE_ANN_MANIFEST, manifest);
      ctx.setSchema('ann', { kind: p.kind, metric: p.metric, dim, rerank: p.rerank, rerankTrust: p.rerankTrust, ...p.options });
      return { users: n, indexed: ids.length, dim, buildSeconds, usersPerSecond: Math.round(ids.length / Math.max(buildSeconds, 1e-9)), recallAt10: quality.recall, recallQueries: quality.queries };
    },
  };
}
