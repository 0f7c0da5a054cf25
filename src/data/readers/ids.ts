/**
 * Interns external user ids into the dataset's Dictionary without allocating a string per line:
 * - canonical decimal ids (no sign, no leading zero, ≤ 15 digits) are keyed by their value (a direct table
 *   while ids are dense, a Map beyond);
 * - any other id is keyed by its bytes in an open-addressing table over a byte arena.
 * Both are caches in front of the Dictionary, which stays the one source of truth, so "17" and 17 are the
 * same user however they were read, and "017" is a different one.
 *
 * Every id is checked against the dataset's IdGrammar on its first sighting: an invalid id gets no dense id
 * (INVALID_ID, with `problem` saying why). Once `freeze()` is called (a profile file is the list of users and
 * `unknownUsers` is 'reject'), an id not seen yet gets UNKNOWN_ID instead of a new dense id.
 */
import type { Dictionary } from '../../core/dictionary.js';
import { IdGrammar } from './idGrammar.js';

/** Returned for an id that breaks the grammar (see IdInterner.problem). */
export const INVALID_ID = -1;
/** Returned, once frozen, for a valid id that has no dense id yet. */
export const UNKNOWN_ID = -2;

/** The direct table never outgrows this many slots per known id (plus a fixed 1M slots). */
const DIRECT_SLOTS_PER_ID = 8;
const DIRECT_MIN = 1 << 20;

export class IdInterner {
  private readonly numeric = new Map<number, number>();
  /** direct[v] = dense id + 1 of the numeric id v (0 = not cached). Grows while ids stay dense enough. */
  private direct = new Int32Array(1024);
  private readonly bytes: BytesDictionary;
  /** Why the last INVALID_ID was returned. */
  problem = '';
  /** Dense ids below this were known when the interner was frozen (Infinity: not frozen). */
  known = Infinity;
  private frozen = false;
  /** Whether canonical decimal ids need the grammar's check too (only a custom pattern can refuse them). */
  private readonly checkNumbers: boolean;

  constructor(
    readonly ids: Dictionary,
    readonly grammar: IdGrammar = new IdGrammar(),
  ) {
    this.checkNumbers = grammar.problem('1234567890') !== null || grammar.problem('0') !== null || grammar.hasPattern;
    this.bytes = new BytesDictionary(ids, (v, n) => this.admit(v, n));
  }

  /** From now on, ids not seen yet are UNKNOWN_ID; ids from here on (`known`) are the ones already seen. */
  freeze(): void {
    this.frozen = true;
    this.known = this.ids.size;
  }

  /** Marks the ids seen so far as "known" without freezing: later ids still get dense ids (≥ known). */
  markKnown(): void {
    this.known = this.ids.size;
  }

  /** Whether a dense id was first seen after markKnown()/freeze(). */
  isUnknown(id: number): boolean {
    return id >= this.known;
  }

  /** Checks a value on first sight: a code for it may be created (true), or `problem`/UNKNOWN_ID apply. */
  private admit(v: string, bytes: number): number {
    const p = this.grammar.problem(v, bytes);
    if (p !== null) {
      this.problem = p;
      return INVALID_ID;
    }
    if (this.frozen) {
      const c = this.ids.lookup(v);
      return c >= 0 ? c : UNKNOWN_ID;
    }
    return this.ids.code(v);
  }

  /** The dense id of the id spelled by `buf[s, e)` (UTF-8), INVALID_ID or UNKNOWN_ID. */
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

  /** The dense id of a non-negative safe integer id, INVALID_ID or UNKNOWN_ID. */
  fromNumber(v: number): number {
    const direct = this.direct;
    if (v < direct.length) {
      const c = direct[v];
      if (c !== 0) return c - 1;
      const code = this.numberCode(v);
      if (code >= 0) direct[v] = code + 1;
      return code;
    }
    if (v < DIRECT_MIN + DIRECT_SLOTS_PER_ID * this.ids.size && this.growDirect(v)) return this.fromNumber(v);
    let c = this.numeric.get(v);
    if (c === undefined) {
      c = this.numberCode(v);
      if (c >= 0) this.numeric.set(v, c);
    }
    return c;
  }

  private numberCode(v: number): number {
    const s = String(v);
    if (this.checkNumbers || this.frozen) return this.admit(s, s.length);
    return this.ids.code(s);
  }

  /** The dense id of an id given as text (or a JSON integer already turned into text), INVALID_ID or UNKNOWN_ID. */
  fromString(s: string): number {
    const c = this.ids.lookup(s);
    return c >= 0 ? c : this.admit(s, Buffer.byteLength(s));
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

/**
 * A Dictionary whose codes can be looked up by UTF-8 bytes; only a value's first sighting makes a string.
 * `admit` (default: always) decides on first sight: a code ≥ 0 is cached, a negative answer is returned
 * as is and not cached.
 */
export class BytesDictionary {
  private readonly table = new ByteKeyTable();

  constructor(
    readonly dict: Dictionary,
    private readonly admit: (value: string, bytes: number) => number = (v) => dict.code(v),
  ) {}

  /** The code of the value spelled by `buf[s, e)`, assigned on first sight (or admit's negative answer). */
  code(buf: Buffer, s: number, e: number): number {
    const h = hashBytes(buf, s, e);
    const c = this.table.get(buf, s, e, h);
    if (c >= 0) return c;
    const code = this.admit(buf.toString('utf8', s, e), e - s);
    if (code >= 0) this.table.insert(buf, s, e, h, code);
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
