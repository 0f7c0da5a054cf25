/**
 * Progress reporting for long pipeline work. One interface, three outputs chosen once:
 * a live bar (cli-progress) when stderr is a terminal, a log line every few seconds when it is not
 * (CI, files, pipes), and nothing at all under `node --test` or when asked.
 *
 * `tick()` is cheap enough for a per-item call in a hot loop: it adds to a counter and only looks at the
 * clock every 0.1% of the total.
 */
import cliProgress from 'cli-progress';
import { envVar } from './config.js';

/** A progress handle for one piece of work with a known total. */
export interface Progress {
  /** Adds `n` (default 1) finished units. */
  tick(n?: number): void;
  /** Sets the number of finished units. */
  update(done: number): void;
  /** Ends the bar; safe to call more than once. */
  done(): void;
}

/** Creates a progress handle: `progress('build CSR', n)`. Bars are meant to run one at a time. */
export type ProgressFactory = (label: string, total: number) => Progress;

export type ProgressMode = 'auto' | 'bar' | 'log' | 'silent';

/** A sink for human-readable log lines (no trailing newline). */
export type LogFn = (line: string) => void;

export interface ProgressOptions {
  /** 'auto' (default): 'bar' on a TTY, 'log' otherwise, 'silent' under node's test runner. */
  mode?: ProgressMode;
  /** Where bars are drawn (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Where 'log' mode writes (default: a line on stderr). */
  log?: LogFn;
  /** Minimum time between log lines in 'log' mode (default 5000 ms). */
  intervalMs?: number;
  /** Clock in ms, for tests (default performance.now). */
  clock?: () => number;
}

/** Decides what 'auto' means here and now. */
export function resolveProgressMode(mode: ProgressMode = 'auto', stream: NodeJS.WriteStream = process.stderr): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  if (envVar('NODE_TEST_CONTEXT')) return 'silent';
  return stream.isTTY ? 'bar' : 'log';
}

/** The default log sink: one line on stderr. */
export const stderrLog: LogFn = (line) => {
  process.stderr.write(`${line}\n`);
};

const SILENT: Progress = { tick() {}, update() {}, done() {} };

export function fmtCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${Math.round(s - m * 60)}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** Builds the factory that stages receive as `ctx.progress`. */
export function progressFactory(opts: ProgressOptions = {}): ProgressFactory {
  const stream = opts.stream ?? process.stderr;
  const mode = resolveProgressMode(opts.mode, stream);
  if (mode === 'silent') return () => SILENT;
  const clock = opts.clock ?? (() => performance.now());
  if (mode === 'log') {
    const log = opts.log ?? stderrLog;
    const interval = opts.intervalMs ?? 5000;
    return (label, total) => new LogProgress(label, total, log, interval, clock);
  }
  return (label, total) => new BarProgress(label, total, stream);
}

/** Shared counting with a cheap "is it time to look at the clock" threshold. */
abstract class Counting implements Progress {
  protected value = 0;
  private nextCheck: number;
  private readonly step: number;
  private finished = false;

  constructor(protected readonly total: number) {
    this.step = Math.max(1, Math.floor(total / 1000));
    this.nextCheck = this.step;
  }

  tick(n = 1): void {
    this.value += n;
    if (this.value >= this.nextCheck) {
      this.nextCheck = this.value + this.step;
      this.report();
    }
  }

  update(done: number): void {
    this.value = done;
    this.nextCheck = done + this.step;
    this.report();
  }

  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.finish();
  }

  protected abstract report(): void;
  protected abstract finish(): void;
}

class LogProgress extends Counting {
  private readonly start: number;
  private last: number;
  private lines = 0;

  constructor(
    private readonly label: string,
    total: number,
    private readonly log: LogFn,
    private readonly interval: number,
    private readonly clock: () => number,
  ) {
    super(total);
    this.start = this.last = clock();
  }

  protected report(): void {
    const now = this.clock();
    if (now - this.last < this.interval) return;
    this.last = now;
    this.lines++;
    const elapsed = now - this.start;
    const frac = this.total > 0 ? Math.min(1, this.value / this.total) : 0;
    const eta = frac > 0 ? (elapsed * (1 - frac)) / frac : NaN;
    this.log(
      `${this.label}: ${(frac * 100).toFixed(1)}% (${fmtCount(this.value)}/${fmtCount(this.total)}) ` +
        `${fmtSeconds(elapsed)} elapsed${Number.isFinite(eta) ? `, eta ${fmtSeconds(eta)}` : ''}`,
    );
  }

  protected finish(): void {
    // Short work stays quiet; work that reported progress also reports its end.
    if (this.lines > 0) this.log(`${this.label}: done, ${fmtCount(this.value)} in ${fmtSeconds(this.clock() - this.start)}`);
  }
}

class BarProgress extends Counting {
  private readonly bar: cliProgress.SingleBar;

  constructor(label: string, total: number, stream: NodeJS.WriteStream) {
    super(total);
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted} | eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
        formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? fmtCount(v) : String(v)),
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0);
  }

  protected report(): void {
    this.bar.update(this.value);
  }

  protected finish(): void {
    this.bar.update(this.value);
    this.bar.stop();
  }
}
