/**
 * A serialisable description of a searchable index, so a worker thread or a shard process can open the
 * same thing the parent means: a saved index file, a bundle's ANN artifacts, or tiers over either.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PymkError } from '../core/errors.js';
import { openIndex, type OpenMode } from './registry.js';
import { RerankedIndex } from './rerank.js';
import { TieredIndex, type TieredOptions } from './tiered.js';
import type { VectorIndex } from './types.js';
import { FileVectorStore } from './vectors.js';

/** The JSON the pipeline's ANN stage writes into a bundle (artifact 'ann/index.json'). */
export interface BundleAnnManifest {
  /** Index file, relative to the bundle (its description is the file + '.json'). */
  index: string;
  /** f32 rows by id for re-ranking and per-user lookup: a pymk array file and its column. */
  vectors: string;
  column: string;
  /** Re-rank candidates per result; 0 = no re-rank. */
  rerank: number;
  dim: number;
  metric: string;
  count: number;
  kind: string;
  options: Record<string, unknown>;
}

export const BUNDLE_ANN_MANIFEST = 'ann/index.json';

export type OpenSpec =
  | { type: 'file'; path: string; mode?: OpenMode; ef?: number }
  | { type: 'bundle'; dir: string; ef?: number }
  | {
      type: 'tiered';
      main: Extract<OpenSpec, { type: 'file' | 'bundle' }>;
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
    case 'bundle':
      return openBundleIndex(spec.dir, spec.ef);
    case 'tiered':
      return TieredIndex.open(() => openSpec(spec.main), spec.tier);
    default:
      throw new PymkError('PYMK_BAD_PARAM', `unknown index spec type '${(spec as { type: string }).type}'; expected one of: file, bundle, tiered`);
  }
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
  const inner = openIndex(join(dir, m.index), 'view');
  if (ef) inner.setEf(ef);
  const store = FileVectorStore.ofArrayFile(join(dir, m.vectors), m.dim, m.column);
  return new RerankedIndex(inner, store, { factor: Math.max(1, m.rerank || 1) });
}
