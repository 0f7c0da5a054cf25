/**
 * Time-to-live per kind of stored data. Defaults follow the seed's feature-store table (embeddings 24h,
 * pair features 6h, profile features 1h, behavioural features 1h, candidate lists 4h); the kinds the seed
 * does not list are chosen so that rules never see a list without its exclusions:
 *
 * - `graph` (connections, blocks, dismissals) lives 24h, longer than any candidate list, so whenever a list
 *   is still there the exclusions published with it are too;
 * - `ids` (external ↔ dense ids) and the generation's meta live 24h: they outlive everything that refers
 *   to them. When they are gone the whole generation is gone and the store reports not ready.
 * - a candidate list carries its pair features packed in the same value, so it expires at
 *   min(candidates, pair).
 *
 * Redis enforces TTLs itself (SET … PX); the memory store checks them on read against the time the data
 * was loaded. The StoreWriter writes keep the expiry of the value they change.
 */
import { PymkError } from '../core/errors.js';
import { PAIR_FEATURES, type PairFeature } from './snapshot.js';

/**
 * Pair features with the 'behaviour' TTL (recent activity between the two users). They are stored apart from
 * the candidate list so they expire on their own; every other pair feature expires with the list.
 */
export const BEHAVIOUR_FEATURES: readonly PairFeature[] = PAIR_FEATURES.filter((f) =>
  ['views_out', 'views_in', 'impressions', 'rejections'].includes(f),
);
export const BEHAVIOUR_SET: ReadonlySet<PairFeature> = new Set(BEHAVIOUR_FEATURES);

export const TTL_KINDS = ['embedding', 'pair', 'profile', 'behaviour', 'candidates', 'graph', 'ids', 'static'] as const;
export type TtlKind = (typeof TTL_KINDS)[number];

/** Seconds per kind; 0 = never expires. */
export type TtlConfig = Readonly<Record<TtlKind, number>>;

const H = 3600;
export const DEFAULT_TTL: TtlConfig = Object.freeze({
  embedding: 24 * H,
  pair: 6 * H,
  profile: 1 * H,
  behaviour: 1 * H,
  candidates: 4 * H,
  graph: 24 * H,
  ids: 24 * H,
  static: 4 * H,
});

/** The stored values and the TTL each one gets, in milliseconds (0 = none). */
export interface ValueTtls {
  candidates: number;
  behaviour: number;
  profile: number;
  embedding: number;
  graph: number;
  ids: number;
  static: number;
  /** The generation's meta: as long as the longest-lived value (or none if any kind never expires). */
  meta: number;
}

export function valueTtls(ttl: TtlConfig): ValueTtls {
  const ms = (s: number): number => Math.round(s * 1000);
  const minPositive = (a: number, b: number): number => (a === 0 ? b : b === 0 ? a : Math.min(a, b));
  const all = TTL_KINDS.map((k) => ttl[k]);
  return {
    candidates: ms(minPositive(ttl.candidates, ttl.pair)),
    behaviour: ms(ttl.behaviour),
    profile: ms(ttl.profile),
    embedding: ms(ttl.embedding),
    graph: ms(ttl.graph),
    ids: ms(ttl.ids),
    static: ms(ttl.static),
    meta: all.includes(0) ? 0 : ms(Math.max(...all)),
  };
}

/**
 * Builds a TTL config from defaults and overrides. Overrides come as an object or as text
 * `profile=3600,candidates=4h` (units s, m, h, d; bare numbers are seconds). Unknown kinds fail with the list.
 */
export function ttlConfig(overrides: Partial<Record<TtlKind, number>> | string = {}): TtlConfig {
  const o = typeof overrides === 'string' ? parseTtl(overrides) : overrides;
  const out: Record<TtlKind, number> = { ...DEFAULT_TTL };
  for (const [k, v] of Object.entries(o)) {
    if (!(TTL_KINDS as readonly string[]).includes(k)) {
      throw new PymkError('PYMK_CONFIG', `unknown TTL kind '${k}'; expected one of: ${TTL_KINDS.join(', ')}`);
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new PymkError('PYMK_CONFIG', `TTL for '${k}' must be a number of seconds >= 0, got ${String(v)}`);
    }
    out[k as TtlKind] = v;
  }
  return Object.freeze(out);
}

const UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

function parseTtl(text: string): Partial<Record<TtlKind, number>> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z]+)\s*=\s*(\d+(?:\.\d+)?)\s*([smhd]?)$/.exec(part);
    if (!m) throw new PymkError('PYMK_CONFIG', `TTL '${part}' is not kind=number[s|m|h|d]`);
    out[m[1]] = Number(m[2]) * UNITS[m[3]];
  }
  return out;
}
