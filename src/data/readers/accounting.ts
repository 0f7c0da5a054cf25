/**
 * Row accounting for one input file: rows read and kept, rows skipped by reason, the first few problems
 * quoted, and the malformed-row limit. Nothing is dropped without being counted here.
 */
import { PymkError } from '../../core/errors.js';
import type { FileReport, ImportReport } from '../world.js';
import type { ScanProgress } from './lines.js';

/** How many problems a report quotes. */
export const MAX_SAMPLES = 5;
/** The floor of the default malformed-row limit; the limit is max(this, 1% of rows read). */
export const DEFAULT_BAD_ROW_FLOOR = 1000;

export interface AccountOptions {
  /** A fixed malformed-row limit for this file; default max(1000, 1% of rows read). */
  maxBadRows?: number;
}

/** Builds a FileReport while a file is read; throws PYMK_TOO_MANY_BAD_ROWS when the limit is passed. */
export class RowAccount {
  rowsRead = 0;
  rowsKept = 0;
  /** Malformed rows so far (rows skipped by rule, e.g. self-loops, are not malformed). */
  bad = 0;
  readonly skipped: Record<string, number> = {};
  readonly samples: string[] = [];
  readonly notes: string[] = [];
  readonly progress: ScanProgress = { bytesRead: 0, size: 0, compressed: false };

  constructor(
    readonly path: string,
    readonly kind: FileReport['kind'],
    private readonly opts: AccountOptions = {},
  ) {}

  /** Counts a malformed row, quoting `line:` + `problem`, and aborts when the limit is passed. */
  malformed(reason: string, lineNo: number, problem: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    this.bad++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${this.path}:${lineNo}: ${problem}`);
    if (this.bad > this.limitNow()) this.abort(this.limitNow());
  }

  /** Counts a well-formed row that a rule drops (self-loop, duplicate pair …); not held against the limit. */
  dropped(reason: string, n = 1): void {
    if (n > 0) this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
  }

  /** A remark for the report that is not a skipped row (e.g. an unknown field, reported once). */
  note(text: string): void {
    this.notes.push(text);
  }

  /** The final limit check (exact, on all rows read) and the report. */
  finish(sha256: string): FileReport {
    const limit = this.opts.maxBadRows ?? Math.max(DEFAULT_BAD_ROW_FLOOR, Math.floor(this.rowsRead / 100));
    if (this.bad > limit) this.abort(limit);
    const report: FileReport = {
      path: this.path,
      kind: this.kind,
      rowsRead: this.rowsRead,
      rowsKept: this.rowsKept,
      skipped: { ...this.skipped },
      samples: [...this.samples],
      sha256,
    };
    if (this.notes.length > 0) report.notes = [...this.notes];
    return report;
  }

  /**
   * The limit that can already be enforced mid-file without ever aborting a file the final check would
   * accept: 1% of an upper bound on the rows still to come (each row takes at least two bytes).
   */
  private limitNow(): number {
    if (this.opts.maxBadRows !== undefined) return this.opts.maxBadRows;
    if (this.bad <= DEFAULT_BAD_ROW_FLOOR) return DEFAULT_BAD_ROW_FLOOR;
    const p = this.progress;
    if (p.compressed || p.size === 0) return Infinity;
    const rowsBound = this.rowsRead + Math.max(0, p.size - p.bytesRead) / 2;
    return Math.max(DEFAULT_BAD_ROW_FLOOR, Math.floor(rowsBound / 100));
  }

  private abort(limit: number): never {
    const why = this.opts.maxBadRows !== undefined ? `limit ${limit}` : `limit ${limit} = max(${DEFAULT_BAD_ROW_FLOOR}, 1% of rows)`;
    throw new PymkError(
      'PYMK_TOO_MANY_BAD_ROWS',
      `${this.path}: more than ${limit} malformed rows (${this.bad} after ${this.rowsRead} rows; ${why}); ` +
        `first problems:\n  ${this.samples.join('\n  ')}`,
      { path: this.path, skipped: { ...this.skipped }, samples: [...this.samples] },
    );
  }
}

/** A short human summary of an import report, one block per file. */
export function formatReport(report: ImportReport): string {
  const out: string[] = [];
  for (const f of report.files) {
    out.push(`${f.kind} ${f.path}: ${f.rowsKept} kept of ${f.rowsRead} rows read (sha256 ${f.sha256.slice(0, 12)}…)`);
    const reasons = Object.entries(f.skipped);
    if (reasons.length > 0) out.push(`  skipped: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
    for (const s of f.samples) out.push(`  ! ${s}`);
    for (const s of f.notes ?? []) out.push(`  note: ${s}`);
  }
  return out.join('\n');
}
