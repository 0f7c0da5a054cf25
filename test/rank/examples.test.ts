/**
 * Training examples carry no future information: features come from the graph and the log before the cut,
 * labels from what happened after it — checked pair by pair against brute force on the raw dataset.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_CODE, FLAG_BANNED } from '../../src/core/tables.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { loadDataset } from '../../src/data/load.js';
import type { World } from '../../src/data/world.js';
import { buildGraph } from '../../src/graph/csr.js';
import { BEHAVIOUR_WINDOW_DAYS, COL, FEATURE_COUNT } from '../../src/rank/schema.js';
import { buildExamples, EXAMPLE_DEFAULTS, filterEvents, holdBackEdges, type Examples } from '../../src/rank/examples.js';
import { Rng } from '../../src/core/rng.js';
import { graphEdges } from '../../src/graph/splits.js';
import { exclusionMask, exclusionsFromEvents } from '../../src/graph/exclusions.js';
import { twoHopAll } from '../../src/graph/twoHop.js';
import { consistentParams, PIPELINE_DEFAULTS } from '../../src/pipeline/stages/index.js';
import { row } from '../../src/store/snapshot.js';

let root = '';
let w: World;
let ex: Examples;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-rank-ex-'));
  await generateWorld({ users: 700, seed: 5, out: root });
  w = await loadDataset(root);
  ex = await buildExamples({ ids: w.ids, profiles: w.profiles, graph: buildGraph(w.ids.size, w.connections), events: w.events }, EXAMPLE_DEFAULTS);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('log labels: a cut inside the data, users, positives and negatives', () => {
  assert.equal(ex.labels.mode, 'log');
  const cut = ex.labels.cut!;
  let maxTs = 0;
  for (let i = 0; i < w.connections.count; i++) maxTs = Math.max(maxTs, w.connections.ts[i]);
  assert.ok(cut > 0 && cut < maxTs);
  assert.ok(ex.labels.positives > 50 && ex.rows - ex.labels.positives > 200, JSON.stringify(ex.labels));
});

test('features are those of the graph and log before the cut; labels are what happened after it', () => {
  const cut = ex.labels.cut!;
  const n = w.ids.size;
  const c = w.connections;
  const before = buildGraph(n, c, { include: (i) => c.ts[i] < cut });
  const after = new Set<number>();
  for (let i = 0; i < c.count; i++) {
    if (c.ts[i] < cut) continue;
    after.add(c.src[i] * n + c.dst[i]).add(c.dst[i] * n + c.src[i]);
  }
  const ev = w.events;
  for (let i = 0; i < ev.count; i++) {
    if (ev.ts[i] >= cut && ev.type[i] === EVENT_CODE.invite_sent && !(w.profiles.flags[ev.actor[i]] & FLAG_BANNED)) after.add(ev.actor[i] * n + ev.target[i]);
  }
  const from = cut - BEHAVIOUR_WINDOW_DAYS * 86400;
  const views = new Map<number, number>();
  for (let i = 0; i < ev.count; i++) {
    if (ev.type[i] !== EVENT_CODE.profile_view || ev.ts[i] < from || ev.ts[i] >= cut) continue;
    const k = ev.actor[i] * n + ev.target[i];
    views.set(k, (views.get(k) ?? 0) + 1);
  }
  let viewed = 0;
  for (let r = 0; r < ex.rows; r++) {
    const u = ex.user[r];
    const v = ex.cand[r];
    assert.ok(!before.hasEdge(u, v), `example (${u}, ${v}) was already connected before the cut`);
    const cn = before.neighbors(u).filter((x) => before.hasEdge(x, v)).length;
    assert.ok(Math.abs(ex.X[r * FEATURE_COUNT + COL.cn] - Math.log1p(cn)) < 1e-6, `cn of (${u}, ${v}) uses edges after the cut`);
    assert.ok(Math.abs(ex.X[r * FEATURE_COUNT + COL.user_degree] - Math.log1p(before.degree(u))) < 1e-6);
    assert.equal(ex.y[r], after.has(u * n + v) ? 1 : 0, `label of (${u}, ${v})`);
    const vo = views.get(u * n + v) ?? 0;
    assert.ok(Math.abs(ex.X[r * FEATURE_COUNT + COL.views_out] - Math.log1p(vo)) < 1e-6, `views of (${u}, ${v})`);
    if (vo > 0) viewed++;
  }
  assert.ok(viewed > 0, 'some examples have profile views before the cut');
  // The snapshot graph the examples carry is the graph before the cut, edge for edge.
  assert.equal(ex.graph.n, n);
  for (let u = 0; u < n; u++) assert.deepEqual(Array.from(ex.graph.neighbors(u)), Array.from(before.neighbors(u)), `neighbours of ${u} in the carried snapshot`);
});

test('without connection times, held-back edges are the labels and the features never see them', async () => {
  const n = w.ids.size;
  const c = w.connections;
  const untimed = { ...c, ts: new Uint32Array(c.count) };
  const g = buildGraph(n, untimed);
  const e2 = await buildExamples({ ids: w.ids, profiles: w.profiles, graph: g, events: null }, EXAMPLE_DEFAULTS);
  assert.equal(e2.labels.mode, 'edges');
  let pos = 0;
  for (let r = 0; r < e2.rows; r++) {
    const u = e2.user[r];
    const v = e2.cand[r];
    if (e2.y[r] === 1) {
      pos++;
      assert.ok(g.hasEdge(u, v), 'a positive is a real connection');
    } else assert.ok(!g.hasEdge(u, v), 'a negative is not a connection');
  }
  assert.ok(pos > 100);
  // A held-back edge is not in the feature graph: its own endpoints' degree feature excludes it.
  const r = Array.from(e2.y.keys()).find((i) => e2.y[i] === 1)!;
  assert.ok(e2.X[r * FEATURE_COUNT + COL.user_degree] < Math.log1p(g.degree(e2.user[r])) - 1e-9);
});

test('with a cap on label users, only their connections are held back; without one, every coin', () => {
  const g = buildGraph(w.ids.size, { ...w.connections, ts: new Uint32Array(w.connections.count) });
  const edges = graphEdges(g);
  const capped = holdBackEdges(g, edges, 0.1, 50, new Rng(3));
  const all = holdBackEdges(g, edges, 0.1, 0, new Rng(3));
  let heldCapped = 0;
  let heldAll = 0;
  const labelled = new Set<number>();
  for (let i = 0; i < edges.count; i++) {
    const [a, b] = [edges.src[i], edges.dst[i]];
    if (capped.edge[i]) {
      heldCapped++;
      assert.ok(capped.user[a] || capped.user[b], `held-back edge ${a}-${b} touches no label user`);
      assert.equal(all.edge[i], 1, 'the same coins either way');
      for (const x of [a, b]) if (capped.user[x]) labelled.add(x);
    }
    heldAll += all.edge[i];
  }
  assert.equal(labelled.size, 50, 'users are taken until 50 have a held-back connection');
  assert.ok(heldCapped > 0 && heldCapped < heldAll / 2, `${heldCapped} of ${heldAll} coins held back`);
  assert.ok(Math.abs(heldAll / edges.count - 0.1) < 0.03, 'without a cap, a 10% share of all connections');
});

test("a training user's examples are exactly their served candidate list: the candidates stage's settings and count on the snapshot at the cut", async () => {
  const p = consistentParams({ ...PIPELINE_DEFAULTS, candidates: { ...PIPELINE_DEFAULTS.candidates, topN: 60 } });
  const opts = (p.rank as { examples: typeof EXAMPLE_DEFAULTS }).examples;
  assert.equal(opts.topN, 60, 'the ranker trains on lists as long as the candidates stage keeps');
  const e = await buildExamples({ ids: w.ids, profiles: w.profiles, graph: buildGraph(w.ids.size, w.connections), events: w.events }, opts);
  const cut = e.labels.cut!;
  const n = w.ids.size;
  const c = w.connections;
  const before = buildGraph(n, c, { include: (i) => c.ts[i] < cut });
  const excl = exclusionsFromEvents(n, filterEvents(w.events, cut));
  // What the candidates stage computes for a bundle of the snapshot (one worker, the same params).
  const served = twoHopAll(before, null, { ...p.candidates, exclude: exclusionMask(w.profiles.flags) });
  const rows = new Map<number, number[]>();
  for (let r = 0; r < e.rows; r++) (rows.get(e.user[r]) ?? rows.set(e.user[r], []).get(e.user[r])!).push(e.cand[r]);
  assert.ok(rows.size > 50, `${rows.size} training users`);
  let full = 0;
  for (const [u, got] of rows) {
    const i = served.users.indexOf(u);
    const list = Array.from(served.cand.subarray(served.offsets[i], served.offsets[i + 1]));
    const blocked = new Set([...row(excl.blocked, u), ...row(excl.dismissed, u)]);
    assert.deepEqual(got, list.filter((v) => !blocked.has(v)), `user ${u}: the examples are the served list, in its order`);
    if (list.length === 60) full++;
  }
  assert.ok(full > 10, 'many lists are full length');
  assert.equal(e.rows, [...rows.values()].reduce((s, l) => s + l.length, 0), 'no rows besides the lists');
});
