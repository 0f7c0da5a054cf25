/**
 * Feature assembly: identical offline (the trainer's path: pair features computed for chosen pairs, served
 * by a MemoryStore over a training snapshot) and online (the pipeline's bundle, as the server loads it) for
 * the same pairs; every schema feature checked against a direct computation; missing inputs take defaults.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../../src/data/generate/index.js';
import { loadDataset } from '../../src/data/load.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { assembleFeatures } from '../../src/rank/assemble.js';
import { BehaviourIndex, dataTime, pairFeatureColumns } from '../../src/rank/behaviour.js';
import { COL, DEFAULT_SENIORITY_GAP, FEATURES, FEATURE_COUNT } from '../../src/rank/schema.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import type { RankingInputs } from '../../src/store/types.js';

let root = '';
let data = '';
let snap: Snapshot;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-rank-asm-'));
  data = join(root, 'data');
  await generateWorld({ users: 500, seed: 11, out: data });
  const params = { ...PIPELINE_DEFAULTS, rank: false as const };
  await runPipeline({ out: join(root, 'bundle'), stages: defaultStages(params), inputs: { data }, params, progress: 'silent', log: () => {} });
  snap = await loadSnapshot(join(root, 'bundle'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('feature rows are identical offline (trainer path) and online (served bundle) for the same pairs', async () => {
  const online = new MemoryStore(snap);
  // Offline: the world loaded afresh; the same pairs' features computed by the trainer's functions at the data time.
  const w = await loadDataset(data);
  const n = snap.graph.n;
  const asOf = dataTime(snap.graph.times, w.events);
  const behaviour = BehaviourIndex.fromEvents(n, w.events, asOf + 1);
  let rows = 0;
  let withBehaviour = 0;
  for (let u = 0; u < n; u += 7) {
    const on = await online.fetchRankingInputs(u);
    const ids = on.candidates.ids;
    if (ids.length === 0) continue;
    const features = pairFeatureColumns(snap.graph, behaviour, [u], Int32Array.of(0, ids.length), Int32Array.from(ids));
    const offlineSnap: Snapshot = { ...snap, candidates: { offsets: offsetsFor(n, u, ids.length), cand: Int32Array.from(ids), score: features.aa, features }, lists: null };
    const off = await new MemoryStore(offlineSnap).fetchRankingInputs(u);
    const a = assembleFeatures(on);
    const b = assembleFeatures(off);
    assert.equal(a.length, ids.length * FEATURE_COUNT);
    for (let i = 0; i < a.length; i++) {
      const tol = 1e-6 * Math.max(1, Math.abs(b[i]));
      assert.ok(Math.abs(a[i] - b[i]) <= tol, `user ${u} row ${Math.floor(i / FEATURE_COUNT)} feature ${FEATURES[i % FEATURE_COUNT].name}: online ${a[i]} offline ${b[i]}`);
    }
    rows += ids.length;
    for (let r = 0; r < ids.length; r++) if (a[r * FEATURE_COUNT + COL.views_out] + a[r * FEATURE_COUNT + COL.impressions] + a[r * FEATURE_COUNT + COL.views_in] > 0) withBehaviour++;
  }
  assert.ok(rows > 1000, `compared ${rows} rows`);
  assert.ok(withBehaviour > 0, 'some stored candidates carry behavioural features');
});

test('every feature matches a direct computation from the inputs', async () => {
  const store = new MemoryStore(snap);
  let checked = 0;
  for (let u = 0; u < snap.graph.n && checked < 400; u += 13) {
    const inp = await store.fetchRankingInputs(u);
    const x = assembleFeatures(inp);
    for (let i = 0; i < inp.candidates.ids.length; i++, checked++) {
      const want = direct(inp, i);
      for (const f of FEATURES) assert.ok(Math.abs(x[i * FEATURE_COUNT + COL[f.name]] - want[f.name]) < 1e-5, `${f.name}: ${x[i * FEATURE_COUNT + COL[f.name]]} vs ${want[f.name]}`);
    }
  }
  assert.ok(checked > 100);
});

test('missing inputs take the schema defaults', () => {
  const cols = (v: number) => ({
    company: Int32Array.of(v),
    school: Int32Array.of(v),
    location: Int32Array.of(v),
    industry: Int32Array.of(v),
    seniority: Int8Array.of(v),
    flags: Uint8Array.of(0),
    degree: Int32Array.of(v),
  });
  const inputs = {
    uid: 0,
    user: cols(-1),
    connections: new Int32Array(0),
    blocked: new Int32Array(0),
    dismissed: new Int32Array(0),
    source: 'stored',
    candidates: { ids: Int32Array.of(5), score: Float32Array.of(1), features: { aa: Float32Array.of(NaN) }, users: cols(-1) },
  } as unknown as RankingInputs;
  const x = assembleFeatures(inputs);
  for (const f of FEATURES) assert.equal(x[COL[f.name]], f.default, f.name);
  assert.equal(x[COL.seniority_gap], DEFAULT_SENIORITY_GAP);
});

function offsetsFor(n: number, u: number, len: number): Int32Array {
  const o = new Int32Array(n + 1);
  for (let v = u + 1; v <= n; v++) o[v] = len;
  return o;
}

/** The features of candidate i, computed field by field from their definitions. */
function direct(inp: RankingInputs, i: number): Record<string, number> {
  const f = inp.candidates.features;
  const u = inp.user;
  const c = inp.candidates.users;
  const eq = (a: number, b: number): number => (a >= 0 && a === b ? 1 : 0);
  const known = u.seniority[0] >= 0 && c.seniority[i] >= 0;
  return {
    cn: Math.log1p(f.cn[i]),
    aa: f.aa[i],
    ra: f.ra[i],
    jaccard: f.jaccard[i],
    pa: Math.log1p(f.pa[i]),
    user_degree: Math.log1p(u.degree[0]),
    cand_degree: Math.log1p(c.degree[i]),
    same_company: eq(u.company[0], c.company[i]),
    same_school: eq(u.school[0], c.school[i]),
    same_location: eq(u.location[0], c.location[i]),
    same_industry: eq(u.industry[0], c.industry[i]),
    seniority_gap: known ? Math.abs(u.seniority[0] - c.seniority[i]) : DEFAULT_SENIORITY_GAP,
    seniority_unknown: known ? 0 : 1,
    views_out: Math.log1p(f.views_out[i]),
    views_in: Math.log1p(f.views_in[i]),
    impressions: Math.log1p(f.impressions[i]),
    rejections: Math.log1p(f.rejections[i]),
    emb_sim: f.emb_sim[i],
    source_2hop: f.source[i] === 0 || f.source[i] === 2 ? 1 : 0,
    source_ann: f.source[i] === 1 || f.source[i] === 2 ? 1 : 0,
    p3: Math.log1p(f.p3[i]),
    salton: f.cn[i] > 0 ? f.cn[i] / Math.sqrt(u.degree[0] * c.degree[i]) : 0,
    hpi: f.cn[i] > 0 ? f.cn[i] / Math.min(u.degree[0], c.degree[i]) : 0,
    hdi: f.cn[i] > 0 ? f.cn[i] / Math.max(u.degree[0], c.degree[i]) : 0,
    ra3: f.ra3[i],
    p4: Math.log1p(f.p4[i]),
    ra4: f.ra4[i],
    ch2: f.ch2[i],
    cn_links: Math.log1p(f.cn_links[i]),
    ra_ch: f.ra_ch[i],
  };
}
