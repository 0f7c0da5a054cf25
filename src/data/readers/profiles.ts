/**
 * Profile reader: `users.jsonl` (one JSON object per line) or `users.csv` (a header of the same field
 * names). Each row is validated field by field; a bad row is skipped and counted with the field that was
 * wrong, and unknown fields are ignored and reported once each.
 */
import {
  FLAG_BANNED,
  FLAG_DEACTIVATED,
  PROFILE_FIELDS,
  emptyProfiles,
  growProfiles,
  setProfile,
  type Profile,
  type ProfileField,
  type ProfileTable,
} from '../../core/tables.js';
import { PymkError } from '../../core/errors.js';
import type { FileReport } from '../world.js';
import { RowAccount, type AccountOptions } from './accounting.js';
import { BAD_TS, MAX_TS, TS_EXPECTED, parseTimestamp, quote, splitCsv } from './fields.js';
import { inputName, scanLines, type LineInput } from './lines.js';
import { ABSENT, FALSE, FlatJsonScanner, INTEGER, NULL, STRING, TRUE, digitsValue, isIdValue } from './flatJson.js';
import { BytesDictionary, type IdInterner } from './ids.js';
import { parseJsonObject, readId, type Problem } from './jsonRows.js';

export interface ProfileReadOptions extends AccountOptions {
  /** Default: `csv` for *.csv / *.csv.gz, else `jsonl`. */
  format?: 'jsonl' | 'csv';
}

export interface ProfileReadResult {
  /** Rows by dense id; may hold more rows than ids (see fitProfiles). */
  profiles: ProfileTable;
  report: FileReport;
}

/** The fields a profile row may have. */
export const PROFILE_KEYS = ['id', ...PROFILE_FIELDS, 'seniority', 'joined_at', 'deactivated', 'banned'] as const;
const KNOWN = new Set<string>(PROFILE_KEYS);

/** Reads profiles into a table indexed by the dense ids of `ids` (new ids are added). */
export async function readProfiles(input: LineInput, ids: IdInterner, opts: ProfileReadOptions = {}): Promise<ProfileReadResult> {
  const path = inputName(input);
  const acc = new RowAccount(path, 'profiles', opts);
  const format = opts.format ?? (/\.csv(\.gz)?$/i.test(path) ? 'csv' : 'jsonl');
  const rows = new ProfileRows();
  const fast = format === 'jsonl' ? new FastProfileLine(ids, rows) : null;
  const unknown = new Set<string>();
  let header: string[] | null = null;
  let headerText: string | null = null;

  const store = (lineNo: number, p: Profile): void => {
    const uid = ids.fromString(p.id);
    if (uid < 0) return acc.malformed('bad_id', lineNo, `field 'id' ${quote(p.id)}: ${ids.problem}`);
    if (!rows.claim(uid)) return acc.malformed('duplicate_id', lineNo, `id ${quote(p.id)} already has a profile earlier in the file`);
    setProfile(rows.table, uid, p);
    acc.rowsKept++;
  };
  const noteUnknown = (key: string, lineNo: number): void => {
    if (KNOWN.has(key) || unknown.has(key)) return;
    unknown.add(key);
    acc.note(`unknown field '${key}' ignored (first on line ${lineNo})`);
  };

  const scan = await scanLines(
    input,
    (buf, s, e, lineNo) => {
      acc.at(buf, s, e);
      if (fast !== null && fast.take(buf, s, e)) {
        acc.rowsRead++;
        acc.rowsKept++;
        return;
      }
      const text = buf.toString('utf8', s, e);
      if (text.trim() === '') return;
      if (format === 'csv' && header === null) {
        header = readHeader(text, acc, lineNo);
        headerText = text;
        header.forEach((k) => noteUnknown(k, lineNo));
        return;
      }
      acc.rowsRead++;
      if (text === headerText) return acc.malformed('repeated_header', lineNo, 'expected a data row, got the header line again (concatenated files?)');
      let get: (k: string) => unknown;
      if (format === 'csv') {
        const f = splitCsv(text);
        if (f === null) return acc.malformed('unterminated_quote', lineNo, 'expected a closing quote (fields cannot span lines)');
        const h = header!;
        if (f.length !== h.length) {
          return acc.malformed('wrong_column_count', lineNo, `expected ${h.length} columns as in the header, got ${f.length}`);
        }
        get = (k) => {
          const i = h.indexOf(k);
          return i < 0 || f[i] === '' ? undefined : f[i];
        };
      } else {
        const row = parseJsonObject(text);
        if (!row.ok) return acc.malformed(row.reason, lineNo, row.message);
        const o = row.value;
        for (const k in o) noteUnknown(k, lineNo);
        get = (k) => o[k];
      }
      const r = toProfile(get, format === 'csv');
      if ('reason' in r) return acc.malformed(r.reason, lineNo, r.message);
      store(lineNo, r);
    },
    acc.progress,
  );
  if (format === 'csv' && header === null && acc.rowsRead === 0) acc.note('empty file: no header and no rows');
  return { profiles: rows.table, report: acc.finish(scan.sha256) };
}

/** The table being filled, grown by doubling, with a mark per user that already has a row. */
class ProfileRows {
  table = emptyProfiles(1024);
  private seen = new Uint8Array(1024);

  /** Makes room for `uid`; false when it already has a row. */
  claim(uid: number): boolean {
    if (uid >= this.table.n) {
      const cap = Math.max(this.table.n * 2, uid + 1);
      this.table = growProfiles(this.table, cap);
      const s = new Uint8Array(cap);
      s.set(this.seen);
      this.seen = s;
    }
    if (this.seen[uid] === 1) return false;
    this.seen[uid] = 1;
    return true;
  }
}

const [ID, SENIORITY, JOINED, DEACTIVATED, BANNED] = [0, 5, 6, 7, 8];
const NO_CODES = [-1, -1, -1, -1];

/**
 * The allocation-free path for a well-formed JSONL row with known fields only: values are checked first,
 * then the id and the field values are interned from bytes and written into the table. Anything else
 * (or a duplicate id) goes to the general path, which reports it.
 */
class FastProfileLine {
  private readonly json = new FlatJsonScanner(PROFILE_KEYS);
  private readonly dicts: BytesDictionary[];
  private readonly codes = [...NO_CODES];

  constructor(
    private readonly ids: IdInterner,
    private readonly rows: ProfileRows,
  ) {
    this.dicts = PROFILE_FIELDS.map((f) => new BytesDictionary(rows.table.dicts[f]));
  }

  take(buf: Buffer, s: number, e: number): boolean {
    const j = this.json;
    if (!j.scan(buf, s, e)) return false;
    const { kind, start, end } = j;
    if (!isIdValue(kind[ID], start[ID], end[ID])) return false;
    for (let f = 1; f <= PROFILE_FIELDS.length; f++) if (kind[f] !== ABSENT && kind[f] !== NULL && kind[f] !== STRING) return false;
    let seniority = -1;
    if (kind[SENIORITY] === INTEGER) seniority = digitsValue(buf, start[SENIORITY], end[SENIORITY]);
    else if (kind[SENIORITY] !== ABSENT && kind[SENIORITY] !== NULL) return false;
    if (seniority > 10) return false;
    let joined = 0;
    if (kind[JOINED] === INTEGER) joined = digitsValue(buf, start[JOINED], end[JOINED]);
    else if (kind[JOINED] === STRING) joined = parseTimestamp(buf.toString('utf8', start[JOINED], end[JOINED]).trim());
    else if (kind[JOINED] !== ABSENT && kind[JOINED] !== NULL) return false;
    if (joined < 0 || joined > MAX_TS) return false;
    let flags = 0;
    for (const [k, bit] of [[DEACTIVATED, FLAG_DEACTIVATED], [BANNED, FLAG_BANNED]]) {
      if (kind[k] === TRUE) flags |= bit;
      else if (kind[k] !== FALSE && kind[k] !== ABSENT && kind[k] !== NULL) return false;
    }
    const uid = this.ids.fromBytes(buf, start[ID], end[ID]);
    if (uid < 0 || !this.rows.claim(uid)) return false;
    const t = this.rows.table;
    for (let f = 0; f < PROFILE_FIELDS.length; f++) {
      const k = f + 1;
      const empty = kind[k] !== STRING || start[k] === end[k];
      t.codes[PROFILE_FIELDS[f]][uid] = empty ? -1 : this.dicts[f].code(buf, start[k], end[k]);
    }
    t.seniority[uid] = seniority;
    t.joinedAt[uid] = joined;
    t.flags[uid] = flags;
    return true;
  }
}

/** A profile table with exactly n rows: grown with missing rows, or cut to the first n. */
export function fitProfiles(t: ProfileTable, n: number): ProfileTable {
  if (n >= t.n) return growProfiles(t, n);
  const out = emptyProfiles(n);
  out.dicts = t.dicts;
  for (const f of PROFILE_FIELDS) out.codes[f].set(t.codes[f].subarray(0, n));
  out.seniority.set(t.seniority.subarray(0, n));
  out.joinedAt.set(t.joinedAt.subarray(0, n));
  out.flags.set(t.flags.subarray(0, n));
  return out;
}

function readHeader(text: string, acc: RowAccount, lineNo: number): string[] {
  const h = (splitCsv(text) ?? []).map((x) => x.trim());
  if (!h.includes('id')) {
    throw new PymkError(
      'PYMK_BAD_INPUT',
      `${acc.path}:${lineNo}: expected a header line naming the columns (${PROFILE_KEYS.join(', ')}), with 'id' among them; got ${quote(text)}`,
      { path: acc.path },
    );
  }
  const twice = h.find((x, i) => h.indexOf(x) !== i);
  if (twice !== undefined) {
    throw new PymkError('PYMK_BAD_INPUT', `${acc.path}:${lineNo}: the header names the column ${quote(twice)} twice; expected each column once`, {
      path: acc.path,
    });
  }
  return h;
}

/** Validates one row (values from JSON, or strings from CSV where '' reads as absent). */
function toProfile(get: (k: string) => unknown, fromCsv: boolean): Profile | Problem {
  const id = readId(get('id'), 'id');
  if (typeof id !== 'string') return id;
  const p: Profile = {
    id,
    company: null,
    school: null,
    location: null,
    industry: null,
    seniority: null,
    joinedAt: null,
    deactivated: false,
    banned: false,
  };
  for (const f of PROFILE_FIELDS) {
    const v = get(f);
    if (v == null) continue;
    if (typeof v !== 'string') return bad(f, 'a string or null', v);
    p[f as ProfileField] = v;
  }
  const sen = get('seniority');
  if (sen != null) {
    const n = fromCsv && typeof sen === 'string' && /^\d+$/.test(sen) ? Number(sen) : sen;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 10) return bad('seniority', 'an integer 0..10 or null', sen);
    p.seniority = n;
  }
  const joined = get('joined_at');
  if (joined != null) {
    const t = typeof joined === 'number' ? (Number.isInteger(joined) && joined >= 0 && joined <= MAX_TS ? joined : BAD_TS) : typeof joined === 'string' ? parseTimestamp(joined.trim()) : BAD_TS;
    if (t === BAD_TS) return bad('joined_at', `${TS_EXPECTED}, or null`, joined);
    p.joinedAt = t === 0 ? null : t;
  }
  for (const f of ['deactivated', 'banned'] as const) {
    const v = get(f);
    if (v == null) continue;
    const b = typeof v === 'boolean' ? v : fromCsv && typeof v === 'string' ? csvBool(v) : undefined;
    if (b === undefined) return bad(f, fromCsv ? 'true, false, 1, 0 or empty' : 'a boolean', v);
    p[f] = b;
  }
  return p;
}

function csvBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return undefined;
}

function bad(field: string, expected: string, got: unknown): Problem {
  return { reason: `bad_${field}`, message: `field '${field}' must be ${expected}, got ${quote(got)}` };
}
