/**
 * Where an answer comes from before the recommend path runs: L1 (this process, ResultCache), then L2 (the
 * shared AnswerCache, when configured), then the path itself, with single-flight (concurrent misses for one
 * user and limit in this process compute once) and a guard against caching what an invalidation overtook.
 *
 * The guard: every user has an epoch in this process, bumped when an invalidation for them arrives. A
 * computation remembers the epoch it started in and is cached (L1, L2) only if no invalidation arrived
 * meanwhile: it may have read the store before the event's write. An invalidation also deletes from L2 the
 * users this process wrote there in the last RACE_WINDOW_MS, so an answer written just before the
 * announcement reached this process is dropped too (the invalidator itself deleted L2 before announcing).
 * And an L2 entry computed (started) before this process last heard its user invalidated is not used: it
 * may have been written by another process in the moment between the delete and that process's re-delete.
 *
 * New users: an ANN answer is a search over every user, so a user created online changes it without an
 * invalidation naming its user. A cached ANN answer computed before this process last inserted new users
 * into its index (`annChangedAt`) is not served: it is computed again (and re-cached).
 */
import type { CandidateSource } from '../store/types.js';
import type { AnswerCache } from '../store/answerCache.js';
import type { FailureTracker } from '../core/failures.js';
import type { RecommendResult } from '../recommend/recommend.js';
import type { ResultCache } from './cache.js';
import type { Metrics } from './metrics.js';
import type { Breaker } from './breakers.js';

/** How long after writing a user's answer to L2 this process deletes it again on an invalidation. */
export const RACE_WINDOW_MS = 5000;
/** The longest L2 TTL (PYMK_L2_TTL ≤ 4 h): invalidation times older than this no longer matter. */
const MAX_L2_AGE_MS = 4 * 3600 * 1000;

/** Sources of full-path answers: only these are cached (degraded and empty answers are recomputed). */
const CACHEABLE: ReadonlySet<string> = new Set<CandidateSource>(['stored', 'live-2hop', 'ann', 'profile']);

export function isCacheable(r: RecommendResult): boolean {
  return (r.path === undefined || r.path === 'full') && CACHEABLE.has(r.source);
}

/** Which layer answered: 'l1', 'l2' or 'computed' (the recommend path, or an identical request in flight). */
export type AnswerLayer = 'l1' | 'l2' | 'computed';

export interface Answer {
  result: RecommendResult;
  layer: AnswerLayer;
  /** When the answer was computed, epoch ms. */
  computedAt: number;
}

export class Answers {
  private readonly epochs = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<Answer>>();
  private readonly written = new Map<string, number>();
  /** When this process last heard each user invalidated (epoch ms): older L2 entries are not used. */
  private readonly invalidatedAt = new Map<string, number>();
  private readonly computedAt = new WeakMap<RecommendResult, number>();
  /** L1's counters, bound to their labels once: this is every request's path. */
  private readonly l1Hit: { inc(): void };
  private readonly l1Miss: { inc(): void };

  constructor(
    readonly l1: ResultCache,
    readonly l2: AnswerCache | null,
    private readonly metrics: Metrics,
    /** Failures of L2 (reads and writes): counted and logged once; the answer is computed instead. */
    private readonly l2Failures: FailureTracker,
    private readonly clock: () => number = Date.now,
    /**
     * Around L2 reads: a slow or unreachable L2 costs at most its timeout, and none while the breaker is
     * open (the answer is computed instead). Absent: L2 reads wait on the store's own command timeout.
     */
    private readonly l2Breaker: Breaker | null = null,
    /** When this process's ANN index last took in new users (epoch ms; 0 = never): older ANN answers are recomputed. */
    private readonly annChangedAt: () => number = () => 0,
  ) {
    this.l1Hit = metrics.cache.labels({ layer: 'l1', result: 'hit' });
    this.l1Miss = metrics.cache.labels({ layer: 'l1', result: 'miss' });
  }

  /**
   * The answer for (user, limit) on `version`: from L1, L2, or `compute`. `onMiss` runs on an L1 miss before
   * the L2 lookup, so work `compute` needs can start beside it (the server reads the user's id there).
   */
  async get(user: string, limit: number, version: string, compute: () => Promise<RecommendResult>, onMiss?: () => void): Promise<Answer> {
    return this.fromL1(user, limit, version) ?? this.afterL1(user, limit, version, compute, onMiss);
  }

  /** L1's answer for (user, limit) on `version`, counted as an L1 hit or miss; synchronous (the route's fast path). */
  fromL1(user: string, limit: number, version: string): Answer | undefined {
    let hit = this.l1.get(user, limit, version);
    if (hit && this.outdated(hit, this.computedAt.get(hit) ?? 0)) hit = undefined;
    (hit ? this.l1Hit : this.l1Miss).inc();
    return hit ? { result: hit, layer: 'l1', computedAt: this.computedAt.get(hit) ?? this.clock() } : undefined;
  }

  /** After an L1 miss (fromL1 returned nothing): L2, then `compute`, single-flight per (user, limit). */
  afterL1(user: string, limit: number, version: string, compute: () => Promise<RecommendResult>, onMiss?: () => void): Promise<Answer> {
    const key = `${limit}\u0000${user}`;
    const running = this.inflight.get(key);
    if (running) return running;
    onMiss?.();
    const p = this.miss(user, limit, version, compute).finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async miss(user: string, limit: number, version: string, compute: () => Promise<RecommendResult>): Promise<Answer> {
    const epoch = this.epoch(user);
    if (this.l2) {
      try {
        const l2 = this.l2;
        const t = performance.now();
        const a = this.l2Breaker ? await this.l2Breaker.run(() => l2.get(user, limit, version)) : await l2.get(user, limit, version);
        this.metrics.stages.observe({ stage: 'l2' }, (performance.now() - t) / 1000);
        this.l2Failures.ok();
        this.metrics.cache.inc({ layer: 'l2', result: a ? 'hit' : 'miss' });
        // An entry computed before this process last heard the user invalidated is stale, whoever wrote it
        // (another process may have written it after the invalidator's delete, before its own re-delete).
        if (a && this.epoch(user) === epoch && !this.outdated(a.body as RecommendResult, a.computedAt) && a.computedAt >= (this.invalidatedAt.get(user) ?? 0)) {
          const result = a.body as RecommendResult;
          this.remember(user, limit, result, a.computedAt);
          return { result, layer: 'l2', computedAt: a.computedAt };
        }
      } catch (err) {
        this.l2Failures.fail(err, 'computing the answer instead');
      }
    }
    // computedAt is when the computation started: the answer reflects the store as read from then on.
    const computedAt = this.clock();
    const result = await compute();
    if (isCacheable(result) && this.epoch(user) === epoch) {
      this.remember(user, limit, result, computedAt);
      if (this.l2) {
        this.written.set(user, computedAt);
        // Not awaited: the client does not wait for the cache write.
        this.l2.set(user, limit, { version: result.version, computedAt, body: result }).then(
          () => this.l2Failures.ok(),
          (err: unknown) => this.l2Failures.fail(err, 'the answer was served, not cached in L2'),
        );
      }
    }
    return { result, layer: 'computed', computedAt };
  }

  /** An ANN answer computed before the index last took in new users. */
  private outdated(r: RecommendResult, computedAt: number): boolean {
    return r.source === 'ann' && computedAt < this.annChangedAt();
  }

  private remember(user: string, limit: number, result: RecommendResult, computedAt: number): void {
    this.computedAt.set(result, computedAt);
    this.l1.set(user, limit, result);
  }

  private epoch(user: string): number {
    return this.epochs.get(user) ?? 0;
  }

  /**
   * Users whose answers changed (an invalidation announcement): evicted from L1, their computations in
   * flight not cached, and their L2 entries this process wrote recently deleted again.
   */
  async invalidate(users: readonly string[]): Promise<void> {
    const now = this.clock();
    const again: string[] = [];
    for (const u of users) {
      this.l1.evict(u);
      this.epochs.set(u, this.epoch(u) + 1);
      this.invalidatedAt.set(u, now);
      const w = this.written.get(u);
      if (w !== undefined && now - w < RACE_WINDOW_MS) again.push(u);
    }
    this.metrics.invalidations.inc(users.length);
    this.prune(now);
    if (this.l2 && again.length > 0) {
      await this.l2.delete(again).catch((err: unknown) => this.l2Failures.fail(err, 'an entry written just before an invalidation may stay until its TTL'));
    }
  }

  /** Forgets epochs and writes older than the race window, so the maps stay small. */
  private prune(now: number): void {
    if (this.written.size > 10_000) for (const [u, t] of this.written) if (now - t >= RACE_WINDOW_MS) this.written.delete(u);
    // An L2 entry older than the invalidation lives at most the L2 TTL; past the largest (4 h) it is gone anyway.
    if (this.invalidatedAt.size > 100_000) for (const [u, t] of this.invalidatedAt) if (now - t >= MAX_L2_AGE_MS) this.invalidatedAt.delete(u);
    // An epoch only matters while a computation that started before it runs; those take well under a second.
    if (this.epochs.size > 100_000 && this.inflight.size === 0) this.epochs.clear();
  }
}
