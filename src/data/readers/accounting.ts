/**
 * Row accounting for one input file: rows read and kept, rows skipped by reason, the first few problems
 * quoted, and the malformed-row limit. Nothing is dropped without being counted here.
 */
import { PymkError } from '../../core/errors.js';
import type { FileReport, ImportReport } from '../world.js';
import type { ScanProgress } from './lines.js';

/** How many problems a report quotes. */
export const MAX_SAMPLES = 5;

/** How a kept-but-flagged row's note reads (`flag`), so a reader of the report can pick those notes out. */
const FLAGGED_MARK = ' (kept): ';
export function isFlaggedNote(note: string): boolean {
  return note.includes(FLAGGED_MARK);
}
/** The floor of the default malformed-row limit: a file may always have this many bad rows … */
export const DEFAULT_BAD_ROW_FLOOR = 10;
/** … or this share of its rows, whichever is larger … */
export const DEFAULT_BAD_ROW_SHARE = 0.01;
/** … but never this share or more: a file that is half garbage fails whatever its size. */
export const DEFAULT_BAD_ROW_CAP = 0.5;
/** Bytes of a rejected line kept in its rejects record. */
export const REJECT_TEXT_BYTES = 200;

/**
 * The malformed-row limit of a file: `N` (a count), `"P%"` (a share of the rows read) or the default,
 * max(10, 1% of rows) capped below half the rows.
 */
export type BadRowLimit = number | `${number}%`;

/** One rejected row, as written to the bundle's `data/rejects.jsonl`. */
export interface Reject {
  file: string;
  line: number;
  reason: string;
  /** What was expected. */
  message: string;
  /** The line's text, cut to REJECT_TEXT_BYTES bytes (with "…" when cut). */
  text: string;
}

export interface AccountOptions {
  /** This file's malformed-row limit (see BadRowLimit); default max(10, 1% of rows), below half the rows. */
  maxBadRows?: BadRowLimit;
  /** Told of every rejected row, in file order. */
  onReject?: (r: Reject) => void;
}

/** Checks a limit given as a flag or config value; PYMK_BAD_PARAM when it is neither `N` nor `P%`. */
export function parseBadRowLimit(v: string | number): BadRowLimit {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
    if (m && Number(m[1]) <= 100) return v as `${number}%`;
  }
  throw new PymkError('PYMK_BAD_PARAM', `max bad rows must be a count N (integer ≥ 0) or a share "P%" (0..100), got ${JSON.stringify(v)}`);
}

/** The limit for a file of `rows` data rows. Non-decreasing in `rows` (so mid-file checks can use a bound). */
export function badRowLimit(limit: BadRowLimit | undefined, rows: number): number {
  if (typeof limit === 'number') return limit;
  if (typeof limit === 'string') return Math.floor((rows * Number(limit.slice(0, -1))) / 100);
  const allowed = Math.max(DEFAULT_BAD_ROW_FLOOR, Math.floor(rows * DEFAULT_BAD_ROW_SHARE));
  return Math.max(0, Math.min(allowed, Math.ceil(rows * DEFAULT_BAD_ROW_CAP) - 1));
}

function describeLimit(limit: BadRowLimit | undefined): string {
  if (typeof limit === 'number') return `limit ${limit}`;
  if (typeof limit === 'string') return `limit ${limit} of rows`;
  return `default limit max(${DEFAULT_BAD_ROW_FLOOR}, ${DEFAULT_BAD_ROW_SHARE * 100}% of rows), below ${DEFAULT_BAD_ROW_CAP * 100}% of rows`;
}

/** Builds a FileReport while a file is read; throws PYMK_TOO_MANY_BAD_ROWS when the limit is passed. */
export class RowAccount {
  rowsRead = 0;
  rowsKept = 0;
  /** Malformed rows so far (rows skipped by rule, e.g. self-loops, are not malformed). */
  bad = 0;
  readonly skipped: Record<string, number> = {};
  /** Rows kept that a check flagged (e.g. `unknown_user` with unknownUsers 'keep'), by reason. */
  readonly flagged: Record<string, number> = {};
  readonly samples: string[] = [];
  readonly notes: string[] = [];
  readonly progress: ScanProgress = { bytesRead: 0, size: 0, compressed: false };
  private lineBuf: Buffer | null = null;
  private lineStart = 0;
  private lineEnd = 0;

  constructor(
    readonly path: string,
    readonly kind: FileReport['kind'],
    private readonly opts: AccountOptions = {},
  ) {}

  /** The line being read (its text goes into a rejects record); valid until the next call. */
  at(buf: Buffer, s: number, e: number): void {
    this.lineBuf = buf;
    this.lineStart = s;
    this.lineEnd = e;
  }

  /** Counts a malformed row, quoting `line:` + `problem`, and aborts when the limit is passed. */
  malformed(reason: string, lineNo: number, problem: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    this.bad++;
    if (this.samples.length < MAX_SAMPLES) this.samples.push(`${this.path}:${lineNo}: ${problem}`);
    this.opts.onReject?.({ file: this.path, line: lineNo, reason, message: problem, text: this.lineText() });
    if (this.bad > this.limitNow()) this.abort(this.limitNow());
  }

  /** Counts a kept row a check flagged; the first few are noted with their line. */
  flag(reason: string, lineNo: number, problem: string): void {
    const n = (this.flagged[reason] = (this.flagged[reason] ?? 0) + 1);
    if (n <= MAX_SAMPLES) this.notes.push(`${reason}${FLAGGED_MARK}${this.path}:${lineNo}: ${problem}`);
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
    const limit = badRowLimit(this.opts.maxBadRows, this.rowsRead);
    if (this.bad > limit) this.abort(limit);
    const report: FileReport = {
      path: this.path,
      kind: this.kind,
      rowsRead: this.rowsRead,
      rowsKept: this.rowsKept,
      skipped: { ...this.skipped },
      malformed: this.bad,
      samples: [...this.samples],
      sha256,
    };
    if (Object.keys(this.flagged).length > 0) report.flagged = { ...this.flagged };
    if (this.notes.length > 0) report.notes = [...this.notes];
    return report;
  }

  private lineText(): string {
    const b = this.lineBuf;
    if (b === null) return '';
    const cut = this.lineEnd - this.lineStart > REJECT_TEXT_BYTES;
    return b.toString('utf8', this.lineStart, cut ? this.lineStart + REJECT_TEXT_BYTES : this.lineEnd) + (cut ? '…' : '');
  }

  /**
   * The limit that can already be enforced mid-file without ever aborting a file the final check would
   * accept: the limit for an upper bound on the rows still to come (each row takes at least two bytes).
   */
  private limitNow(): number {
    const p = this.progress;
    if (typeof this.opts.maxBadRows === 'number') return this.opts.maxBadRows;
    if (p.compressed || p.size === 0) return Infinity;
    const rowsBound = this.rowsRead + Math.max(0, p.size - p.bytesRead) / 2;
    return badRowLimit(this.opts.maxBadRows, Math.floor(rowsBound));
  }

  private abort(limit: number): never {
    throw new PymkError(
      'PYMK_TOO_MANY_BAD_ROWS',
      `${this.path}: more than ${limit} malformed rows (${this.bad} of ${this.rowsRead} rows read; ${describeLimit(this.opts.maxBadRows)}); ` +
        `by reason: ${Object.entries(this.skipped).map(([r, n]) => `${r} ${n}`).join(', ')}; first problems:\n  ${this.samples.join('\n  ')}`,
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
    const flagged = Object.entries(f.flagged ?? {});
    if (flagged.length > 0) out.push(`  kept but flagged: ${flagged.map(([r, n]) => `${r} ${n}`).join(', ')}`);
    for (const s of f.samples) out.push(`  ! ${s}`);
    for (const s of f.notes ?? []) out.push(`  note: ${s}`);
  }
  for (const w of report.warnings ?? []) out.push(`warning: ${w}`);
  return out.join('\n');
}
