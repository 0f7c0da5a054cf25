/**
 * A serialisable description of a searchable index, so a worker thread or a shard process can open the
 * same thing the parent means: a saved index file, a bundle's ANN artifacts, or tiers over either.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import { MANIFEST_FILE, parseManifest } from '../bundle/manifest.js';
import { checkColumns, decodeArrays } from '../bundle/binary.js';
import { LayeredIndex } from './layered.js';
import { openIndex, type OpenMode } from './registry.js';
import { RerankedIndex, type RerankOptions } from './rerank.js';
import { TieredIndex, type MainSpec, type TieredOptions } from './tiered.js';
import type { VectorIndex } from './types.js';
import { openVectorFile } from './vectors.js';

/** The JSON the pipeline's ANN stage writes into a bundle (artifact 'ann/index.json'). */
export interface BundleAnnManifest {
  /** Index file, relative to the bundle (its description is the file + '.json'). */
  index: string;
  /** f32 rows by id for re-ranking and per-user lookup: a pymk array file and its column. */
  vectors: string;
  column: string;
  /** Re-rank candidates per result (× k); 0 = no re-rank. */
  rerank: number;
  /** Fraction of k taken in quantized order without reading f32 rows (see RerankOptions.trust). */
  rerankTrust?: number;
  dim: number;
  metric: string;
  /** Vectors indexed (rows with an embedding). */
  count: number;
  /** Rows of the embeddings file (ids are row numbers, so every id is below this). */
  rows?: number;
  kind: string;
  options: Record<string, unknown>;
  /**
   * The f16 rows (a pymk array file, column 'vectors') the main index was built from; an incremental run
   * measures how far each user's vector moved from them. Absent in bundles made before it was recorded
   * (their main index was built from the bundle's own embeddings).
   */
  mainVectors?: string;
  /**
   * Set by an incremental run that kept an earlier bundle's main index (`index`, hard-linked): the users
   * whose vectors moved too far from the ones it holds, or are new, are in a small `recent` index of the
   * same kind (re-ranked from the same `vectors`), and masked out of the main one (`masked`: a pymk array
   * file, column 'ids', int32).
   */
  recent?: { index: string; masked: string; count: number; maskedCount: number; since: string };
}

export const BUNDLE_ANN_MANIFEST = 'ann/index.json';

export type OpenSpec =
  | { type: 'file'; path: string; mode?: OpenMode; ef?: number }
  /** An index file memory-mapped and re-ranked from f32 rows read on demand from a pymk array file. */
  | { type: 'reranked'; path: string; vectors: string; column?: string; factor: number; trust?: number; ef?: number }
  /** version: the bundle the caller serves; opening fails if the folder now holds another (it was replaced). */
  | { type: 'bundle'; dir: string; ef?: number; version?: string }
  | {
      type: 'tiered';
      main: Extract<OpenSpec, { type: 'file' | 'reranked' | 'bundle' }>;
      tier: Partial<TieredOptions> & Pick<TieredOptions, 'dir' | 'base' | 'idLimit'>;
    };

/** Opens what a spec describes. Bundles open memory-mapped with f32 re-rank from the embeddings file. */
export function openSpec(spec: OpenSpec): VectorIndex {
  switch (spec.type) {
    case 'file': {
      const x = openIndex(spec.path, spec.mode ?? 'view');
      if (spec.ef) x.setEf(spec.ef);
      return x;
    }
    case 'reranked':
      return openReranked(spec.path, spec.vectors, spec.column ?? 'vectors', { factor: spec.factor, trust: spec.trust ?? 0 }, spec.ef);
    case 'bundle':
      if (spec.version !== undefined) checkBundleVersion(spec.dir, spec.version);
      return openBundleIndex(spec.dir, spec.ef);
    case 'tiered':
      return TieredIndex.open(() => openSpec(spec.main), spec.tier);
    default:
      throw new PymkError('PYMK_BAD_PARAM', `unknown index spec type '${(spec as { type: string }).type}'; expected one of: file, reranked, bundle, tiered`);
  }
}

/**
 * Throws unless the bundle at dir is still `version`. A pipeline run replaces the folder of the bundle it
 * rebuilds, so a worker (re)started later by path could otherwise open a newer index than the store serves.
 */
function checkBundleVersion(dir: string, version: string): void {
  const file = join(dir, MANIFEST_FILE);
  let found: string | null;
  try {
    found = parseManifest(readFileSync(file, 'utf8'), file).version;
  } catch (e) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${file}: cannot read the bundle manifest (${(e as Error).message})`, { file });
  }
  if (found !== version) throw new PymkError('PYMK_BUNDLE_INVALID', `${dir} now holds bundle ${found ?? '(incomplete)'}, not ${version} (replaced since it was opened)`, { file });
}

/** Reads a bundle's ANN manifest. */
export function readBundleAnn(dir: string): BundleAnnManifest {
  const path = join(dir, BUNDLE_ANN_MANIFEST);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BundleAnnManifest;
  } catch (e) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: cannot read the ANN manifest (${(e as Error).message})`, { file: path });
  }
}

/** The bundle's index: memory-mapped, re-ranked in f32 from the embeddings file when the build asked for it. */
export function openBundleIndex(dir: string, ef?: number): VectorIndex {
  const m = readBundleAnn(dir);
  // With no re-rank the vectors file still answers vector(id) (searchUser), but searches pass straight through.
  const rerank = m.rerank > 0 ? { factor: Math.max(1, m.rerank), trust: m.rerankTrust ?? 0 } : { factor: 0, trust: 0 };
  const main = openReranked(join(dir, m.index), join(dir, m.vectors), m.column, rerank, ef);
  if (!m.recent) return main;
  const file = join(dir, m.recent.masked);
  let ids: Int32Array;
  try {
    ids = checkColumns(decodeArrays(readFileSync(file)), { ids: 'int32' }, file).ids;
  } catch (e) {
    main.close();
    throw e instanceof PymkError ? e : new PymkError('PYMK_BUNDLE_INVALID', `${file}: cannot read the masked ids (${(e as Error).message})`, { file });
  }
  const recent = openReranked(join(dir, m.recent.index), join(dir, m.vectors), m.column, rerank, ef);
  return new LayeredIndex(main, recent, new Set(ids));
}

function openReranked(path: string, vectors: string, column: string, rerank: RerankOptions, ef?: number): VectorIndex {
  const inner = openIndex(path, 'view');
  if (ef) inner.setEf(ef);
  return new RerankedIndex(inner, openVectorFile(vectors, inner.dim, column), rerank);
}

/**
 * The spec serving uses for a bundle: its index (memory-mapped, re-ranked from the embeddings file) as the
 * main tier, plus a recent tier with its log in `stateDir` (kept across restarts and across bundles:
 * `version` tells whether a compacted main in stateDir still belongs to this bundle).
 */
export function servingSpec(bundleDir: string, version: string, stateDir: string, opts: { ef?: number; writeLog?: boolean } = {}): OpenSpec {
  const m = readBundleAnn(bundleDir);
  const tier = { dir: stateDir, base: version, idLimit: m.count > 0 ? maxId(m) : 0, writeLog: opts.writeLog ?? true };
  return { type: 'tiered', main: { type: 'bundle', dir: bundleDir, ef: opts.ef, version }, tier };
}

/** How compaction should rebuild a bundle's main tier: the same index settings, re-ranked the same way. */
export function mainSpecOf(m: BundleAnnManifest): MainSpec {
  return { kind: 'rerank', options: { ...m.options, inner: m.kind, factor: m.rerank > 0 ? Math.max(1, m.rerank) : 0, trust: m.rerankTrust ?? 0 } };
}

/** Ids in a bundle's index are row numbers of the embeddings, so they are below the row count. */
function maxId(m: BundleAnnManifest): number {
  return m.rows ?? m.count;
}
