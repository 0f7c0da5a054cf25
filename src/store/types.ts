/** The online store interface. Implementations: memory:// (embedded default); more register in index.ts. */
import type { PairFeature, RankedLists } from './snapshot.js';
import type { ProfileField } from '../core/tables.js';

/** Profile columns for a batch of users, index-aligned with the ids asked for. Codes are -1 when missing. */
export interface UserColumns {
  company: Int32Array;
  school: Int32Array;
  location: Int32Array;
  industry: Int32Array;
  seniority: Int8Array;
  flags: Uint8Array;
  degree: Int32Array;
}

export type CandidateSource = 'stored' | 'live-2hop' | 'none';

/** Everything the ranker and the rules need for one user, fetched in one call. */
export interface RankingInputs {
  uid: number;
  user: UserColumns;
  /** Sorted ids. */
  connections: Int32Array;
  /** Sorted ids, blocks in either direction. */
  blocked: Int32Array;
  /** Sorted ids the user dismissed. */
  dismissed: Int32Array;
  source: CandidateSource;
  candidates: {
    ids: Int32Array;
    score: Float32Array;
    features: Record<PairFeature, Float32Array>;
    users: UserColumns;
  };
}

export interface OnlineStore {
  readonly url: string;
  /** The bundle version being served. */
  version(): string;
  /** Dense id for an external user id, or null when unknown. */
  resolveUser(externalId: string): Promise<number | null>;
  externalIds(uids: ArrayLike<number>): Promise<string[]>;
  fetchRankingInputs(uid: number): Promise<RankingInputs>;
  /** Sorted neighbour rows, aligned with uids. */
  neighbors(uids: ArrayLike<number>): Promise<Int32Array[]>;
  /** The decoded value of a categorical profile code. */
  fieldValue(field: ProfileField, code: number): string | null;
  /** The precomputed static ranking for a user (degradation fallback), or null. */
  staticList(uid: number): Promise<Pick<RankedLists, 'cand' | 'score'> | null>;
  close(): Promise<void>;
}
