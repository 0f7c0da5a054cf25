import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dictionary } from '../../src/core/dictionary.js';
import { IdInterner } from '../../src/data/readers/ids.js';
import { Rng } from '../../src/core/rng.js';

test('IdInterner: "17" from bytes, text or number is one id; "017" and "u17" are others', () => {
  const ids = new Dictionary();
  const it = new IdInterner(ids);
  const b = Buffer.from('17 017 u17');
  const a = it.fromBytes(b, 0, 2);
  assert.equal(it.fromString('17'), a);
  assert.equal(it.fromNumber(17), a);
  const z = it.fromBytes(b, 3, 6);
  const u = it.fromBytes(b, 7, 10);
  assert.notEqual(z, a);
  assert.notEqual(u, a);
  assert.equal(ids.value(z), '017');
  assert.equal(it.fromString('u17'), u);
  assert.equal(ids.size, 3);
});

test('IdInterner agrees with a plain Map on many random ids (short, long, numeric, huge, unicode)', () => {
  const rng = new Rng(7);
  const pool: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = rng.int(6);
    pool.push(
      k === 0 ? String(rng.int(5000)) :
      k === 1 ? String(1e12 + rng.int(1000)) :
      k === 2 ? `u${rng.int(4000)}` :
      k === 3 ? `user-${rng.int(1000)}-${'x'.repeat(rng.int(30))}` :
      k === 4 ? `é${rng.int(500)}` : `0${rng.int(300)}`,
    );
  }
  const ids = new Dictionary();
  const it = new IdInterner(ids);
  const expected = new Map<string, number>();
  for (let round = 0; round < 3; round++) {
    for (const s of pool) {
      const buf = Buffer.from(`[${s}]`);
      const got = round === 1 ? it.fromString(s) : it.fromBytes(buf, 1, buf.length - 1);
      if (!expected.has(s)) expected.set(s, expected.size);
      assert.equal(ids.value(got), s);
      assert.equal(got, expected.get(s), s);
    }
  }
  assert.equal(ids.size, expected.size);
});
