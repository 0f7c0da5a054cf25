/**
 * The description of one published generation, stored as small JSON under `<gen>:meta` (written last by a
 * publish, so its presence means the generation is complete) and the profile dictionaries under
 * `<gen>:dicts`. A reader checks `format` before trusting anything else.
 */
import { PROFILE_FIELDS, type ProfileField } from '../core/tables.js';
import { invalidValue } from './codec.js';
import type { EmbeddingDtype } from './codecEmbedding.js';
import { PAIR_FEATURES } from './snapshot.js';
import { TTL_KINDS, type TtlConfig } from './ttl.js';

/** 2: adds the per-user profile pack (`{uid}p`) that fetchRankingInputs reads instead of candidates' rows. */
export const META_FORMAT = 2;

export interface GenMeta {
  format: number;
  /** The bundle version this generation holds. */
  version: string;
  gen: number;
  users: number;
  /** Profile-bucket tags used by this generation's keys (keys.ts). */
  buckets: number;
  pairFeatures: string[];
  /** TTLs (seconds) the values were written with; the StoreWriter writes use them for rows they create. */
  ttl: TtlConfig;
  hasLists: boolean;
  embedding: { dim: number; dtype: EmbeddingDtype } | null;
  /** Keys written for this generation, meta and dicts included. */
  keys: number;
  publishedAt: string;
}

export function encodeMeta(m: GenMeta): string {
  return JSON.stringify(m);
}

/** Parses and checks a meta value: format, pair-feature layout and fields this reader relies on. */
export function decodeMeta(buf: Buffer, where: string): GenMeta {
  let m: GenMeta;
  try {
    m = JSON.parse(buf.toString('utf8')) as GenMeta;
  } catch {
    throw invalidValue(where, 'meta is not JSON');
  }
  if (typeof m !== 'object' || m === null) throw invalidValue(where, 'meta is not an object');
  if (m.format !== META_FORMAT) throw invalidValue(where, `meta format ${String(m.format)}, this reader knows ${META_FORMAT}`);
  if (typeof m.version !== 'string' || !Number.isInteger(m.gen) || !Number.isInteger(m.users) || !Number.isInteger(m.buckets)) {
    throw invalidValue(where, 'meta lacks version, gen, users or buckets');
  }
  if (!Array.isArray(m.pairFeatures) || m.pairFeatures.join(',') !== PAIR_FEATURES.join(',')) {
    throw invalidValue(where, `pair features [${String(m.pairFeatures)}] differ from this reader's [${PAIR_FEATURES.join(', ')}]`);
  }
  if (typeof m.ttl !== 'object' || !TTL_KINDS.every((k) => typeof m.ttl[k] === 'number')) throw invalidValue(where, 'meta lacks TTLs');
  return m;
}

export type Dicts = Record<ProfileField, string[]>;

export function decodeDicts(buf: Buffer | null, where: string): Dicts {
  if (buf === null) throw invalidValue(where, 'dictionaries missing');
  let d: Dicts;
  try {
    d = JSON.parse(buf.toString('utf8')) as Dicts;
  } catch {
    throw invalidValue(where, 'dictionaries are not JSON');
  }
  for (const f of PROFILE_FIELDS) if (!Array.isArray(d?.[f])) throw invalidValue(where, `dictionary '${f}' missing`);
  return d;
}
