/**
 * Circuit breakers (opossum) around the two dependencies a request can wait on: the store (the whole full
 * path, which is store round trips plus in-process work) and the ranking model. A breaker counts failures
 * and timeouts over a rolling window of BREAKER_WINDOW_MS; at half of at least `volume` calls failing it opens, and calls
 * are refused at once (no waiting on a store that is away) until `resetMs` later one trial call goes
 * through; its success closes the breaker. A client's mistake (any 4xx PymkError) is never counted.
 */
import CircuitBreaker from 'opossum';
import { PymkError, isPymkError } from '../core/errors.js';
import type { RankingInputs } from '../store/types.js';
import type { Scorer } from '../rank/scorer.js';

/**
 * The window failures are counted over. Short on purpose: the successes of a long window dilute a sudden
 * outage (measured: with 10 s and ~500 req/s before a Redis kill, the breaker stayed closed for 5 s and every
 * request paid the full-path timeout); with 2 s it opens within about a second of the first failures.
 */
export const BREAKER_WINDOW_MS = 2000;

export interface BreakerOptions {
  /** Calls slower than this many ms fail (and count). */
  timeoutMs: number;
  /** How long an open breaker waits before it lets one trial call through. */
  resetMs: number;
  /** Calls in the window before the breaker may open (default 10). */
  volume?: number;
}

/** Runs thunks through one breaker: `run(fn)` is `fn()` with the breaker's timeout, counting and refusal. */
export class Breaker {
  private readonly cb: CircuitBreaker<[() => Promise<unknown>], unknown>;

  constructor(
    readonly name: string,
    opts: BreakerOptions,
  ) {
    this.cb = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      name,
      timeout: opts.timeoutMs,
      resetTimeout: opts.resetMs,
      errorThresholdPercentage: 50,
      volumeThreshold: opts.volume ?? 10,
      rollingCountTimeout: BREAKER_WINDOW_MS,
      rollingCountBuckets: 4,
      // A client's mistake (unknown user, bad parameter) says nothing about the dependency's health.
      errorFilter: (err: unknown) => isPymkError(err) && err.statusCode < 500,
    });
  }

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.cb.fire(fn) as Promise<T>;
  }

  /** 'closed' (calls pass), 'open' (refused at once) or 'half-open' (the next call is the trial). */
  state(): 'closed' | 'open' | 'half-open' {
    return this.cb.halfOpen ? 'half-open' : this.cb.opened ? 'open' : 'closed';
  }

  /** Calls refused because the breaker was open, and calls that timed out, since start. */
  counts(): { rejects: number; timeouts: number; failures: number } {
    const s = this.cb.stats;
    return { rejects: s.rejects, timeouts: s.timeouts, failures: s.failures };
  }

  shutdown(): void {
    this.cb.shutdown();
  }
}

/** True for a breaker's own refusal (open) or its timeout: the call never answered. */
export function isBreakerError(err: unknown): err is Error & { code: 'EOPENBREAKER' | 'ETIMEDOUT' } {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && (code === 'EOPENBREAKER' || code === 'ETIMEDOUT');
}

/**
 * The scorer with the ranker breaker around each call: a model that fails, runs over its time or whose
 * breaker is open raises PYMK_RANKER_UNAVAILABLE, which the degradation chain answers with the heuristic.
 * (onnxruntime's run() blocks the event loop, so a timeout is noticed after it returns; it still counts.)
 */
export function guardScorer(scorer: Scorer, breaker: Breaker): Scorer {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await breaker.run(fn);
    } catch (err) {
      if (isPymkError(err) && err.statusCode < 500) throw err;
      throw new PymkError('PYMK_RANKER_UNAVAILABLE', `ranker '${scorer.name}': ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const batch = scorer.scoreBatch?.bind(scorer);
  return {
    name: scorer.name,
    score: (inputs: RankingInputs) => guard(async () => scorer.score(inputs)),
    ...(batch ? { scoreBatch: (all: RankingInputs[]) => guard(async () => batch(all)) } : {}),
  };
}
