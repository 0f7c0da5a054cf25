import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { TEST, TRAIN, VALID, argsortU32, randomEdgeSplit, sampleNonEdges, temporalSplit, uniquePairs, type EdgeSplit } from '../../src/graph/splits.js';
import { EdgeBuilder, type EdgeTable } from '../../src/core/tables.js';
import { isPymkError } from '../../src/core/errors.js';
import { Rng } from '../../src/core/rng.js';
import { randomEdges } from './randomEdges.js';

const key = (a: number, b: number): string => (a < b ? `${a}-${b}` : `${b}-${a}`);

function pairsOf(e: EdgeTable): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i < e.count; i++) if (e.src[i] !== e.dst[i]) s.add(key(e.src[i], e.dst[i]));
  return s;
}

/** Every input pair lands in exactly one part, and no held-out pair is in the training graph. */
function checkPartition(n: number, input: EdgeTable, split: EdgeSplit): Graph {
  const all = pairsOf(input);
  const parts = [split.train, split.valid, split.test].map(pairsOf);
  assert.equal(parts[0].size + parts[1].size + parts[2].size, all.size);
  for (const p of all) assert.equal(parts.filter((s) => s.has(p)).length, 1, `pair ${p} in exactly one part`);
  const trainGraph = buildGraph(n, split.train);
  for (const held of [split.valid, split.test]) {
    for (let i = 0; i < held.count; i++) assert.ok(!trainGraph.hasEdge(held.src[i], held.dst[i]), 'held-out edge leaked into train');
  }
  return trainGraph;
}

function components(g: Graph): number {
  const seen = new Uint8Array(g.n);
  let c = 0;
  for (let s = 0; s < g.n; s++) {
    if (seen[s] || g.degree(s) === 0) continue;
    c++;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) for (const v of g.neighbors(stack.pop()!)) if (!seen[v]) (seen[v] = 1), stack.push(v);
  }
  return c;
}

test('uniquePairs merges duplicates in either direction, drops self-loops, keeps the earliest time', () => {
  const b = new EdgeBuilder();
  b.push(2, 1, 30);
  b.push(1, 2, 10);
  b.push(3, 3, 5);
  b.push(0, 3, 7);
  const u = uniquePairs(4, b.finish());
  assert.deepEqual([...u.src], [0, 1]);
  assert.deepEqual([...u.dst], [3, 2]);
  assert.deepEqual([...u.ts], [7, 10]);
});

test('random split: sizes follow the fractions, same seed same split, no leakage with duplicate input', () => {
  const n = 200;
  const input = randomEdges(n, 2000, 1, 2); // includes repeats in both directions
  const s = randomEdgeSplit(n, input, { testFrac: 0.2, validFrac: 0.1, seed: 9 });
  checkPartition(n, input, s);
  const m = s.edges.count;
  assert.ok(m < input.count, 'the input had duplicates');
  assert.equal(s.test.count, Math.round(0.2 * m));
  assert.equal(s.valid.count, Math.round(0.1 * m));
  assert.deepEqual(randomEdgeSplit(n, input, { testFrac: 0.2, validFrac: 0.1, seed: 9 }).part, s.part);
  assert.notDeepEqual(randomEdgeSplit(n, input, { testFrac: 0.2, validFrac: 0.1, seed: 10 }).part, s.part);
});

test('random split keeping the training graph connected (node2vec: remove 50%)', () => {
  const n = 150;
  const input = randomEdges(n, 900, 2);
  const full = buildGraph(n, input);
  const s = randomEdgeSplit(n, input, { testFrac: 0.5, seed: 3, keepConnected: true });
  const train = checkPartition(n, input, s);
  assert.equal(components(train), components(full));
  for (let u = 0; u < n; u++) assert.equal(train.degree(u) > 0, full.degree(u) > 0, `user ${u} keeps an edge`);
  assert.equal(s.test.count, Math.round(0.5 * s.edges.count) - (s.notes.shortfall ?? 0));
  // A tree has no edge to spare: everything stays in train and the shortfall is reported.
  const path = new EdgeBuilder();
  for (let i = 0; i < 9; i++) path.push(i, i + 1, 1);
  const t = randomEdgeSplit(10, path.finish(), { testFrac: 0.5, keepConnected: true });
  assert.equal(t.test.count, 0);
  assert.equal(t.notes.shortfall, 5);
});

test('temporal split by fraction and by cut: train strictly before test, one timestamp never split', () => {
  const n = 100;
  const input = randomEdges(n, 1500, 4);
  const s = temporalSplit(n, input, { testFrac: 0.25, validFrac: 0.1 });
  checkPartition(n, input, s);
  const maxTrain = Math.max(...s.train.ts);
  const minValid = Math.min(...s.valid.ts);
  const minTest = Math.min(...s.test.ts);
  assert.ok(maxTrain < minValid && Math.max(...s.valid.ts) < minTest, 'time order train < valid < test');
  assert.equal(s.cut, minTest);
  assert.equal(s.validCut, minValid);
  const m = s.edges.count;
  assert.ok(s.test.count >= Math.round(0.25 * m) && s.test.count < Math.round(0.25 * m) + 20, `test size ${s.test.count} of ${m}`);
  const byCut = temporalSplit(n, input, { cut: 700 });
  checkPartition(n, input, byCut);
  for (const t of byCut.train.ts) assert.ok(t < 700);
  for (const t of byCut.test.ts) assert.ok(t >= 700);
  // A pair seen before the cut and again after it is an old connection, not a test edge.
  const b = new EdgeBuilder();
  b.push(0, 1, 10);
  b.push(1, 2, 20);
  b.push(1, 0, 900);
  b.push(2, 3, 950);
  const r = temporalSplit(4, b.finish(), { cut: 500 });
  assert.deepEqual([r.test.src[0], r.test.dst[0], r.test.count], [2, 3, 1]);
});

test('temporal split keeps untimed edges in train and refuses data without times', () => {
  const b = new EdgeBuilder();
  b.push(0, 1, 0);
  b.push(1, 2, 5);
  b.push(2, 3, 9);
  const s = temporalSplit(4, b.finish(), { cut: 9 });
  assert.equal(s.train.count, 2);
  assert.equal(s.notes.untimedInTrain, 1);
  const none = new EdgeBuilder();
  none.push(0, 1, 0);
  assert.throws(() => temporalSplit(2, none.finish(), { testFrac: 0.5 }), (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_PARAM');
  assert.throws(() => temporalSplit(4, b.finish(), {}), (e: unknown) => isPymkError(e));
});

test('sampleNonEdges returns distinct non-edges of the full graph, within the node pool', () => {
  const n = 50;
  const input = randomEdges(n, 300, 5);
  const g = buildGraph(n, input);
  const neg = sampleNonEdges(g, 200, 1);
  const seen = new Set<string>();
  for (let i = 0; i < neg.count; i++) {
    const [u, v] = [neg.src[i], neg.dst[i]];
    assert.ok(u < v && !g.hasEdge(u, v));
    seen.add(key(u, v));
  }
  assert.equal(seen.size, 200);
  const pool = Int32Array.from([1, 3, 5, 7, 9, 11]);
  const few = sampleNonEdges(g, 3, 2, pool);
  for (let i = 0; i < few.count; i++) assert.ok(pool.includes(few.src[i]) && pool.includes(few.dst[i]));
  assert.throws(() => sampleNonEdges(g, 100, 1, pool), (e: unknown) => isPymkError(e));
});

test('argsortU32 is a stable sort of 32-bit keys', () => {
  const rng = new Rng(3);
  const keys = Uint32Array.from({ length: 3000 }, () => (rng.chance(0.5) ? rng.u32() : rng.int(20)));
  const want = Array.from({ length: keys.length }, (_, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  assert.deepEqual([...argsortU32(keys)], want);
});
