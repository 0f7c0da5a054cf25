/**
 * A fast path for JSON-lines readers: scans a flat JSON object on raw bytes without allocating, recording
 * where each known key's value lies. It accepts only the common shape — known keys, each at most once,
 * values that are strings without escapes, non-negative integers, true, false or null — and says "no" to
 * anything else (escapes, control characters, fractions, nesting …), so the caller falls back to JSON.parse,
 * which also produces the error messages.
 */

export const ABSENT = 0;
export const STRING = 1;
export const INTEGER = 2;
export const NULL = 3;
export const TRUE = 4;
export const FALSE = 5;

const QUOTE = 34;
const BACKSLASH = 92;

export class FlatJsonScanner {
  /** Per key: ABSENT, STRING, INTEGER, NULL, TRUE or FALSE. */
  readonly kind: Uint8Array;
  /** Per key: the value's bytes (a string's without its quotes). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  private readonly keys: Buffer[];

  constructor(keys: readonly string[]) {
    this.keys = keys.map((k) => Buffer.from(k));
    this.kind = new Uint8Array(keys.length);
    this.start = new Int32Array(keys.length);
    this.end = new Int32Array(keys.length);
  }

  /** True when `buf[s, e)` is a flat object of the accepted shape; the spans are then filled in. */
  scan(buf: Buffer, s: number, e: number): boolean {
    this.kind.fill(ABSENT);
    let i = ws(buf, s, e);
    if (i >= e || buf[i] !== 123) return false; // '{'
    i = ws(buf, i + 1, e);
    if (i < e && buf[i] === 125) return ws(buf, i + 1, e) === e; // '{}'
    for (;;) {
      if (i >= e || buf[i] !== QUOTE) return false;
      const ks = i + 1;
      let j = ks;
      while (j < e && buf[j] !== QUOTE && buf[j] !== BACKSLASH) j++;
      if (j >= e || buf[j] !== QUOTE) return false;
      const k = this.keyIndex(buf, ks, j);
      if (k < 0 || this.kind[k] !== ABSENT) return false;
      i = ws(buf, j + 1, e);
      if (i >= e || buf[i] !== 58) return false; // ':'
      i = ws(buf, i + 1, e);
      if (i >= e) return false;
      const c = buf[i];
      if (c === QUOTE) {
        let q = i + 1;
        while (q < e && buf[q] !== QUOTE && buf[q] !== BACKSLASH && buf[q] >= 32) q++;
        if (q >= e || buf[q] !== QUOTE) return false;
        this.set(k, STRING, i + 1, q);
        i = q + 1;
      } else if (c >= 48 && c <= 57) {
        let q = i + 1;
        while (q < e && buf[q] >= 48 && buf[q] <= 57) q++;
        if (q < e && (buf[q] === 46 || buf[q] === 101 || buf[q] === 69)) return false; // '.', 'e', 'E'
        if (c === 48 && q - i > 1) return false; // a leading zero is not JSON
        this.set(k, INTEGER, i, q);
        i = q;
      } else if (word(buf, i, e, 'null')) {
        this.set(k, NULL, i, i + 4);
        i += 4;
      } else if (word(buf, i, e, 'true')) {
        this.set(k, TRUE, i, i + 4);
        i += 4;
      } else if (word(buf, i, e, 'false')) {
        this.set(k, FALSE, i, i + 5);
        i += 5;
      } else return false;
      i = ws(buf, i, e);
      if (i >= e) return false;
      if (buf[i] === 125) return ws(buf, i + 1, e) === e; // '}'
      if (buf[i] !== 44) return false; // ','
      i = ws(buf, i + 1, e);
    }
  }

  private set(k: number, kind: number, s: number, e: number): void {
    this.kind[k] = kind;
    this.start[k] = s;
    this.end[k] = e;
  }

  private keyIndex(buf: Buffer, s: number, e: number): number {
    const n = e - s;
    for (let k = 0; k < this.keys.length; k++) {
      const key = this.keys[k];
      if (key.length !== n) continue;
      let i = 0;
      while (i < n && key[i] === buf[s + i]) i++;
      if (i === n) return k;
    }
    return -1;
  }
}

/** The index of the first non-whitespace byte at or after i. */
function ws(buf: Buffer, i: number, e: number): number {
  while (i < e) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
    i++;
  }
  return i;
}

function word(buf: Buffer, i: number, e: number, w: string): boolean {
  if (e - i < w.length) return false;
  for (let k = 0; k < w.length; k++) if (buf[i + k] !== w.charCodeAt(k)) return false;
  return true;
}

/**
 * Whether a scanned value can be an id the way the general path reads one: a non-empty string, or an
 * integer short enough to be a safe integer (JSON.parse would round a longer one, and that row is refused).
 */
export function isIdValue(kind: number, s: number, e: number): boolean {
  return (kind === STRING && e > s) || (kind === INTEGER && e - s <= 15);
}

/** Whether two byte ranges hold the same bytes. */
export function sameBytes(buf: Buffer, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (buf[s1 + i] !== buf[s2 + i]) return false;
  return true;
}

/** A non-negative integer from digit bytes (≤ 15 digits), or -1. */
export function digitsValue(buf: Buffer, s: number, e: number): number {
  if (e - s > 15 || e === s) return -1;
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + (buf[i] - 48);
  return v;
}
