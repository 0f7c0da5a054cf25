/** recommend/coldStart.ts against a brute-force scan of every user: same candidates, same order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { PROFILE_FIELDS } from '../../src/core/tables.js';
import { COLD_START_WEIGHTS, ColdStart } from '../../src/recommend/coldStart.js';
import { MemoryStore } from '../../src/store/memory.js';
import { tinySnapshot } from '../helpers/tinyWorld.js';

const rng = new Rng(4);
const pick = <T>(xs: T[]): T => xs[rng.int(xs.length)];
const users = Array.from({ length: 120 }, (_, i) => ({
  id: `u${i}`,
  company: rng.chance(0.9) ? pick(['A', 'B', 'C', 'D']) : undefined,
  school: rng.chance(0.7) ? pick(['S1', 'S2', 'S3']) : undefined,
  location: pick(['Oslo', 'Lima']),
  industry: pick(['x', 'y', 'z']),
}));
const edges: [string, string][] = [];
for (let i = 0; i < 300; i++) {
  const a = rng.int(110); // u110..u119 stay unconnected
  const b = rng.int(110);
  if (a !== b) edges.push([`u${a}`, `u${b}`]);
}
const snap = tinySnapshot({ users, edges });

test('profile cold start equals the brute-force ranking of users sharing values, unconnected users left out', async () => {
  const store = new MemoryStore(snap);
  const k = 25;
  const cold = ColdStart.build(snap, k, 1000); // every user per value: the brute force sees the same pool
  const g = snap.graph;
  const maxDeg = Math.max(...Array.from({ length: g.n }, (_, u) => g.degree(u)));
  for (const who of [0, 7, 33, 111]) {
    const inputs = await store.fetchRankingInputs(who);
    const got = await cold.fill(store, { ...inputs, source: 'none' });
    const want: [number, number][] = [];
    for (let v = 0; v < g.n; v++) {
      if (v === who || g.degree(v) === 0) continue;
      let s = 0;
      for (const f of PROFILE_FIELDS) if (snap.profiles.codes[f][who] >= 0 && snap.profiles.codes[f][v] === snap.profiles.codes[f][who]) s += COLD_START_WEIGHTS[f];
      if (s > 0) want.push([v, s + (0.1 * Math.log1p(g.degree(v))) / Math.log1p(maxDeg)]);
    }
    want.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    assert.equal(got.source, 'profile');
    assert.deepEqual(Array.from(got.candidates.ids), want.slice(0, k).map((w) => w[0]), `user ${who}`);
    got.candidates.score.forEach((s, i) => assert.ok(Math.abs(s - want[i][1]) < 1e-5));
    assert.deepEqual(Array.from(got.candidates.users.company), Array.from(got.candidates.ids, (v) => snap.profiles.codes.company[v]));
  }
});

test('per value, the most connected users are kept; a profile that matches nobody leaves the inputs alone', async () => {
  const store = new MemoryStore(snap);
  const cold = ColdStart.build(snap, 100, 3);
  const inputs = await store.fetchRankingInputs(0);
  const got = await cold.fill(store, { ...inputs, source: 'none' });
  assert.ok(got.candidates.ids.length <= 4 * 3);
  const code = snap.profiles.codes.company[0];
  const sameCompany = Array.from({ length: snap.graph.n }, (_, v) => v).filter((v) => snap.profiles.codes.company[v] === code && snap.graph.degree(v) > 0);
  const top3 = sameCompany.sort((a, b) => snap.graph.degree(b) - snap.graph.degree(a))[2];
  for (const v of got.candidates.ids) {
    if (snap.profiles.codes.company[v] === code && v !== 0) assert.ok(snap.graph.degree(v) >= snap.graph.degree(top3), `u${v} is among the 3 most connected at the company`);
  }
  const nobody = { ...inputs, source: 'none' as const, user: { ...inputs.user, company: Int32Array.of(-1), school: Int32Array.of(-1), location: Int32Array.of(-1), industry: Int32Array.of(-1) } };
  assert.equal(await cold.fill(store, nobody), nobody);
});
