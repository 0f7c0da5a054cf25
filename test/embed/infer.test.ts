import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { emptyProfiles, setProfile } from '../../src/core/tables.js';
import { listInputs, profileInputs, profileRowInputs, profileSpec } from '../../src/embed/features.js';
import { embedAll, embedNodes, towerAll } from '../../src/embed/infer.js';
import { createModel } from '../../src/embed/model.js';
import { embedProfile } from '../../src/embed/profile.js';
import { plantedPartition } from './helpers.js';

function norms(v: Float32Array, d: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length / d; i++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += v[i * d + k] ** 2;
    out.push(Math.sqrt(s));
  }
  return out;
}

test('layer-wise inference equals the block computation when fanouts cover every neighbourhood', () => {
  const { g } = plantedPartition(3, 12, 0.4, 0.05, 2);
  const rng = new Rng(1);
  const inputs = listInputs(Array.from({ length: g.n }, () => [rng.int(10), 10 + rng.int(5)]), 15);
  const m = createModel({ dim: 6, hidden: 8, inputs: { kind: 'list', dim: 15 }, identity: true, fanouts: [3, 3] }, g.n, 3);
  for (let i = 0; i < m.params.I.length; i++) m.params.I[i] = rng.next() - 0.5;
  const full: [number, number] = [g.n, g.n];
  const all = embedAll(m, g, inputs, { fanouts: full, batch: 7 });
  const nodes = Int32Array.from([5, 0, 35, 17, 2]);
  const some = embedNodes(m, g, inputs, nodes, { fanouts: full, batch: 2 });
  nodes.forEach((u, i) => {
    for (let k = 0; k < 6; k++) assert.ok(Math.abs(all[u * 6 + k] - some[i * 6 + k]) < 1e-5, `user ${u} dim ${k}`);
  });
  for (const x of norms(all, 6)) assert.ok(Math.abs(x - 1) < 1e-5);
  // With sampled neighbourhoods (fanout 3 < degrees) rows are still unit norm and reproducible.
  const sampled = embedAll(m, g, inputs, { seed: 9 });
  assert.deepEqual(sampled, embedAll(m, g, inputs, { seed: 9 }));
  assert.notDeepEqual(sampled, all);
});

test('the profile inputs of a table row equal the online inputs of the same profile; the tower agrees with embedProfile', () => {
  const t = emptyProfiles(4);
  setProfile(t, 0, { company: 'Acme', school: 'MIT', location: 'Paris', industry: 'Software', seniority: 3, joinedAt: 1_700_000_000, deactivated: false, banned: false });
  setProfile(t, 1, { company: null, school: 'MIT', location: null, industry: null, seniority: null, joinedAt: null, deactivated: false, banned: false });
  setProfile(t, 2, { company: 'Globex', school: null, location: 'Oslo', industry: 'Retail', seniority: 10, joinedAt: 1_710_000_000, deactivated: false, banned: false });
  const spec = profileSpec(t);
  assert.equal(spec.refTime, 1_710_000_000);
  const batch = profileInputs(spec, t, 5); // user 3 has an empty row, user 4 is past the table
  const rows = [
    { company: 'Acme', school: 'MIT', location: 'Paris', industry: 'Software', seniority: 3, joinedAt: 1_700_000_000 },
    { school: 'MIT' },
    { company: 'Globex', location: 'Oslo', industry: 'Retail', seniority: 10, joinedAt: 1_710_000_000 },
    {},
    {},
  ];
  rows.forEach((r, u) => {
    const one = profileRowInputs(spec, r);
    assert.deepEqual(Array.from(one.index), Array.from(batch.index.subarray(batch.offsets[u], batch.offsets[u + 1])), `user ${u} slots`);
    assert.deepEqual(Array.from(one.value), Array.from(batch.value.subarray(batch.offsets[u], batch.offsets[u + 1])), `user ${u} values`);
  });
  // Same company → same slot; every slot in range.
  const s0 = profileRowInputs(spec, { company: 'Acme' }).index[0];
  assert.equal(s0, batch.index[0]);
  for (const x of batch.index) assert.ok(x >= 0 && x < batch.slots);

  const m = createModel({ dim: 8, hidden: 8, inputs: spec, identity: false, fanouts: [5, 5] }, 5, 1);
  const tower = towerAll(m, batch);
  rows.forEach((r, u) => {
    const v = embedProfile(m, r);
    assert.equal(v.length, 8);
    for (let k = 0; k < 8; k++) assert.ok(Math.abs(v[k] - tower[u * 8 + k]) < 1e-6);
  });
  for (const x of norms(tower, 8)) assert.ok(Math.abs(x - 1) < 1e-5);
});

test('embedProfile refuses a model that does not read profiles', () => {
  const m = createModel({ dim: 4, hidden: 4, inputs: { kind: 'list', dim: 3 }, identity: false, fanouts: [2, 2] }, 3, 1);
  assert.throws(() => embedProfile(m, { company: 'x' }), { code: 'PYMK_BAD_PARAM' });
});
