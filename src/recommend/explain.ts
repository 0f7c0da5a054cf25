/**
 * The explain option of the recommendations API: why each card is there and what the rules took out. It is
 * built from what the one recommend path computed for the answer (the candidates, the scores, the rank order
 * and the rules' trace, rules.ts RuleTrace), never by ranking a second time.
 */
import type { ProfileField } from '../core/tables.js';
import { SOURCE_CODES } from '../rank/schema.js';
import type { OnlineStore, RankingInputs } from '../store/types.js';
import type { ExclusionReason, RuleConfig, RuleOutcome, RuleTrace } from './rules.js';

/** Where one candidate came from: the 2-hop walk, the ANN index, or both (the candidates stage's `source` column). */
export type CandidateOrigin = '2-hop' | 'ann' | '2-hop+ann' | 'profile';

/** Most removed and demoted candidates listed by id (the counts are always complete). */
export const MAX_EXPLAINED = 100;

export interface CardExplanation {
  /** 1-based position in the scored order, before the rules. */
  rank: number;
  source: CandidateOrigin;
  /** The candidate list's own score (e.g. Adamic-Adar for stored lists, similarity for ANN). */
  listScore: number;
  /** Held back by a diversity cap, then brought back by backfill. */
  backfilled: boolean;
}

export interface Explanation {
  /** The path that answered: stored list, live 2-hop, ANN, or a fallback (static, stale-cache). */
  path: string;
  /** The scorer that ranked the candidates ('similarity' for ANN candidates, which the model does not rank). */
  scorer: string;
  /** Candidates the path found, and how many the rules looked at before the page was full. */
  candidates: number;
  considered: number;
  rules: RuleConfig;
  excluded: Record<ExclusionReason, number>;
  cappedByCompany: number;
  cappedBySchool: number;
  /** Candidates the hard rules removed, best-ranked first (at most MAX_EXPLAINED). */
  removed: { id: string; rank: number; reason: ExclusionReason }[];
  /** Candidates held back by a diversity cap: the company or school that was full, and whether backfill brought them back. */
  demoted: { id: string; rank: number; rule: 'company' | 'school'; value: string | null; backfilled: boolean }[];
  /** Set when no rule trace exists (a fallback answered). */
  note?: string;
}

const ORIGIN: Record<number, CandidateOrigin> = { [SOURCE_CODES['2-hop']]: '2-hop', [SOURCE_CODES.ann]: 'ann', [SOURCE_CODES.both]: '2-hop+ann' };

/** The origin of candidate i: the path's when it has one source, else the stored list's per-candidate column. */
export function originOf(inputs: RankingInputs, i: number): CandidateOrigin {
  if (inputs.source === 'ann') return 'ann';
  if (inputs.source === 'profile') return 'profile';
  if (inputs.source === 'live-2hop') return '2-hop';
  return ORIGIN[inputs.candidates.features.source[i]] ?? '2-hop';
}

export interface Traced {
  inputs: RankingInputs;
  order: ArrayLike<number>;
  outcome: RuleOutcome;
  trace: RuleTrace;
  scorer: string;
  rules: RuleConfig;
}

/** The explanation of one answer and the per-card explanations, aligned with outcome.picked. */
export async function explain(store: OnlineStore, t: Traced): Promise<{ explanation: Explanation; cards: CardExplanation[] }> {
  const { inputs, outcome, trace } = t;
  const rankOf = new Map<number, number>();
  for (let r = 0; r < t.order.length; r++) rankOf.set(t.order[r], r);
  const backfilled = new Set(trace.capped.filter((c) => c.backfilled).map((c) => c.index));
  const cards = outcome.picked.map((i) => ({
    rank: (rankOf.get(i) ?? 0) + 1,
    source: originOf(inputs, i),
    listScore: round(inputs.candidates.score[i]),
    backfilled: backfilled.has(i),
  }));
  const removed = trace.removed.slice(0, MAX_EXPLAINED);
  const capped = trace.capped.slice(0, MAX_EXPLAINED);
  const ids = await store.externalIds([...removed, ...capped].map((x) => inputs.candidates.ids[x.index]));
  const field: Record<'company' | 'school', ProfileField> = { company: 'company', school: 'school' };
  const explanation: Explanation = {
    path: inputs.source,
    scorer: t.scorer,
    candidates: inputs.candidates.ids.length,
    considered: trace.considered,
    rules: t.rules,
    excluded: outcome.excluded,
    cappedByCompany: outcome.cappedByCompany,
    cappedBySchool: outcome.cappedBySchool,
    removed: removed.map((x, j) => ({ id: ids[j], rank: x.rank + 1, reason: x.reason })),
    demoted: capped.map((x, j) => {
      const code = inputs.candidates.users[field[x.rule]][x.index];
      return { id: ids[removed.length + j], rank: x.rank + 1, rule: x.rule, value: code >= 0 ? store.fieldValue(field[x.rule], code) : null, backfilled: x.backfilled };
    }),
  };
  return { explanation, cards };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
