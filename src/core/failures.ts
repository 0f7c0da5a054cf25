/**
 * Failures a component handles itself (it goes on without the failed work: a store refresh keeps the
 * generation it has, an ANN search gives no candidates) are counted, the last one is kept, and each change
 * of state is reported once: the first failure after a success, and the first success after failures.
 * Repeats in between are only counted, so a timer that keeps failing does not flood the log.
 */

/** Where a component reports an error it handled: the error, and what failed and what it does instead. */
export type WarnFn = (err: unknown, what: string) => void;

/** The callbacks a FailureTracker reports state changes to. */
export interface FailureReport {
  /** The first failure after a success (or the first ever). */
  onError?: WarnFn;
  /** The first success after failures. */
  onRecover?: (what: string) => void;
}

export interface FailureStats {
  /** Failures since the component started. */
  failures: number;
  /** Failures since the last success. */
  consecutive: number;
  /** The most recent failure, kept after a recovery. */
  lastError: unknown;
}

export class FailureTracker {
  private total = 0;
  private run = 0;
  private last: unknown = null;

  /** `what` names the operation in the reports, e.g. "store refresh of redis://…". */
  constructor(
    private readonly what: string,
    private readonly report: FailureReport = {},
  ) {}

  /** Records a failure; reports it when it ends a run of successes. */
  fail(err: unknown, consequence: string): void {
    this.total++;
    this.run++;
    this.last = err;
    if (this.run === 1) this.report.onError?.(err, `${this.what} failed; ${consequence}`);
  }

  /** Records a success; reports the recovery when it ends a run of failures. */
  ok(): void {
    if (this.run === 0) return;
    const n = this.run;
    this.run = 0;
    this.report.onRecover?.(`${this.what} recovered after ${n} failure${n === 1 ? '' : 's'}`);
  }

  stats(): FailureStats {
    return { failures: this.total, consecutive: this.run, lastError: this.last };
  }
}
