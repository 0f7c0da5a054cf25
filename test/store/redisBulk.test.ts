/** The bulk writer's RESP serialisation, against a plain encoder of the same commands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeSets } from '../../src/store/redisBulk.js';
import type { SetOp } from '../../src/store/kv.js';

function resp(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

test('SETs serialise to the RESP a plain encoder writes: utf8 keys, string and binary values, with and without PX', () => {
  const ops: SetOp[] = [
    { key: 'p:g1:id:member-00000001', value: '1', px: 86_400_000 },
    { key: 'p:g1:id:zoë-ünïcode', value: Buffer.from([0, 13, 10, 255]), px: 86_400_000 },
    { key: 'p:g1:{7}c', value: Buffer.alloc(1234, 7), px: 3_600_000 },
    { key: 'p:publish:v1', value: '{"gen":1,"name":"é"}', px: 0 },
    { key: 'k', value: Buffer.alloc(0), px: 9 },
  ];
  const want = Buffer.concat(ops.map((op) => resp(op.px > 0 ? ['SET', op.key, op.value, 'PX', String(op.px)] : ['SET', op.key, op.value])));
  assert.deepEqual(serializeSets(ops), want);
});

test("publish's ChunkWriter writes byte for byte the RESP of chunkOps' SETs, per master in key order", async () => {
  const { ChunkWriter, chunkOps } = await import('../../src/store/publish.js');
  const { KeySpace, keySlot } = await import('../../src/store/keys.js');
  const { valueTtls, DEFAULT_TTL } = await import('../../src/store/ttl.js');
  const { randomSnapshot } = await import('./fixtures.js');
  const snap = randomSnapshot({ users: 90, seed: 5, lists: true, embeddingDim: 6 });
  const keys = new KeySpace('t').gen(3, 8);
  const ttls = valueTtls(DEFAULT_TTL);
  for (const dtype of ['f16', 'i8'] as const) {
    const ops = chunkOps(snap, keys, ttls, 10, 70, dtype);
    const single = new ChunkWriter(snap, keys, ttls, dtype, null).chunk(10, 70);
    assert.deepEqual([...single.keys()], ['']);
    assert.equal(single.get('')!.count, ops.length);
    assert.deepEqual(single.get('')!.written(), serializeSets(ops));
    const route = (slot: number): string => `n${slot % 3}`;
    const perNode = new ChunkWriter(snap, keys, ttls, dtype, route).chunk(10, 70);
    assert.equal(perNode.size, 3);
    for (const [node, sets] of perNode) {
      const mine = ops.filter((op) => route(keySlot(op.key)) === node);
      assert.equal(sets.count, mine.length);
      assert.equal(sets.payload, mine.reduce((a, op) => a + Buffer.byteLength(op.key) + Buffer.byteLength(op.value), 0));
      assert.deepEqual(sets.written(), serializeSets(mine));
    }
  }
});

test('RespSets grows its buffer and writes what serializeSets writes: numeric and utf8 keys and values', async () => {
  const { RespSets } = await import('../../src/store/redisBulk.js');
  const sets = new RespSets(16);
  const ops: SetOp[] = [];
  for (let i = 0; i < 300; i++) {
    const head = Buffer.from(i % 2 ? 'p:g1:{' : 'p:g1:id:');
    const tail = i % 2 ? Buffer.from('}c') : null;
    const mid = i % 3 === 0 ? `zoë-${i}` : i * 7919;
    const value = i % 5 === 0 ? i : i % 5 === 1 ? `ü${i}` : Buffer.alloc(i, i & 0xff);
    const px = i % 4 === 0 ? 0 : 1000 * i;
    sets.set(head, mid, tail, value, px);
    ops.push({ key: `${head.toString()}${mid}${tail ? tail.toString() : ''}`, value: typeof value === 'number' ? String(value) : value, px });
  }
  assert.equal(sets.count, ops.length);
  assert.deepEqual(sets.written(), serializeSets(ops));
});

test('RespSets reserves enough for long TTLs and large values at a buffer boundary (exact RESP, no lost bytes)', async () => {
  const { RespSets } = await import('../../src/store/redisBulk.js');
  const head = Buffer.from('p:g1:{');
  const tail = Buffer.from('}c');
  const values = [Buffer.alloc(20_000, 3), Buffer.alloc(1_100_000, 5), Buffer.alloc(17, 9)];
  const px = 99_999_999_999; // ≈ 3 years: an 11-digit PX
  // Every capacity around the first value's end, so one of them puts the framing of a SET right at the boundary.
  for (let initial = 19_990; initial <= 20_120; initial++) {
    const sets = new RespSets(initial);
    const want: Buffer[] = [];
    values.forEach((v, i) => {
      sets.set(head, 1000 + i, tail, v, px);
      want.push(resp(['SET', `p:g1:{${1000 + i}}c`, v, 'PX', String(px)]));
    });
    assert.deepEqual(sets.written(), Buffer.concat(want), `initial capacity ${initial}`);
  }
});
