/**
 * Partial inference (embedAll's `only`) and the rule for whom to re-embed (embed/affected.ts) against a
 * full pass: marked rows are bit-identical to the full pass's, and every user the rule leaves out has the
 * same vector in both graphs — for added connections, a new user and a changed input row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { affectedEmbeddings } from '../../src/embed/affected.js';
import { listInputs } from '../../src/embed/features.js';
import { embedAll } from '../../src/embed/infer.js';
import { createModel } from '../../src/embed/model.js';
import { graphOf, plantedPartition } from './helpers.js';

const D = 6;
const rowEq = (a: Float32Array, b: Float32Array, u: number): boolean => Buffer.from(a.buffer, a.byteOffset + u * D * 4, D * 4).equals(Buffer.from(b.buffer, b.byteOffset + u * D * 4, D * 4));

function world(seed: number) {
  const { g, pairs } = plantedPartition(4, 30, 0.25, 0.02, seed);
  const rng = new Rng(seed);
  const features = Array.from({ length: g.n + 1 }, () => [rng.int(10), 10 + rng.int(5)]);
  const m = createModel({ dim: D, hidden: 8, inputs: { kind: 'list', dim: 15 }, identity: false, fanouts: [3, 3] }, g.n, 3);
  return { g, pairs, features, m, rng };
}

test("embedAll with 'only' gives the full pass's rows bit for bit and leaves the others as given", () => {
  const { g, features, m, rng } = world(2);
  const inputs = listInputs(features.slice(0, g.n), 15);
  const full = embedAll(m, g, inputs, { fanouts: [3, 4], batch: 5 });
  const only = Uint8Array.from({ length: g.n }, () => (rng.next() < 0.3 ? 1 : 0));
  const into = new Float32Array(g.n * D).fill(7);
  const part = embedAll(m, g, inputs, { fanouts: [3, 4], batch: 3, only, into });
  assert.equal(part, into);
  for (let u = 0; u < g.n; u++) {
    if (only[u]) assert.ok(rowEq(part, full, u), `user ${u}`);
    else assert.ok(part.subarray(u * D, (u + 1) * D).every((x) => x === 7), `user ${u} overwritten`);
  }
  assert.throws(() => embedAll(m, g, inputs, { only, into: new Float32Array(3) }), /'into' holds 3 floats/);
});

test('the users the rule leaves out embed the same in both graphs; the marked include every user that differs', () => {
  const { g: g0, pairs, features, m, rng } = world(5);
  const n0 = g0.n;
  // A day later: 4 new connections, a new user with 2, and one user's inputs changed.
  const added: [number, number][] = [];
  for (let i = 0; i < 4; i++) added.push([rng.int(n0), rng.int(n0)]);
  added.push([n0, 3], [n0, 40]);
  const g1 = graphOf(n0 + 1, [...pairs, ...added.filter(([a, b]) => a !== b)]);
  const f1 = features.map((f) => f.slice());
  f1[77] = [9, 14];
  const i0 = listInputs(features.slice(0, n0), 15);
  const i1 = listInputs(f1, 15);
  for (const fanouts of [[3, 3], [50, 50]] as [number, number][]) {
    const a = affectedEmbeddings(g0, i0, g1, i1, fanouts, 1);
    const v0 = embedAll(m, g0, i0, { fanouts });
    const v1 = embedAll(m, g1, i1, { fanouts });
    let differ = 0;
    for (let u = 0; u < n0; u++) {
      const same = rowEq(v0, v1, u);
      if (!same) differ++;
      if (!a.marked[u]) assert.ok(same, `fanouts ${fanouts}: user ${u} not marked but its vector changed`);
    }
    assert.equal(a.marked[n0], 1, 'the new user');
    assert.equal(a.inputsChanged, 1);
    assert.ok(a.count < g1.n, `fanouts ${fanouts}: everyone marked`);
    assert.ok(differ > 0 && differ <= a.count, `${differ} differ, ${a.count} marked`);
  }
  // Nothing changed: nobody is marked.
  assert.equal(affectedEmbeddings(g0, i0, g0, i0, [3, 3], 1).count, 0);
});
