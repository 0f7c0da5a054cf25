/**
 * An index on disk is one data file plus `<file>.json` describing it, so openIndex(path) can pick the
 * implementation without being told. Writes go through a temporary name and a rename.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PymkError } from '../core/errors.js';
import type { Metric } from './types.js';

export const META_FORMAT = 'pymk-ann';
export const META_VERSION = 1;

/** The description saved next to an index file. */
export interface IndexMeta {
  format: typeof META_FORMAT;
  version: typeof META_VERSION;
  /** Registry name of the implementation. */
  kind: string;
  dim: number;
  metric: Metric;
  /** Vectors in the index when saved. */
  count: number;
  /** Implementation settings (dtype, connectivity, quantizer, …). */
  options: Record<string, unknown>;
  savedAt: string;
}

export const metaPath = (path: string): string => `${path}.json`;

/** Writes `<path>.json`. */
export function writeMeta(path: string, meta: Omit<IndexMeta, 'format' | 'version' | 'savedAt'>): void {
  const full: IndexMeta = { format: META_FORMAT, version: META_VERSION, ...meta, savedAt: new Date().toISOString() };
  writeFileAtomic(metaPath(path), JSON.stringify(full, null, 2) + '\n');
}

/** Reads and checks `<path>.json`. */
export function readMeta(path: string): IndexMeta {
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readFileSync(metaPath(path), 'utf8')) as IndexMeta;
  } catch (e) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${metaPath(path)}: cannot read index description (${(e as Error).message})`, { file: metaPath(path) });
  }
  if (meta.format !== META_FORMAT || meta.version !== META_VERSION) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${metaPath(path)}: not a ${META_FORMAT} v${META_VERSION} index description`, { file: metaPath(path) });
  }
  return meta;
}

/** Writes a whole file under a temporary name, then renames it into place. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Runs `write(tmp)` (a native save), then renames tmp to path, so a crash never leaves half a file. */
export function saveAtomic(path: string, write: (tmp: string) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    write(tmp);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** PYMK_BAD_PARAM for a mutation of a read-only index. */
export function readOnlyError(kind: string, what: string): PymkError {
  return new PymkError('PYMK_BAD_PARAM', `${kind} index is read-only (opened memory-mapped): cannot ${what}`);
}
