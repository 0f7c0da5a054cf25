/**
 * Graceful degradation: the seed's chain. Every answer says which path served it (`path`) and, when it was
 * not the full path, why (`degraded`):
 *
 *   full         the recommend core on the store with the ranking model, inside the store breaker, which
 *                gives it 70% of the request budget (deadlineMs).
 *   heuristic    the ranker failed, ran over or its breaker is open: the same path ranked by the stored
 *                2-hop score (Adamic-Adar, a degree-weighted common-neighbour count).
 *   static       the store's precomputed list (the pipeline's final ranking for the user).
 *   local-static the same list from the bundle on this server's disk, when the store failed, ran over, is
 *                refused by its breaker or lost its data (a Redis store; the memory store is local already).
 *   local-2hop   live 2-hop over the bundle's graph, heuristic scores, for a user with no local list.
 *   stale-cache  the last answer this process served the user, even past its TTL or version.
 *
 * Overload (the event loop delayed past maxEventLoopDelayMs, or maxInflight full-path requests running)
 * goes straight to the cheap paths. Fallback answers are the publish-time lists, filtered by the pairs the
 * events since excluded (connections, blocks, dismissals, bans: liveExclusions.ts, learnt from the
 * invalidation announcements). A client's mistake (unknown user, bad parameter) is never masked.
 */
import { PymkError, isPymkError } from '../core/errors.js';
import type { FailureTracker } from '../core/failures.js';
import type { OnlineStore } from '../store/types.js';
import { heuristicScorer } from '../rank/heuristic.js';
import { recommend, type AnswerPath, type DegradeReason, type RecommendDeps, type RecommendOptions, type RecommendResult } from '../recommend/recommend.js';
import { guardScorer, isBreakerError, type Breaker } from './breakers.js';
import type { ResultCache } from './cache.js';
import type { LiveExclusions } from './liveExclusions.js';

/** The recommend dependencies and, for a remote store, the bundle on this server's disk to fall back on. */
export interface ServingCore extends RecommendDeps {
  /** The bundle this server loaded, as a local store (lists and graph only); null when the store is local. */
  local?: OnlineStore | null;
  /** The version of the bundle the model, ANN index and local fallback come from (may differ from the store's). */
  loaded?: string;
}

type ServePath = AnswerPath;

export interface DegradeState {
  /** Requests currently inside the full path. */
  inflight: number;
  /** Above this many concurrent full-path requests, answer from the cheap path (0 = never). */
  maxInflight: number;
  /** True while the process is under pressure (event-loop delay past its limit): shed to the cheap path. */
  underPressure: () => boolean;
  /** Around the full path (store round trips), and around the ranking model. */
  breakers: { store: Breaker; ranker: Breaker };
  /** Degraded answers served, by path and reason (also in /metrics). */
  onDegraded: (path: ServePath, reason: DegradeReason) => void;
  degraded: number;
  /**
   * Static-ranking answers that failed for a reason not the client's (the store is down, a value is corrupt);
   * the request then fell through to the next fallback or its own error.
   */
  staticFailures: FailureTracker;
  /** Pairs excluded by events since the bundle (liveExclusions.ts): filtered out of every fallback answer. */
  exclusions?: LiveExclusions;
}

const HEURISTIC = heuristicScorer('stored');
const guarded = new WeakMap<object, RecommendDeps['scorer']>();

export async function recommendOrDegrade(
  core: ServingCore,
  cache: ResultCache,
  state: DegradeState,
  user: string,
  limit: number,
  opts: RecommendOptions = {},
): Promise<RecommendResult> {
  if (state.underPressure() || (state.maxInflight > 0 && state.inflight >= state.maxInflight)) {
    const cheap = await cheapPath(core, state, user, limit);
    if (cheap) return degraded(state, cheap, 'overload', limit);
  }
  state.inflight++;
  try {
    return await state.breakers.store.run(() => fullPath(core, state, user, limit, opts));
  } catch (err) {
    if (isPymkError(err) && err.statusCode < 500) throw err;
    const reason = reasonOf(err);
    const fallback = (await storeDown(core, state, user, limit)) ?? stale(cache, user, limit);
    if (!fallback) throw isBreakerError(err) ? new PymkError('PYMK_STORE_UNAVAILABLE', `${core.store.url}: ${err.message}`) : err;
    return degraded(state, fallback, reason, limit);
  } finally {
    state.inflight--;
  }
}

/** The ranked path; a ranker failure re-ranks the same user by the heuristic. */
async function fullPath(core: ServingCore, state: DegradeState, user: string, limit: number, opts: RecommendOptions): Promise<RecommendResult> {
  try {
    return { ...(await recommend(withGuard(core, state), user, limit, opts)), path: 'full' };
  } catch (err) {
    if (!(isPymkError(err) && err.code === 'PYMK_RANKER_UNAVAILABLE')) throw err;
    const r = await recommend({ ...core, scorer: HEURISTIC }, user, limit, opts);
    return degraded(state, { ...r, path: 'heuristic' }, 'ranker-unavailable', limit);
  }
}

/** A model scorer behind the ranker breaker (heuristic scorers are reads of stored columns: not guarded). */
function withGuard(core: ServingCore, state: DegradeState): RecommendDeps {
  if (!core.scorer.name.startsWith('model:')) return core;
  let g = guarded.get(core.scorer);
  if (!g) guarded.set(core.scorer, (g = guardScorer(core.scorer, state.breakers.ranker)));
  return { ...core, scorer: g };
}

/** Under overload: the local list when it is the version the store serves, else the store's. */
async function cheapPath(core: ServingCore, state: DegradeState, user: string, limit: number): Promise<RecommendResult | null> {
  if (core.local && core.local.version() === core.store.version()) {
    const r = await localStatic(core.local, user, limit);
    if (r) return r;
  }
  return tryStatic(core.store, state, user, limit, 'static');
}

/** The store failed: the bundle on this server's disk; with no local bundle (memory store), the store's static list. */
async function storeDown(core: ServingCore, state: DegradeState, user: string, limit: number): Promise<RecommendResult | null> {
  if (!core.local) return tryStatic(core.store, state, user, limit, 'static');
  const r = await localStatic(core.local, user, limit);
  if (r) return r;
  try {
    // Known to the local bundle: its answer stands even when empty (a user with no connections has no 2-hop).
    const live = await recommend({ store: core.local, scorer: HEURISTIC, rules: core.rules, ann: null }, user, limit);
    return { ...live, path: 'local-2hop' };
  } catch (err) {
    if (isPymkError(err) && err.code === 'PYMK_USER_NOT_FOUND') return null; // unknown to the local bundle (joined since)
    throw err;
  }
}

async function localStatic(local: OnlineStore, user: string, limit: number): Promise<RecommendResult | null> {
  const uid = await local.resolveUser(user);
  return uid === null ? null : staticAnswer(local, uid, user, limit, 'local-static');
}

/** The static answer, or null when there is none or it failed (a failure not the client's is counted and reported). */
async function tryStatic(store: OnlineStore, state: DegradeState, user: string, limit: number, path: ServePath): Promise<RecommendResult | null> {
  try {
    const uid = await store.resolveUser(user);
    if (uid === null) throw new PymkError('PYMK_USER_NOT_FOUND', `user '${user}' not found`);
    const r = await staticAnswer(store, uid, user, limit, path);
    state.staticFailures.ok();
    return r;
  } catch (err) {
    // A client error (unknown user) is not a failure of the fallback: the full path answers it, or already did.
    if (!(isPymkError(err) && err.statusCode < 500)) state.staticFailures.fail(err, 'answering from the next fallback');
    return null;
  }
}

/**
 * Static answers are read this many entries past the limit: the pairs excluded since the bundle are
 * filtered out afterwards (degraded), and the answer is cut to the limit then, not short by them.
 */
export const STATIC_SLACK = 10;

async function staticAnswer(store: OnlineStore, uid: number, user: string, limit: number, path: ServePath): Promise<RecommendResult | null> {
  const list = await store.staticList(uid);
  if (!list) return null;
  const n = Math.min(limit + STATIC_SLACK, list.cand.length);
  const ids = await store.externalIds(list.cand.subarray(0, n));
  return {
    user,
    version: store.version(),
    source: 'static',
    path,
    recommendations: ids.map((id, i) => ({ id, score: list.score[i], reasons: [] })),
  };
}

function stale(cache: ResultCache, user: string, limit: number): RecommendResult | null {
  const r = cache.stale(user, limit);
  return r ? { ...r, source: 'stale-cache', path: 'stale-cache' } : null;
}

/** A fallback's answer: counted, filtered by the exclusions since the bundle, then cut to the limit. */
function degraded(state: DegradeState, r: RecommendResult, reason: DegradeReason, limit: number): RecommendResult {
  state.degraded++;
  state.onDegraded(r.path ?? 'full', reason);
  // The full path's fallbacks (heuristic) read the live store; the others are older than the events.
  const live = r.path === 'heuristic' || !state.exclusions ? r : state.exclusions.filter(r);
  return { ...live, recommendations: live.recommendations.slice(0, limit), degraded: r.degraded ?? reason };
}

function reasonOf(err: unknown): DegradeReason {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EOPENBREAKER') return 'store-breaker-open';
  if (code === 'ETIMEDOUT') return 'store-timeout';
  if (code === 'PYMK_RANKER_UNAVAILABLE') return 'ranker-unavailable';
  return 'store-failed';
}
