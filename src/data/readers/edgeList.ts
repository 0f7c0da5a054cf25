/**
 * Edge-list reader: `src dst [ts]` per line, separated by commas, tabs or runs of spaces (detected from the
 * first data line), `#`/`%` comments, an optional header, numeric or string ids, ts as epoch seconds or
 * ISO 8601. Works on the raw bytes of each line; only ids that are not plain numbers are decoded to text.
 */
import { PymkError } from '../../core/errors.js';
import { EdgeBuilder, type EdgeTable } from '../../core/tables.js';
import type { FileReport } from '../world.js';
import { RowAccount, type AccountOptions } from './accounting.js';
import { dedupeEdges } from './dedupe.js';
import { BAD_TS, MAX_TS, TS_EXPECTED, parseTimestamp, quote, splitCsv } from './fields.js';
import { INVALID_ID, UNKNOWN_ID, type IdInterner } from './ids.js';
import { inputName, scanLines, type LineInput } from './lines.js';

/** Which columns hold the endpoints and (optionally) the time; 0-based. */
export interface EdgeColumns {
  src: number;
  dst: number;
  ts?: number;
}

export interface EdgeListOptions extends AccountOptions {
  /** Keep pairs as directed (only identical (src, dst) rows merge). Default false. */
  directed?: boolean;
  /** Column separator; default detected from the first data line. */
  delimiter?: ',' | '\t' | ' ';
  /** Explicit columns; extra columns are then allowed. Default: from a header, else `src dst [ts]`. */
  columns?: EdgeColumns;
  /**
   * When a profile file was read (`ids.known` set): 'keep' (default) keeps a row naming a user absent from
   * it, counted as flagged `unknown_user`; 'reject' rejects the row as `unknown_user` (ids must be frozen).
   */
  unknownUsers?: 'keep' | 'reject';
}

export interface EdgeListResult {
  edges: EdgeTable;
  report: FileReport;
  /** The header's column names, when the file had one. */
  header: string[] | null;
}

const SPACE = 32;
const TAB = 9;
const COMMA = 44;
const QUOTE = 34;
const MAX_FIELDS = 32;
/** split(): a quote inside an unquoted field. */
const STRAY_QUOTE = -2;

const SRC_NAMES = ['src', 'source', 'from', 'src_id', 'source_id', 'from_id', 'u', 'user', 'user_id', 'id1', 'id_1', 'node1', 'node_1'];
const DST_NAMES = ['dst', 'target', 'to', 'dst_id', 'target_id', 'to_id', 'v', 'friend', 'friend_id', 'id2', 'id_2', 'node2', 'node_2'];
const TS_NAMES = ['ts', 'time', 'timestamp', 'date', 'datetime', 'created_at', 'connected_at', 'unixts'];
const OTHER_NAMES = ['weight', 'rating', 'sign', 'label', 'type'];
const KNOWN_NAMES = new Set([...SRC_NAMES, ...DST_NAMES, ...TS_NAMES, ...OTHER_NAMES]);
const COLS2: EdgeColumns = { src: 0, dst: 1 };
const COLS3: EdgeColumns = { src: 0, dst: 1, ts: 2 };
const NAME_LIKE = /^[A-Za-z_][\w .\-]*$/;

/** Reads an edge list, interning ids into `ids`; self-loops and repeated pairs are dropped and counted. */
export async function readEdgeList(input: LineInput, ids: IdInterner, opts: EdgeListOptions = {}): Promise<EdgeListResult> {
  const acc = new RowAccount(inputName(input), 'connections', opts);
  const parser = new EdgeLineParser(acc, ids, opts);
  const scan = await scanLines(
    input,
    (b, s, e, n) => {
      acc.at(b, s, e);
      parser.line(b, s, e, n);
    },
    acc.progress,
  );
  const raw = parser.finish();
  const { edges, duplicates } = dedupeEdges(ids.ids.size, raw, opts.directed ?? false);
  acc.dropped('duplicate_pair', duplicates);
  acc.rowsKept = edges.count;
  return { edges, report: acc.finish(scan.sha256), header: parser.header };
}

/** Parses one line at a time; holds the per-file state (separator, columns, header). */
class EdgeLineParser {
  private builder = new EdgeBuilder();
  header: string[] | null = null;
  private sep = 0;
  private started = false;
  /** The header line's bytes, to recognise it when it comes again (concatenated files). */
  private headerLine: Buffer | null = null;
  private readonly keepUnknown: boolean;
  private cols: EdgeColumns | null;
  /** Exact field count a row must have (0 = `src dst [ts]`, i.e. 2 or 3; -1 = at least the used columns). */
  private width = 0;
  private readonly fs = new Int32Array(MAX_FIELDS);
  private readonly fe = new Int32Array(MAX_FIELDS);
  /** Whether the first data row's ids were both digits (null before it): later text ids are then flagged. */
  private numericIds: boolean | null = null;

  constructor(
    private readonly acc: RowAccount,
    private readonly ids: IdInterner,
    opts: EdgeListOptions,
  ) {
    this.cols = opts.columns ?? null;
    if (this.cols) this.width = -1;
    if (opts.delimiter) this.sep = opts.delimiter.charCodeAt(0);
    this.keepUnknown = opts.unknownUsers !== 'reject';
  }

  /** The rows kept; the builder's (over-allocated) columns are dropped so they can be collected. */
  finish(): EdgeTable {
    const t = this.builder.finish();
    this.builder = new EdgeBuilder();
    return t;
  }

  line(buf: Buffer, s: number, e: number, lineNo: number): void {
    while (s < e && (buf[s] === SPACE || buf[s] === TAB)) s++;
    while (e > s && (buf[e - 1] === SPACE || buf[e - 1] === TAB)) e--;
    if (s === e || buf[s] === 35 || buf[s] === 37) return; // blank, '#', '%'
    if (!this.started) {
      this.started = true;
      if (this.sep === 0) this.sep = detectSeparator(buf, s, e);
      if (this.detectHeader(buf.toString('utf8', s, e), lineNo)) {
        this.headerLine = Buffer.from(buf.subarray(s, e));
        return;
      }
    }
    const acc = this.acc;
    acc.rowsRead++;
    const h = this.headerLine;
    if (h !== null && h.length === e - s && h.equals(buf.subarray(s, e))) {
      return acc.malformed('repeated_header', lineNo, 'expected a data row, got the header line again (concatenated files?)');
    }
    const nf = this.split(buf, s, e);
    if (nf === STRAY_QUOTE) return acc.malformed('stray_quote', lineNo, 'expected a quote only around a whole field (a quote inside a field is written "" within a quoted field)');
    if (nf < 0) return this.slowLine(buf.toString('utf8', s, e), lineNo);
    const cols = this.cols ?? (nf === 3 ? COLS3 : COLS2);
    if (!this.widthOk(nf, cols)) return acc.malformed('wrong_column_count', lineNo, this.widthProblem(nf));
    const fs = this.fs;
    const fe = this.fe;
    if (fs[cols.src] === fe[cols.src] || fs[cols.dst] === fe[cols.dst]) {
      return acc.malformed('empty_id', lineNo, `expected a non-empty ${fs[cols.src] === fe[cols.src] ? 'src' : 'dst'} id`);
    }
    let t = 0;
    if (cols.ts !== undefined && cols.ts < nf) {
      t = bytesTimestamp(buf, fs[cols.ts], fe[cols.ts]);
      if (t === BAD_TS) {
        const raw = buf.toString('utf8', fs[cols.ts], fe[cols.ts]);
        return acc.malformed('bad_ts', lineNo, tsProblem(raw));
      }
    }
    const u = this.ids.fromBytes(buf, fs[cols.src], fe[cols.src]);
    if (u < 0) return this.badId(u, 'src', buf.toString('utf8', fs[cols.src], fe[cols.src]), lineNo);
    const v = this.ids.fromBytes(buf, fs[cols.dst], fe[cols.dst]);
    if (v < 0) return this.badId(v, 'dst', buf.toString('utf8', fs[cols.dst], fe[cols.dst]), lineNo);
    if (this.numericIds !== false && !this.idKindOk(bytesDigits(buf, fs[cols.src], fe[cols.src]) && bytesDigits(buf, fs[cols.dst], fe[cols.dst]))) {
      this.flagTextId(buf.toString('utf8', fs[cols.src], fe[cols.src]), buf.toString('utf8', fs[cols.dst], fe[cols.dst]), lineNo);
    }
    this.keep(u, v, t, lineNo);
  }

  /**
   * The first data row decides whether the file's ids are numbers; after numeric ones, a row with a text id
   * is kept but flagged `text_id` — most often a header line in the middle (concatenated files) or a stray line.
   */
  private idKindOk(digits: boolean): boolean {
    if (this.numericIds === null) this.numericIds = digits;
    return digits || !this.numericIds;
  }

  private flagTextId(a: string, b: string, lineNo: number): void {
    const id = DIGITS.test(a) ? b : a;
    this.acc.flag('text_id', lineNo, `id ${quote(id)} is not a number, where the file's first row's ids are: a header line in the middle, or a stray line?`);
  }

  private badId(code: number, which: string, raw: string, lineNo: number): void {
    if (code === UNKNOWN_ID) return this.acc.malformed('unknown_user', lineNo, `${which} id ${quote(raw)} has no row in the profile file (unknownUsers: 'reject')`);
    if (code === INVALID_ID) return this.acc.malformed('bad_id', lineNo, `${which} ${quote(raw)}: ${this.ids.problem}`);
  }

  private keep(u: number, v: number, t: number, lineNo: number): void {
    if (this.keepUnknown && (this.ids.isUnknown(u) || this.ids.isUnknown(v))) {
      const id = this.ids.ids.value(this.ids.isUnknown(u) ? u : v);
      this.acc.flag('unknown_user', lineNo, `id ${quote(id)} has no row in the profile file (kept: unknownUsers 'keep')`);
    }
    if (u === v) this.acc.dropped('self_loop');
    else this.builder.push(u, v, t);
  }

  /** A comma-separated line with quoted fields: the rare path, on decoded text. */
  private slowLine(text: string, lineNo: number): void {
    const acc = this.acc;
    const f = splitCsv(text, String.fromCharCode(this.sep));
    if (f === null) return acc.malformed('unterminated_quote', lineNo, 'expected a closing quote (fields cannot span lines)');
    const cols = this.cols ?? (f.length === 3 ? COLS3 : COLS2);
    if (!this.widthOk(f.length, cols)) return acc.malformed('wrong_column_count', lineNo, this.widthProblem(f.length));
    const a = f[cols.src];
    const b = f[cols.dst];
    if (a === '' || b === '') return acc.malformed('empty_id', lineNo, `expected a non-empty ${a === '' ? 'src' : 'dst'} id`);
    const t = cols.ts !== undefined && cols.ts < f.length ? parseTimestamp(f[cols.ts]) : 0;
    if (t === BAD_TS) return acc.malformed('bad_ts', lineNo, tsProblem(f[cols.ts!]));
    const u = this.ids.fromString(a);
    if (u < 0) return this.badId(u, 'src', a, lineNo);
    const v = this.ids.fromString(b);
    if (v < 0) return this.badId(v, 'dst', b, lineNo);
    if (this.numericIds !== false && !this.idKindOk(DIGITS.test(a) && DIGITS.test(b))) this.flagTextId(a, b, lineNo);
    this.keep(u, v, t, lineNo);
  }

  private widthOk(nf: number, cols: EdgeColumns): boolean {
    if (this.width === 0) return nf === 2 || nf === 3;
    // With a header, a row may leave out a trailing ts column (time unknown).
    if (this.width > 0) return nf === this.width || (nf === this.width - 1 && cols.ts === nf);
    return nf > Math.max(cols.src, cols.dst) && (cols.ts === undefined || nf > cols.ts);
  }

  private widthProblem(nf: number): string {
    const sep = this.sep === COMMA ? "','" : this.sep === TAB ? 'tabs' : 'spaces';
    const want =
      this.width === 0
        ? '2 or 3 columns (src dst [ts])'
        : this.width > 0
          ? `${this.width} columns (as in the header)`
          : `at least ${Math.max(this.cols!.src, this.cols!.dst, this.cols!.ts ?? 0) + 1} columns`;
    const hint = this.width === 0 && nf > 3 ? ' (name the columns with --columns SRC,DST[,TS], 0-based, or connections.columns in dataset.json)' : '';
    return `expected ${want} separated by ${sep}, got ${nf >= MAX_FIELDS ? `${MAX_FIELDS}+` : nf}${hint}`;
  }

  /**
   * Field boundaries into fs/fe; the count, -1 when a quoted field needs the slow path, or STRAY_QUOTE when a
   * quote appears inside an unquoted field (or anywhere in a space-separated line, which has no quoting).
   */
  private split(buf: Buffer, s: number, e: number): number {
    const fs = this.fs;
    const fe = this.fe;
    const sep = this.sep;
    let nf = 0;
    let i = s;
    if (sep === SPACE) {
      while (i < e && nf < MAX_FIELDS) {
        fs[nf] = i;
        while (i < e && buf[i] !== SPACE && buf[i] !== TAB) if (buf[i++] === QUOTE) return STRAY_QUOTE;
        fe[nf++] = i;
        while (i < e && (buf[i] === SPACE || buf[i] === TAB)) i++;
      }
      return i < e ? MAX_FIELDS : nf;
    }
    for (;;) {
      if (nf === MAX_FIELDS) return MAX_FIELDS;
      let a = i;
      let quotes = 0;
      while (i < e && buf[i] !== sep) if (buf[i++] === QUOTE) quotes++;
      let b = i;
      while (a < b && (buf[a] === SPACE || buf[a] === TAB)) a++;
      while (b > a && (buf[b - 1] === SPACE || buf[b - 1] === TAB)) b--;
      if (a < b && buf[a] === QUOTE) return -1;
      if (quotes > 0) return STRAY_QUOTE;
      fs[nf] = a;
      fe[nf++] = b;
      if (i >= e) return nf;
      i++;
    }
  }

  /** Recognises a header on the first data line and takes its column names; true when it was one. */
  private detectHeader(text: string, lineNo: number): boolean {
    const f = (this.sep === SPACE ? text.split(/[ \t]+/) : splitCsv(text, String.fromCharCode(this.sep))) ?? [];
    if (f.length < 2 || !f.every((x) => NAME_LIKE.test(x))) return false;
    const lower = f.map((x) => x.toLowerCase());
    const known = lower.some((x) => KNOWN_NAMES.has(x));
    if (!known && !(f.length >= 3 && parseTimestamp(f[2]) === BAD_TS)) return false;
    const twice = lower.find((x, i) => lower.indexOf(x) !== i);
    if (twice !== undefined) {
      throw new PymkError('PYMK_BAD_INPUT', `${this.acc.path}:${lineNo}: the header names the column ${quote(twice)} twice; expected each column once`, {
        path: this.acc.path,
      });
    }
    this.header = f;
    if (!this.cols) {
      const find = (names: string[], dflt: number | undefined): number | undefined => {
        const i = lower.findIndex((x) => names.includes(x));
        return i >= 0 ? i : dflt;
      };
      const src = find(SRC_NAMES, 0)!;
      const dst = find(DST_NAMES, src === 1 ? 0 : 1)!;
      const ts = find(TS_NAMES, f.length === 3 ? 2 : undefined);
      this.cols = ts === undefined ? { src, dst } : { src, dst, ts };
      this.width = f.length;
    }
    const c = this.cols;
    this.acc.note(
      `header ${quote(f.join(String.fromCharCode(this.sep === SPACE ? 32 : this.sep)))}: src=${f[c.src]}, dst=${f[c.dst]}` +
        (c.ts !== undefined ? `, ts=${f[c.ts]}` : ', no ts'),
    );
    return true;
  }
}

function tsProblem(raw: string): string {
  const hint = /^\d{12,}$/.test(raw) ? ' (milliseconds? expected seconds)' : '';
  return `ts must be ${TS_EXPECTED}, got ${quote(raw)}${hint}`;
}

function detectSeparator(buf: Buffer, s: number, e: number): number {
  if (buf.subarray(s, e).indexOf(COMMA) >= 0) return COMMA;
  if (buf.subarray(s, e).indexOf(TAB) >= 0) return TAB;
  return SPACE;
}

/** Timestamp from bytes: plain digits on the fast path, anything else through parseTimestamp. */
function bytesTimestamp(buf: Buffer, s: number, e: number): number {
  if (e - s <= 10) {
    let v = 0;
    let i = s;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === e) return v > MAX_TS ? BAD_TS : v;
  }
  return parseTimestamp(buf.toString('utf8', s, e));
}

const DIGITS = /^[0-9]+$/;

/** Whether bytes s..e-1 are all ASCII digits (and there is at least one). */
function bytesDigits(buf: Buffer, s: number, e: number): boolean {
  if (s >= e) return false;
  for (let i = s; i < e; i++) if (buf[i] < 48 || buf[i] > 57) return false;
  return true;
}
