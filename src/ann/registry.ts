/**
 * Index implementations by name. `createIndex(kind, …)` makes an empty one; `openIndex(path)` reads the
 * description saved next to a file and opens it with the implementation that wrote it. An unknown name
 * fails with the list of valid ones.
 */
import { unknownName } from '../core/errors.js';
import { ExactIndex } from './exact.js';
import { readMeta, type IndexMeta } from './files.js';
import { RerankedIndex } from './rerank.js';
import { HnswlibIndex, type HnswlibOptions } from './hnswlib.js';
import type { Metric, VectorIndex } from './types.js';
import { MemoryVectorStore } from './vectors.js';
import { UsearchIndex, type UsearchOptions } from './usearch.js';

/** How an index is opened: 'view' maps it read-only where the implementation can (usearch), else loads it read-only; 'load' loads it writable. */
export type OpenMode = 'view' | 'load';

interface Implementation {
  create(dim: number, metric: Metric, options: Record<string, unknown>): VectorIndex;
  open(path: string, meta: IndexMeta, mode: OpenMode): VectorIndex;
}

const IMPLEMENTATIONS: Record<string, Implementation> = {
  exact: {
    create: (dim, metric) => new ExactIndex(dim, metric),
    open: (path, meta, mode) => ExactIndex.open(path, meta, mode === 'view'),
  },
  usearch: {
    create: (dim, metric, o) => UsearchIndex.create(dim, metric, o as Partial<UsearchOptions>),
    open: (path, meta, mode) => UsearchIndex.open(path, meta, mode),
  },
  hnswlib: {
    create: (dim, metric, o) => HnswlibIndex.create(dim, metric, o as Partial<HnswlibOptions>),
    open: (path, meta, mode) => HnswlibIndex.open(path, meta, mode === 'view'),
  },
  rerank: {
    create: (dim, metric, o) => {
      const { inner = 'usearch', factor = 2, trust = 0, ...rest } = o as { inner?: string; factor?: number; trust?: number };
      return new RerankedIndex(createIndex(inner, dim, metric, rest), new MemoryVectorStore(dim), { factor, trust });
    },
    open: (path, meta, mode) => RerankedIndex.open(path, meta, mode === 'view', (p) => openIndex(p, mode)),
  },
};

/** The registered implementation names. */
export const INDEX_KINDS = Object.keys(IMPLEMENTATIONS);

function implementation(kind: string): Implementation {
  if (!Object.hasOwn(IMPLEMENTATIONS, kind)) throw unknownName('ANN index kind', kind, INDEX_KINDS);
  return IMPLEMENTATIONS[kind];
}

/** An empty index of a registered kind. */
export function createIndex(kind: string, dim: number, metric: Metric, options: Record<string, unknown> = {}): VectorIndex {
  return implementation(kind).create(dim, metric, options);
}

/** Opens an index saved with save(path), by the kind recorded in `<path>.json`. */
export function openIndex(path: string, mode: OpenMode = 'view'): VectorIndex {
  const meta = readMeta(path);
  return implementation(meta.kind).open(path, meta, mode);
}
