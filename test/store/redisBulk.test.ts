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
