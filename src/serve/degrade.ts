/**
 * Graceful degradation. When the full path fails for a reason that is not the client's (store or model
 * error, overload), answer from, in order: the precomputed static ranking, then the last answer served to
 * this user even if stale. A client error (bad id, bad parameter) is never masked.
 */
import { PymkError, isPymkError } from '../core/errors.js';
import type { FailureTracker } from '../core/failures.js';
import type { ResultCache } from './cache.js';
import { recommend, type RecommendDeps, type RecommendOptions, type RecommendResult } from '../recommend/recommend.js';

export interface DegradeState {
  /** Requests currently inside the full path. */
  inflight: number;
  /** Above this many concurrent full-path requests, answer from the static ranking (0 = never). */
  maxInflight: number;
  degraded: number;
  /**
   * Static-ranking answers that failed for a reason not the client's (the store is down, a value is corrupt);
   * the request then fell through to the full path, the stale cache or its own error.
   */
  staticFailures: FailureTracker;
}

export async function recommendOrDegrade(
  core: RecommendDeps,
  cache: ResultCache,
  state: DegradeState,
  user: string,
  limit: number,
  opts: RecommendOptions = {},
): Promise<RecommendResult> {
  if (state.maxInflight > 0 && state.inflight >= state.maxInflight) {
    const fast = await tryStatic(core, state, user, limit);
    if (fast) {
      state.degraded++;
      return fast;
    }
  }
  state.inflight++;
  try {
    return await recommend(core, user, limit, opts);
  } catch (err) {
    if (isPymkError(err) && err.statusCode < 500) throw err;
    const fallback = (await tryStatic(core, state, user, limit)) ?? staleAnswer(cache, user, limit);
    if (!fallback) throw err;
    state.degraded++;
    return fallback;
  } finally {
    state.inflight--;
  }
}

/** The static answer, or null when there is none or it failed (a failure not the client's is counted and reported). */
async function tryStatic(core: RecommendDeps, state: DegradeState, user: string, limit: number): Promise<RecommendResult | null> {
  try {
    const r = await staticAnswer(core, user, limit);
    state.staticFailures.ok();
    return r;
  } catch (err) {
    // A client error (unknown user) is not a failure of the fallback: the full path answers it, or already did.
    if (!(isPymkError(err) && err.statusCode < 500)) state.staticFailures.fail(err, 'answering from the full path or the stale cache');
    return null;
  }
}

async function staticAnswer(core: RecommendDeps, user: string, limit: number): Promise<RecommendResult | null> {
  const uid = await core.store.resolveUser(user);
  if (uid === null) throw new PymkError('PYMK_USER_NOT_FOUND', `user '${user}' not found`);
  const list = await core.store.staticList(uid);
  if (!list) return null;
  const n = Math.min(limit, list.cand.length);
  const ids = await core.store.externalIds(list.cand.subarray(0, n));
  return {
    user,
    version: core.store.version(),
    source: 'static',
    recommendations: ids.map((id, i) => ({ id, score: list.score[i], reasons: [] })),
  };
}

function staleAnswer(cache: ResultCache, user: string, limit: number): RecommendResult | null {
  const r = cache.stale(user, limit);
  return r ? { ...r, source: 'stale-cache' } : null;
}
