/** subgraph(): a graph over part of the users, local ids in global id order, rows mapped, unknown ids −1. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subgraph } from '../../src/graph/subgraph.js';
import { Rng } from '../../src/core/rng.js';

test('rows keyed by global id become local rows in global order; users only named get empty rows', () => {
  const s = subgraph(new Map([[70, Int32Array.of(3, 9, 1000)], [9, Int32Array.of(70)]]));
  assert.deepEqual(Array.from(s.globalIds), [3, 9, 70, 1000]);
  const row = (id: number) => Array.from(s.g.neighbors(s.local(id)), (x) => s.globalIds[x]);
  assert.deepEqual(row(70), [3, 9, 1000]);
  assert.deepEqual(row(9), [70]);
  assert.deepEqual(row(3), []);
  assert.equal(s.local(4), -1);
  assert.equal(s.local(-1), -1);
});

test('random rows: every row maps back to itself, and the ids are each row entry and key once', () => {
  const rng = new Rng(3);
  const rows = new Map<number, Int32Array>();
  for (let r = 0; r < 300; r++) rows.set(rng.int(100_000), Int32Array.from(new Set(Array.from({ length: 1 + rng.int(40) }, () => rng.int(100_000)))).sort());
  const s = subgraph(rows);
  const want = new Set<number>([...rows.keys(), ...[...rows.values()].flatMap((r) => Array.from(r))]);
  assert.deepEqual(Array.from(s.globalIds), [...want].sort((x, y) => x - y));
  for (const [u, r] of rows) assert.deepEqual(Array.from(s.g.neighbors(s.local(u)), (x) => s.globalIds[x]), Array.from(r));
});
