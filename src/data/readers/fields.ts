/**
 * Field parsers shared by the readers: timestamps (epoch seconds or ISO 8601), CSV records, and the quoting
 * of bad values in messages. Each parser returns a value or a sentinel, never throws, so readers can count
 * the problem against the row.
 */

/** Largest timestamp a Uint32 column holds (2106-02-07). */
export const MAX_TS = 0xffffffff;
/** Returned by parseTimestamp for input that is not a timestamp. */
export const BAD_TS = -1;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** What parseTimestamp accepts, for messages. */
export const TS_EXPECTED = 'epoch seconds (integer 0..4294967295) or ISO 8601';

/**
 * Epoch seconds from `s`: an integer (a fraction is floored) or an ISO 8601 date or date-time; a date-time
 * without a zone is UTC. Empty → 0 (unknown). Anything else, or out of the Uint32 range → BAD_TS.
 */
export function parseTimestamp(s: string): number {
  if (s.length === 0) return 0;
  const c = s.charCodeAt(0);
  if (c >= 48 && c <= 57 && (s.length < 5 || s.charCodeAt(4) !== 45)) return parseEpoch(s);
  return parseIso(s);
}

/** `digits[.digits]` as epoch seconds (floored), or BAD_TS. */
function parseEpoch(s: string): number {
  let v = 0;
  let i = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (i < s.length) {
    if (s.charCodeAt(i) !== 46 || i === s.length - 1) return BAD_TS;
    for (let j = i + 1; j < s.length; j++) {
      const d = s.charCodeAt(j) - 48;
      if (d < 0 || d > 9) return BAD_TS;
    }
  }
  return v > MAX_TS ? BAD_TS : v;
}

/** Epoch seconds of an ISO 8601 date or date-time (UTC unless a zone is given), or BAD_TS. */
export function parseIso(s: string): number {
  const m = ISO.exec(s);
  if (m === null) return BAD_TS;
  const [y, mo, d, h = '0', mi = '0', sec = '0'] = m.slice(1, 7);
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec);
  const back = new Date(ms);
  if (back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +sec > 60) return BAD_TS;
  let t = Math.floor(ms / 1000);
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offMin = +digits.slice(0, 2) * 60 + (digits.length > 2 ? +digits.slice(2) : 0);
    t -= sign * offMin * 60;
  }
  return t < 0 || t > MAX_TS ? BAD_TS : t;
}

/** A value quoted for an error message: JSON text, shortened. */
export function quote(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'nothing' : JSON.stringify(v);
  } catch {
    // not JSON-able (a BigInt, a cycle): its String() still names it
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

/**
 * Splits one CSV record (RFC 4180 quoting, `""` inside quotes) on `sep`. Returns null when a quote is left
 * open (fields spanning lines are not supported).
 */
export function splitCsv(line: string, sep = ','): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && line[i] === ' ') i++;
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) return null;
        v += line.slice(i, q);
        if (line[q + 1] === '"') {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      while (i < n && line[i] === ' ') i++;
      out.push(v);
      if (i >= n) return out;
      if (line[i] !== sep) return null;
      i++;
    } else {
      const e = line.indexOf(sep, i);
      const end = e === -1 ? n : e;
      out.push(line.slice(i, end).trim());
      if (e === -1) return out;
      i = e + 1;
    }
  }
}

/** Formats one CSV field, quoting it when it holds a separator, a quote, or outer spaces. */
export function csvField(v: string): string {
  if (/[",\t\r\n]/.test(v) || v.trim() !== v || v === '') return `"${v.replace(/"/g, '""')}"`;
  return v;
}
