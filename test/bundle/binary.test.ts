import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { isPymkError } from '../../src/core/errors.js';
import { decodeArrays, DTYPES, dtypeOf, encodeArrays, readArrays, readColumns, writeArrays, type Columns, type DType } from '../../src/bundle/binary.js';

/** Random values covering each dtype's full range (including negatives, NaN-free floats, big ints). */
function randomColumn(dtype: DType, n: number, rng: Rng): Columns[string] {
  const a = new DTYPES[dtype](n);
  for (let i = 0; i < n; i++) {
    const u = rng.u32();
    if (a instanceof BigInt64Array) a[i] = BigInt.asIntN(64, (BigInt(u) << 32n) | BigInt(rng.u32()));
    else if (a instanceof BigUint64Array) a[i] = (BigInt(u) << 32n) | BigInt(rng.u32());
    else if (a instanceof Float32Array || a instanceof Float64Array) a[i] = (rng.next() - 0.5) * 10 ** ((u % 20) - 10);
    else (a as Int32Array)[i] = u | 0; // truncated/wrapped to the element type
  }
  return a;
}

const sameColumns = (a: Columns, b: Columns): void => {
  assert.deepEqual(Object.keys(b), Object.keys(a));
  for (const k of Object.keys(a)) {
    assert.equal(dtypeOf(b[k]), dtypeOf(a[k]), `dtype of ${k}`);
    assert.deepEqual(Array.from(b[k] as ArrayLike<number | bigint>), Array.from(a[k] as ArrayLike<number | bigint>), `values of ${k}`);
  }
};

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'pymk-binary-'));
}

test('every dtype round-trips, alone and together, as aligned views over one buffer', async () => {
  const dir = await tmp();
  try {
    const rng = new Rng(7);
    const all: Columns = {};
    for (const [i, dtype] of (Object.keys(DTYPES) as DType[]).entries()) {
      const col = randomColumn(dtype, 3 + i * 5, rng); // odd lengths force padding
      all[dtype] = col;
      const p = join(dir, `${dtype}.bin`);
      await writeArrays(p, { x: col });
      sameColumns({ x: col }, await readArrays(p));
    }
    all.empty = new Float64Array(0);
    const p = join(dir, 'all.bin');
    const w = await writeArrays(p, all);
    const bytes = await readFile(p);
    assert.equal(w.bytes, bytes.length);
    const back = await readArrays(p);
    sameColumns(all, back);
    const buffers = new Set(Object.values(back).map((a) => a.buffer));
    assert.equal(buffers.size, 1, 'columns are views of the one file buffer');
    for (const [k, a] of Object.entries(back)) assert.equal(a.byteOffset % 8, 0, `${k} is 8-byte aligned`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('subarray inputs and misaligned read buffers round-trip', () => {
  const base = Int32Array.from({ length: 20 }, (_, i) => i * 3 - 7);
  const cols: Columns = { part: base.subarray(3, 11), bytes: Buffer.from('hello') };
  const file = Buffer.concat(encodeArrays(cols));
  const shifted = new Uint8Array(file.length + 1).subarray(1);
  shifted.set(file);
  assert.equal(shifted.byteOffset % 8, 1);
  const back = decodeArrays(shifted);
  assert.deepEqual(Array.from(back.part as Int32Array), Array.from(base.subarray(3, 11)));
  assert.equal(dtypeOf(back.bytes), 'uint8');
  assert.equal(new TextDecoder().decode(back.bytes as Uint8Array), 'hello');
});

test('expect checks column names and dtypes, naming the file and column', async () => {
  const dir = await tmp();
  try {
    const p = join(dir, 'g.bin');
    await writeArrays(p, { offsets: new Int32Array([0, 1]), w: new Float32Array([0.5]) });
    const ok = await readArrays(p, { offsets: 'int32', w: 'float32' });
    assert.equal(ok.w[0], 0.5);
    await assert.rejects(readArrays(p, { offsets: 'uint32' }), (e: unknown) => {
      return isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && e.message.includes(p) && /offsets.*int32.*uint32/.test(e.message);
    });
    await assert.rejects(readArrays(p, { targets: 'int32' }), /missing column 'targets'/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('truncation, trailing bytes and a bad magic are refused with PYMK_BUNDLE_INVALID naming the file', async () => {
  const dir = await tmp();
  try {
    const p = join(dir, 'cols.bin');
    await writeArrays(p, { a: new Float64Array([1, 2, 3]), b: new Uint16Array([4, 5]) });
    const good = await readFile(p);
    const cases: [string, Buffer][] = [
      ['truncated by 1', good.subarray(0, good.length - 1)],
      ['truncated to header', good.subarray(0, 40)],
      ['truncated to nothing', good.subarray(0, 0)],
      ['trailing byte', Buffer.concat([good, Buffer.alloc(1)])],
      ['bad magic', Buffer.concat([Buffer.from('NOTPYMK!'), good.subarray(8)])],
    ];
    for (const [what, bytes] of cases) {
      await writeFile(p, bytes);
      await assert.rejects(
        readArrays(p),
        (e: unknown) => isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && e.message.includes(p),
        what,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('every single-byte corruption is either detected or provably harmless (padding)', () => {
  const cols: Columns = { a: new Int8Array([1, -2, 3]), b: new Float32Array([1.5, -2.25]), c: new BigUint64Array([9n]) };
  const good = Buffer.concat(encodeArrays(cols));
  let detected = 0;
  let harmless = 0;
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i] ^= 0x5a;
    let back: Columns;
    try {
      back = decodeArrays(bad, { file: 'x.bin' });
    } catch (e) {
      assert.ok(isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && e.message.startsWith('x.bin: '), `byte ${i}: ${String(e)}`);
      detected++;
      continue;
    }
    sameColumns(cols, back); // not detected → the data must be exactly intact
    harmless++;
  }
  // Only the reserved header word and the zero padding after 'a' (3 → 8 bytes) and 'b' (8 bytes, none) are unchecked.
  assert.equal(harmless, 4 + 5);
  assert.equal(detected, good.length - harmless);
});

test('readColumns reads some columns of a file, checked as decodeArrays checks them, and refuses what readArrays refuses', async () => {
  const dir = await tmp();
  try {
    const p = join(dir, 'cols.bin');
    const rng = new Rng(4);
    const cols = { a: randomColumn('int32', 1001, rng), b: randomColumn('float32', 7, rng), c: randomColumn('uint8', 13, rng) };
    await writeArrays(p, cols);
    const some = await readColumns(p, { c: 'uint8', a: 'int32' });
    assert.deepEqual(Object.keys(some), ['c', 'a']);
    assert.deepEqual(Array.from(some.a), Array.from(cols.a as Int32Array));
    assert.deepEqual(Array.from(some.c), Array.from(cols.c as Uint8Array));
    const invalid = (part: string) => (e: unknown) => isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && e.message.includes(p) && e.message.includes(part);
    await assert.rejects(readColumns(p, { d: 'int32' }), invalid("missing column 'd'"));
    await assert.rejects(readColumns(p, { b: 'int32' }), invalid("column 'b' is float32"));
    const good = await readFile(p);
    // A flipped byte in column a's payload: a read of a fails its CRC, a read of c alone does not look at it.
    const toc = JSON.parse(good.subarray(32, 32 + good.readUInt32LE(12)).toString('utf8')) as { columns: { name: string; offset: number }[] };
    const bad = Buffer.from(good);
    bad[toc.columns.find((x) => x.name === 'a')!.offset + 5] ^= 1;
    await writeFile(p, bad);
    await assert.rejects(readColumns(p, { a: 'int32' }), invalid("column 'a' is corrupt"));
    assert.deepEqual(Array.from((await readColumns(p, { c: 'uint8' })).c), Array.from(cols.c as Uint8Array));
    for (const [what, bytes] of [
      ['truncated by 1', good.subarray(0, good.length - 1)],
      ['truncated to header', good.subarray(0, 40)],
      ['truncated to nothing', good.subarray(0, 0)],
      ['trailing byte', Buffer.concat([good, Buffer.alloc(1)])],
      ['bad magic', Buffer.concat([Buffer.from('NOTPYMK!'), good.subarray(8)])],
    ] as const) {
      await writeFile(p, bytes);
      await assert.rejects(readColumns(p, { c: 'uint8' }), invalid(''), what);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
