/**
 * Validation over pooled held-back draws (src/rank/validation.ts): the later rounds hold back only the
 * validation users' connections, round 1 alone is what the trainer measured, the rounds pool as separate
 * user-rounds, and log labels make one round.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { loadDataset } from '../../src/data/load.js';
import type { World } from '../../src/data/world.js';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { graphEdges } from '../../src/graph/splits.js';
import { buildExamples, EXAMPLE_DEFAULTS, holdBackEdges, type Examples, type RankSource } from '../../src/rank/examples.js';
import { TRAIN_DEFAULTS } from '../../src/rank/train.js';
import { isValidationUser, pooledValidation, validationMetrics, validationRows } from '../../src/rank/validation.js';
import { tinyRanker } from './fixtures.js';

let root = '';
let w: World;
let g: Graph;
let src: RankSource;
let ex: Examples;
const opts = { ...EXAMPLE_DEFAULTS, maxUsers: 300 };
// A larger validation share than the default so that a 700-user world has validation users to pool.
const split = { seed: 1, validFrac: 0.3 };

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-rank-valid-'));
  await generateWorld({ users: 700, seed: 11, out: root });
  w = await loadDataset(root);
  g = buildGraph(w.ids.size, { ...w.connections, ts: new Uint32Array(w.connections.count) }); // no times: edge labels
  src = { ids: w.ids, profiles: w.profiles, graph: g, events: null };
  ex = await buildExamples(src, opts);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('a label-user mask holds back only those users\' connections, with the same coins as without one', () => {
  const edges = graphEdges(g);
  const mask = Uint8Array.from({ length: g.n }, (_, u) => (u % 7 === 0 ? 1 : 0));
  const masked = holdBackEdges(g, edges, 0.1, mask, new Rng(4));
  const all = holdBackEdges(g, edges, 0.1, 0, new Rng(4));
  let held = 0;
  for (let i = 0; i < edges.count; i++) {
    const touches = mask[edges.src[i]] === 1 || mask[edges.dst[i]] === 1;
    assert.equal(masked.edge[i], touches ? all.edge[i] : 0, `edge ${edges.src[i]}-${edges.dst[i]}`);
    held += masked.edge[i];
  }
  assert.ok(held > 0);
  assert.deepEqual(Array.from(masked.user), Array.from(mask));
  assert.notEqual(masked.user, mask, 'the mask is copied, not kept');
  assert.throws(() => holdBackEdges(g, edges, 0.1, new Uint8Array(3), new Rng(4)), /mask of 3/);
});

test('examples with a label-user mask: only those users have lists, and their positives are their connections', async () => {
  const mask = Uint8Array.from({ length: g.n }, (_, u) => (isValidationUser(u, split) ? 1 : 0));
  const e = await buildExamples(src, { ...opts, seed: 9, labelUsers: mask });
  assert.equal(e.labels.mode, 'edges');
  assert.ok(e.rows > 0);
  let positives = 0;
  for (let r = 0; r < e.rows; r++) {
    assert.equal(mask[e.user[r]], 1, `user ${e.user[r]} is not a label user`);
    if (e.y[r] > 0) {
      positives++;
      assert.ok(g.hasEdge(e.user[r], e.cand[r]), 'a positive is a held-back connection');
      assert.ok(!e.graph.hasEdge(e.user[r], e.cand[r]), 'and is not in the snapshot');
    }
  }
  assert.ok(positives > 0);
  // Connections between two users outside the mask are all in the snapshot.
  const edges = graphEdges(g);
  for (let i = 0; i < edges.count; i++) {
    if (!mask[edges.src[i]] && !mask[edges.dst[i]]) assert.ok(e.graph.hasEdge(edges.src[i], edges.dst[i]));
  }
});

test('edge labels: each round is a fresh draw of the validation users\' connections; the rounds pool as separate user-rounds', async () => {
  const model = tinyRanker(3, [8]);
  const one = await pooledValidation(src, opts, ex, model, split, { minUsers: 1, maxRounds: 1 });
  assert.equal(one.rounds, 1);
  const round1 = await buildExamples(src, { ...opts, seed: opts.seed + 7919, labelUsers: Uint8Array.from(ex.labelled!, (l, u) => (l && isValidationUser(u, split) ? 1 : 0)) });
  const rows1 = validationRows(round1, split);
  assert.deepEqual(one.valid, validationMetrics(model, rows1));
  assert.equal(one.users, rows1.next);
  const four = await pooledValidation(src, opts, ex, model, split, { minUsers: 1e9, maxRounds: 4 });
  assert.equal(four.rounds, 4);
  assert.ok(four.users > 2 * one.users && four.users <= 4 * one.users * 1.5, `${four.users} user-rounds, ${one.users} in round 1`);
  assert.ok(four.positives > 2 * one.positives);
  // Deterministic, and stops once minUsers user-rounds are in.
  const again = await pooledValidation(src, opts, ex, model, split, { minUsers: 1e9, maxRounds: 4 });
  assert.deepEqual({ ...again, seconds: 0 }, { ...four, seconds: 0 });
  const some = await pooledValidation(src, opts, ex, model, split, { minUsers: one.users + 1, maxRounds: 8 });
  assert.equal(some.rounds, 2);
});

test('validation rows renumber users from the given start, and their positives outside the lists follow them', () => {
  const v = validationRows(ex, split, 1000);
  const users = new Set(v.user);
  assert.equal(Math.min(...users), 1000);
  assert.equal(v.next, 1000 + users.size);
  for (const u of v.outside.keys()) assert.ok(u >= 1000 && u < v.next);
});

test('log labels (timed connections): one round, the training examples\' own validation rows', async () => {
  const timed: RankSource = { ids: w.ids, profiles: w.profiles, graph: buildGraph(w.ids.size, w.connections), events: w.events };
  const e = await buildExamples(timed, opts);
  assert.equal(e.labels.mode, 'log');
  assert.equal(e.labelled, null);
  const model = tinyRanker(3, [8]);
  const p = await pooledValidation(timed, opts, e, model, split, { minUsers: 1e9, maxRounds: 4 });
  assert.equal(p.rounds, 1);
  assert.deepEqual(p.valid, validationMetrics(model, validationRows(e, split)));
});

test('the trainer and the validation hold out the same users by default', () => {
  for (let u = 0; u < 200; u++) assert.equal(isValidationUser(u), isValidationUser(u, TRAIN_DEFAULTS));
});
