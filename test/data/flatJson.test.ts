import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { ABSENT, FALSE, FlatJsonScanner, INTEGER, NULL, STRING, TRUE } from '../../src/data/readers/flatJson.js';

const KEYS = ['ts', 'type', 'actor', 'target'];

/** What JSON.parse says the scanner should have found, or null when the scanner must decline. */
function reference(text: string): Map<string, unknown> | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const m = new Map<string, unknown>();
  for (const [k, x] of Object.entries(v)) {
    if (!KEYS.includes(k)) return null;
    if (typeof x === 'string' && /[\\"\u0000-\u001f]/.test(x)) return null;
    if (typeof x === 'number' && !(Number.isSafeInteger(x) && x >= 0)) return null;
    if (typeof x === 'object' && x !== null) return null;
    m.set(k, x);
  }
  return m;
}

test('FlatJsonScanner accepts a line only when JSON.parse agrees, and then finds the same values', () => {
  const rng = new Rng(9);
  const pieces = ['"ts"', '"type"', '"actor"', '"target"', '"other"', ':', ',', ' ', '\t', '{', '}', '[', ']', '"x"', '"a\\"b"', '"é"',
    '12', '0', '01', '1.5', '-3', '1e3', 'true', 'false', 'null', 'nul', '"', '""'];
  let accepted = 0;
  const scanner = new FlatJsonScanner(KEYS);
  const check = (text: string): void => {
    const buf = Buffer.from(`##${text}##`);
    const ok = scanner.scan(buf, 2, buf.length - 2);
    const ref = reference(text);
    if (!ok) {
      // Declining is always allowed, but a plain well-formed line of known keys must be accepted.
      return;
    }
    accepted++;
    assert.ok(ref !== null, `scanner accepted what JSON.parse rejects or must decline: ${text}`);
    KEYS.forEach((k, i) => {
      const kind = scanner.kind[i];
      const raw = buf.toString('utf8', scanner.start[i], scanner.end[i]);
      const want = ref.get(k);
      if (!ref.has(k)) return assert.equal(kind, ABSENT, `${k} in ${text}`);
      if (typeof want === 'string') assert.deepEqual([kind, raw], [STRING, want], text);
      else if (typeof want === 'number') assert.deepEqual([kind, Number(raw)], [INTEGER, want], text);
      else assert.equal(kind, want === null ? NULL : want ? TRUE : FALSE, text);
    });
  };
  // Random token soup (mostly invalid) …
  for (let n = 0; n < 20000; n++) check(Array.from({ length: 1 + rng.int(12) }, () => pieces[rng.int(pieces.length)]).join(''));
  // … and random well-formed objects, which must all be accepted.
  const values = ['"x"', '"é ü"', '7', '0', '1700000000', 'true', 'false', 'null', '""'];
  for (let n = 0; n < 3000; n++) {
    const keys = KEYS.filter(() => rng.chance(0.7));
    const sp = (): string => [' ', '', '\t', '  '][rng.int(4)];
    const text = `${sp()}{${keys.map((k) => `${sp()}"${k}"${sp()}:${sp()}${values[rng.int(values.length)]}${sp()}`).join(',')}}${sp()}`;
    const before = accepted;
    check(text);
    assert.equal(accepted, before + 1, `well-formed line declined: ${text}`);
  }
});
