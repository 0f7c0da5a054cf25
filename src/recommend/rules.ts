/**
 * Business rules, applied after ranking: hard exclusions, then diversity caps. The one implementation, used
 * through the recommend core online (the server, `pymk recommend`) and offline (the static lists stage); both
 * take the caps from the configuration through rulesOf().
 */
import type { Config } from '../core/config.js';
import { containsSorted } from '../core/sorted.js';
import { FLAG_BANNED, FLAG_DEACTIVATED } from '../core/tables.js';
import type { RankingInputs } from '../store/types.js';

export interface RuleConfig {
  maxPerCompany: number;
  maxPerSchool: number;
  /** Soft diversity: when caps leave fewer than `limit`, refill from the capped candidates in rank order. */
  backfill: boolean;
}

/** The rules the configuration sets (PYMK_MAX_PER_COMPANY, PYMK_MAX_PER_SCHOOL, PYMK_DIVERSITY_BACKFILL). */
export function rulesOf(config: Pick<Config, 'maxPerCompany' | 'maxPerSchool' | 'diversityBackfill'>): RuleConfig {
  return { maxPerCompany: config.maxPerCompany, maxPerSchool: config.maxPerSchool, backfill: config.diversityBackfill };
}

export const EXCLUSION_REASONS = ['self', 'connected', 'blocked', 'dismissed', 'deactivated', 'banned', 'duplicate'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

export interface RuleOutcome {
  /** Indices into inputs.candidates, in final order, at most `limit`. */
  picked: number[];
  excluded: Record<ExclusionReason, number>;
  /** Candidates held back by the company / school caps (before any backfill). */
  cappedByCompany: number;
  cappedBySchool: number;
}

/**
 * The rules' decisions, recorded when the caller asks (the explain option of the recommendations API): each
 * candidate removed and why, each held back by a diversity cap and whether backfill brought it back, and how
 * far down the ranking the walk went. Indices are into inputs.candidates, like RuleOutcome.picked.
 */
export interface RuleTrace {
  removed: { index: number; rank: number; reason: ExclusionReason }[];
  capped: { index: number; rank: number; rule: 'company' | 'school'; backfilled: boolean }[];
  /** Candidates the walk looked at (it stops once `limit` are picked). */
  considered: number;
}

export function emptyTrace(): RuleTrace {
  return { removed: [], capped: [], considered: 0 };
}

/** Why candidate i must never be shown, or null. */
export function exclusionReason(inputs: RankingInputs, i: number): ExclusionReason | null {
  const c = inputs.candidates.ids[i];
  if (c === inputs.uid) return 'self';
  if (containsSorted(inputs.connections, c)) return 'connected';
  if (containsSorted(inputs.blocked, c)) return 'blocked';
  if (containsSorted(inputs.dismissed, c)) return 'dismissed';
  const flags = inputs.candidates.users.flags[i];
  if (flags & FLAG_DEACTIVATED) return 'deactivated';
  if (flags & FLAG_BANNED) return 'banned';
  return null;
}

/**
 * Walks candidates in rank order (`order` holds candidate indices, best first) and keeps those that pass the
 * exclusions, at most `maxPerCompany` per company and `maxPerSchool` per school, filling from lower-ranked ones.
 * With `trace`, every decision is recorded in it as it is taken (the picks do not change).
 */
export function applyRules(inputs: RankingInputs, order: ArrayLike<number>, cfg: RuleConfig, limit: number, trace?: RuleTrace): RuleOutcome {
  const excluded = Object.fromEntries(EXCLUSION_REASONS.map((r) => [r, 0])) as Record<ExclusionReason, number>;
  const picked: number[] = [];
  const deferred: number[] = [];
  /** The trace's entry of each deferred candidate, to mark it when backfill brings it back. */
  const deferredAt: number[] = [];
  const perCompany = new Map<number, number>();
  const perSchool = new Map<number, number>();
  const seen = new Set<number>();
  let cappedByCompany = 0;
  let cappedBySchool = 0;
  const { company, school } = inputs.candidates.users;

  let r = 0;
  for (; r < order.length && picked.length < limit; r++) {
    const i = order[r];
    const id = inputs.candidates.ids[i];
    const why = seen.has(id) ? 'duplicate' : exclusionReason(inputs, i);
    if (why) {
      excluded[why]++;
      trace?.removed.push({ index: i, rank: r, reason: why });
      continue;
    }
    seen.add(id);
    const co = company[i];
    const sc = school[i];
    if (co >= 0 && (perCompany.get(co) ?? 0) >= cfg.maxPerCompany) {
      cappedByCompany++;
      deferred.push(i);
      if (trace) deferredAt.push(trace.capped.push({ index: i, rank: r, rule: 'company', backfilled: false }) - 1);
      continue;
    }
    if (sc >= 0 && (perSchool.get(sc) ?? 0) >= cfg.maxPerSchool) {
      cappedBySchool++;
      deferred.push(i);
      if (trace) deferredAt.push(trace.capped.push({ index: i, rank: r, rule: 'school', backfilled: false }) - 1);
      continue;
    }
    if (co >= 0) perCompany.set(co, (perCompany.get(co) ?? 0) + 1);
    if (sc >= 0) perSchool.set(sc, (perSchool.get(sc) ?? 0) + 1);
    picked.push(i);
  }
  if (cfg.backfill && picked.length < limit) {
    // Soft rules: capped candidates come back in rank order, after every uncapped one.
    for (let d = 0; d < deferred.length && picked.length < limit; d++) {
      picked.push(deferred[d]);
      if (trace) trace.capped[deferredAt[d]].backfilled = true;
    }
  }
  if (trace) trace.considered = r;
  return { picked, excluded, cappedByCompany, cappedBySchool };
}

