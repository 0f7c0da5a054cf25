/**
 * Interns external user ids into the dataset's Dictionary without allocating a string per line:
 * - canonical decimal ids (no sign, no leading zero, ≤ 15 digits) are keyed by their value (a direct table
 *   while ids are dense, a Map beyond);
 * - any other id is keyed by its bytes in an open-addressing table over a byte arena.
 * Both are caches in front of the Dictionary, which stays the one source of truth, so "17" and 17 are the
 * same user however they were read, and "017" is a different one.
 */
import type { Dictionary } from '../../core/dictionary.js';

/** The direct table never outgrows this many slots per known id (plus a fixed 1M slots). */
const DIRECT_SLOTS_PER_ID = 8;
const DIRECT_MIN = 1 << 20;

export class IdInterner {
  private readonly numeric = new Map<number, number>();
  /** direct[v] = dense id + 1 of the numeric id v (0 = not cached). Grows while ids stay dense enough. */
  private direct = new Int32Array(1024);
  private readonly bytes: BytesDictionary;

  constructor(readonly ids: Dictionary) {
    this.bytes = new BytesDictionary(ids);
  }

  /** The dense id of the id spelled by `buf[s, e)` (non-empty, UTF-8). */
  fromBytes(buf: Buffer, s: number, e: number): number {
    const len = e - s;
    if (len <= 15 && (len === 1 || buf[s] !== 48)) {
      let v = 0;
      let i = s;
      for (; i < e; i++) {
        const c = buf[i] - 48;
        if (c < 0 || c > 9) break;
        v = v * 10 + c;
      }
      if (i === e) return this.fromNumber(v);
    }
    return this.bytes.code(buf, s, e);
  }

  /** The dense id of a non-negative safe integer id. */
  fromNumber(v: number): number {
    const direct = this.direct;
    if (v < direct.length) {
      const c = direct[v];
      if (c !== 0) return c - 1;
      return (direct[v] = this.ids.code(String(v)) + 1) - 1;
    }
    if (v < DIRECT_MIN + DIRECT_SLOTS_PER_ID * this.ids.size && this.growDirect(v)) return this.fromNumber(v);
    let c = this.numeric.get(v);
    if (c === undefined) {
      c = this.ids.code(String(v));
      this.numeric.set(v, c);
    }
    return c;
  }

  /** The dense id of an id given as text (or a JSON integer already turned into text). */
  fromString(s: string): number {
    return this.ids.code(s);
  }

  /** Doubles the direct table until it holds v, as long as it stays within its memory bound. */
  private growDirect(v: number): boolean {
    let len = this.direct.length;
    while (len <= v) len *= 2;
    if (len > DIRECT_MIN + DIRECT_SLOTS_PER_ID * this.ids.size) return false;
    const d = new Int32Array(len);
    d.set(this.direct);
    this.direct = d;
    return true;
  }
}

/** A Dictionary whose codes can be looked up by UTF-8 bytes; only a value's first sighting makes a string. */
export class BytesDictionary {
  private readonly table = new ByteKeyTable();

  constructor(readonly dict: Dictionary) {}

  /** The code of the value spelled by `buf[s, e)`, assigned on first sight. */
  code(buf: Buffer, s: number, e: number): number {
    const h = hashBytes(buf, s, e);
    const c = this.table.get(buf, s, e, h);
    if (c >= 0) return c;
    const code = this.dict.code(buf.toString('utf8', s, e));
    this.table.insert(buf, s, e, h, code);
    return code;
  }
}

/** FNV-1a over bytes. */
function hashBytes(buf: Buffer, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h | 0;
}

/**
 * Open addressing (linear probing, load ≤ 1/2): byte string → code. A slot is 32 bytes — code, hash,
 * length, arena offset, then up to 16 key bytes inline — so a lookup of a short id touches one cache line;
 * longer keys are compared against their copy in the arena.
 */
class ByteKeyTable {
  private mask = 1023;
  private slots = newSlots(1024);
  private bytes = new Uint8Array(this.slots.buffer);
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private size = 0;

  get(buf: Buffer, s: number, e: number, h: number): number {
    const n = e - s;
    const slots = this.slots;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const base = i << 3;
      const c = slots[base];
      if (c < 0) return -1;
      if (slots[base + 1] !== h || slots[base + 2] !== n) continue;
      let k = 0;
      if (n <= INLINE) {
        const bytes = this.bytes;
        const o = (base << 2) + 16;
        while (k < n && bytes[o + k] === buf[s + k]) k++;
      } else {
        const arena = this.arena;
        const o = slots[base + 3];
        while (k < n && arena[o + k] === buf[s + k]) k++;
      }
      if (k === n) return c;
    }
  }

  insert(buf: Buffer, s: number, e: number, h: number, code: number): void {
    const n = e - s;
    let off = 0;
    if (n > INLINE) {
      if (this.used + n > this.arena.length) {
        const a = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + n));
        this.arena.copy(a, 0, 0, this.used);
        this.arena = a;
      }
      buf.copy(this.arena, this.used, s, e);
      off = this.used;
      this.used += n;
    }
    const base = this.place(h, code, off, n);
    if (n <= INLINE) this.bytes.set(buf.subarray(s, e), (base << 2) + 16);
    if (++this.size * 2 > this.mask + 1) this.rehash();
  }

  /** Writes a slot's header; returns its base index in `slots`. */
  private place(h: number, code: number, off: number, n: number): number {
    let i = h & this.mask;
    while (this.slots[i << 3] >= 0) i = (i + 1) & this.mask;
    const base = i << 3;
    this.slots[base] = code;
    this.slots[base + 1] = h;
    this.slots[base + 2] = n;
    this.slots[base + 3] = off;
    return base;
  }

  private rehash(): void {
    const old = this.slots;
    const oldBytes = this.bytes;
    const cap = (this.mask + 1) * 2;
    this.mask = cap - 1;
    this.slots = newSlots(cap);
    this.bytes = new Uint8Array(this.slots.buffer);
    for (let b = 0; b < old.length; b += 8) {
      if (old[b] < 0) continue;
      const base = this.place(old[b + 1], old[b], old[b + 3], old[b + 2]);
      this.bytes.set(oldBytes.subarray((b << 2) + 16, (b << 2) + 32), (base << 2) + 16);
    }
  }
}

/** Keys up to this many bytes live inside their slot. */
const INLINE = 16;

function newSlots(cap: number): Int32Array {
  const s = new Int32Array(cap * 8);
  for (let i = 0; i < s.length; i += 8) s[i] = -1;
  return s;
}
