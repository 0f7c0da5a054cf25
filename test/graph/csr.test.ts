import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph } from '../../src/graph/csr.js';
import { EdgeBuilder } from '../../src/core/tables.js';

test('buildGraph symmetrises, sorts rows, drops self-loops and merges duplicates keeping earliest time', () => {
  const b = new EdgeBuilder();
  b.push(0, 2, 50);
  b.push(2, 0, 10); // duplicate of 0-2, earlier
  b.push(1, 1, 5); // self-loop
  b.push(3, 0, 0);
  b.push(1, 2, 7);
  const g = buildGraph(4, b.finish());
  assert.deepEqual([...g.neighbors(0)], [2, 3]);
  assert.deepEqual([...g.neighbors(1)], [2]);
  assert.deepEqual([...g.neighbors(2)], [0, 1]);
  assert.deepEqual([...g.neighbors(3)], [0]);
  assert.equal(g.edgeCount, 3);
  assert.equal(g.times[g.offsets[0]], 10);
  assert.ok(g.hasEdge(2, 1) && !g.hasEdge(1, 3));
});

test('buildGraph respects a time cut: only edges strictly before it, with known times', () => {
  const b = new EdgeBuilder();
  b.push(0, 1, 100);
  b.push(1, 2, 200);
  b.push(2, 3, 0);
  const g = buildGraph(4, b.finish(), { before: 150 });
  assert.equal(g.edgeCount, 1);
  assert.ok(g.hasEdge(0, 1));
});
