/**
 * The user-id grammar (docs/formats.md, "User ids"): what text may name a user. An id that breaks it is a
 * malformed row (`bad_id`), never a new user. Default: at most 256 bytes of UTF-8, printable (no control or
 * invisible format characters, no invalid UTF-8), no whitespace, no delimiter or quote characters
 * (`,` `"` `'`), so every id can be written back into any of the edge-list formats unquoted. A dataset may
 * widen or narrow it in `dataset.json` (`"ids": { "maxBytes", "allow", "pattern" }`); control and invisible
 * characters and invalid UTF-8 are always refused.
 */

export interface IdGrammarOptions {
  /** Longest id in UTF-8 bytes (default 256). */
  maxBytes?: number;
  /** Characters of the default-refused set (space, `,`, `"`, `'`) to allow inside an id, e.g. " ,". */
  allow?: string;
  /** A JavaScript regular expression every id must also match (e.g. "^u[0-9]+$"). */
  pattern?: string;
}

export const DEFAULT_ID_MAX_BYTES = 256;
/** Refused by default, allowed one by one with `allow`. */
export const OPTIONAL_ID_CHARS = ' ,"\'';

/** C0/C1 controls, DEL, zero-width and bidi format characters, line/paragraph separators, BOM, U+FFFD (invalid UTF-8), lone surrogates. */
const ALWAYS_REFUSED = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ufffd]|\p{Cs}/u;
const WHITESPACE = /\s/u;

export class IdGrammar {
  readonly maxBytes: number;
  private readonly refused: Set<string>;
  private readonly pattern: RegExp | null;

  constructor(opts: IdGrammarOptions = {}) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_ID_MAX_BYTES;
    this.refused = new Set([...OPTIONAL_ID_CHARS].filter((c) => !(opts.allow ?? '').includes(c)));
    this.pattern = opts.pattern === undefined ? null : new RegExp(opts.pattern, 'u');
  }

  /** Whether a custom pattern applies (it may refuse even plain decimal ids). */
  get hasPattern(): boolean {
    return this.pattern !== null;
  }

  /** Why `id` is not a valid user id, or null when it is. `bytes` is its UTF-8 length when known. */
  problem(id: string, bytes = Buffer.byteLength(id)): string | null {
    if (id.length === 0) return 'expected a non-empty id';
    if (bytes > this.maxBytes) return `id is ${bytes} bytes long, the limit is ${this.maxBytes}`;
    const bad = ALWAYS_REFUSED.exec(id);
    if (bad) return `id holds ${bad[0] === '\ufffd' ? 'invalid UTF-8 (or U+FFFD)' : `the non-printable character U+${codeOf(bad[0])}`} at offset ${bad.index}`;
    if (id.trim() !== id) return 'id has leading or trailing whitespace';
    for (let i = 0; i < id.length; i++) {
      const c = id[i];
      if (this.refused.has(c)) return `id holds ${c === ' ' ? 'a space' : `the character ${JSON.stringify(c)}`} at offset ${i} (a delimiter or quote; allow it with dataset.json "ids": {"allow": ...})`;
      if (c !== ' ' && WHITESPACE.test(c)) return `id holds the whitespace character U+${codeOf(c)} at offset ${i}`;
    }
    if (this.pattern && !this.pattern.test(id)) return `id does not match the dataset's id pattern /${this.pattern.source}/`;
    return null;
  }
}

function codeOf(c: string): string {
  return (c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
}
