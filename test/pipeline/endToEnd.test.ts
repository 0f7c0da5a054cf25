/**
 * End to end on a small generated world: generate → pipeline → bundle → serve. Checks that the stages agree
 * with each other and that the server, the batch command's core and the static lists give the same answers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';
import { selectScorer } from '../../src/rank/select.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { coreFor, rankUser } from '../../src/recommend/recommend.js';
import { createServer } from '../../src/serve/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import { ttlConfig } from '../../src/store/index.js';
import { containsSorted } from '../../src/core/sorted.js';
import { AnnCandidates, unconnectedUsers } from '../../src/recommend/ann.js';
import { readArrays } from '../../src/bundle/binary.js';
import { row } from '../../src/store/snapshot.js';
import { FLAG_BANNED, FLAG_DEACTIVATED } from '../../src/core/tables.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import { fakeTime } from '../helpers/fakeTime.js';

// A quick ranker (few epochs and trees), served as the default variant (the blend): the stages and their hand-offs are under test here, not the model.
const PARAMS = {
  ...PIPELINE_DEFAULTS,
  rank: { ...RANK_DEFAULTS, served: 'blend-int8' as const, train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 100 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 10 } } },
};
let root = '';
let data = '';
let bundle = '';
let snap: Snapshot;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-e2e-'));
  data = join(root, 'data');
  bundle = join(root, 'bundle');
  await generateWorld({ users: 3000, seed: 7, out: data });
  await runPipeline({ out: bundle, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
  snap = await loadSnapshot(bundle);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the manifest records every stage with metrics and the input checksum', async () => {
  const b = await openBundle(bundle, { verify: 'full' });
  assert.deepEqual(b.manifest.stages.map((s) => s.name), ['ingest', 'graph', 'embed', 'ann', 'candidates', 'pair-features', 'rank', 'lists']);
  assert.ok(b.manifest.inputs.data.sha256.length === 64);
  const graph = b.stage('graph')!;
  assert.equal((graph.metrics as { users: number }).users, 3000);
  assert.ok(b.schema.candidates, 'feature schema set by the candidates stage');
});

test('a user with no connections gets ANN candidates: the exact nearest connected users by embedding, exclusions applied', async () => {
  const { vectors } = await readArrays(join(bundle, 'embeddings/users.bin'), { vectors: 'float32' });
  const n = snap.ids.size;
  const dim = vectors.length / n;
  const isolated = Array.from({ length: n }, (_, u) => u).filter((u) => snap.graph.neighbors(u).length === 0 && !snap.profiles.flags[u]);
  assert.ok(isolated.length >= 3, `the world has users without connections (${isolated.length})`);
  const server = await createServer(loadConfig({ bundle, l1Size: 0, annCandidates: 50 }, {}));
  try {
    for (const u of isolated.slice(0, 3)) {
      const res = await server.app.inject({ url: `/v1/users/${snap.ids.value(u)}/recommendations?limit=10` });
      assert.equal(res.statusCode, 200);
      const body = res.json() as { source: string; recommendations: { id: string; score: number; reasons: { type: string; similarity?: number }[] }[] };
      assert.equal(body.source, 'ann', `user ${u}`);
      assert.ok(body.recommendations.length > 0);
      // Exact: cosine similarity to every other user with an embedding and a connection (serving offers only
      // those, src/recommend/ann.ts), excluded ones left out.
      const excluded = new Set([u, ...row(snap.blocked, u), ...row(snap.dismissed, u)]);
      const sims: [number, number][] = [];
      for (let v = 0; v < n; v++) {
        if (excluded.has(v) || snap.graph.neighbors(v).length === 0) continue;
        let dot = 0;
        let nv = 0;
        for (let j = 0; j < dim; j++) {
          dot += vectors[u * dim + j] * vectors[v * dim + j];
          nv += vectors[v * dim + j] ** 2;
        }
        if (nv > 0) sims.push([v, dot / Math.sqrt(nv)]);
      }
      sims.sort((a, b) => b[1] - a[1]);
      const top50 = new Set(sims.slice(0, 50).map(([v]) => snap.ids.value(v)));
      const exactSim = new Map(sims.map(([v, s]) => [snap.ids.value(v), s]));
      for (const r of body.recommendations) {
        assert.ok(top50.has(r.id), `user ${u}: ${r.id} is not among the exact 50 nearest connected users`);
        assert.ok(Math.abs(r.score - exactSim.get(r.id)!) < 1e-3, `score is the exact similarity (${r.score} vs ${exactSim.get(r.id)})`);
        assert.ok(r.reasons.some((x) => x.type === 'similar_to_you' && Math.abs(x.similarity! - r.score) < 1e-3));
      }
      const scores = body.recommendations.map((r) => r.score);
      assert.deepEqual(scores, [...scores].sort((a, b) => b - a), 'ordered by similarity');
    }
  } finally {
    await server.close();
  }
});

test('an ANN search that failed, or would mix bundle versions, degrades to "no candidates" and is counted', async () => {
  const ann = (await AnnCandidates.open(bundle, snap.version, { k: 10, workers: 1, stateDir: join(root, 'ann-state-failure') }))!;
  const store = new MemoryStore(snap);
  const u = Array.from({ length: snap.ids.size }, (_, i) => i).find((i) => snap.graph.neighbors(i).length === 0)!;
  const inputs = await store.fetchRankingInputs(u);
  assert.equal((await ann.fill(store, inputs)).source, 'ann');
  // A store serving another bundle version (e.g. Redis after a newer publish): its ids are not the index's.
  const newer = Object.create(store, { version: { value: () => 'a-newer-version' } }) as MemoryStore;
  assert.equal(await ann.fill(newer, inputs), inputs);
  assert.equal(ann.versionMismatches, 1);
  await ann.close();
  const after = await ann.fill(store, inputs);
  assert.equal(after, inputs);
  assert.equal(ann.failures, 1);
});

test('ANN candidates are users with connections: the search skips unconnected users, and offers them only when nobody else is found', async () => {
  const store = new MemoryStore(snap);
  const skip = unconnectedUsers(snap.graph);
  assert.ok(skip.length >= 3, `the world has users without connections (${skip.length})`);
  const u = skip[0];
  const inputs = await store.fetchRankingInputs(u);
  const k = 20;
  const ann = (await AnnCandidates.open(bundle, snap.version, { k, workers: 1, stateDir: join(root, 'ann-state-skip'), skip }))!;
  const everyone = (await AnnCandidates.open(bundle, snap.version, { k: k + skip.length, workers: 1, stateDir: join(root, 'ann-state-all') }))!;
  const alone = (await AnnCandidates.open(bundle, snap.version, { k, workers: 1, stateDir: join(root, 'ann-state-alone'), skip: Int32Array.from({ length: snap.ids.size }, (_, v) => v).filter((v) => v !== u) }))!;
  try {
    const got = await ann.fill(store, inputs);
    assert.equal(got.source, 'ann');
    assert.equal(got.candidates.ids.length, k);
    assert.ok([...got.candidates.users.degree].every((d) => d > 0), 'only users with connections');
    // The same as the connected users among an unfiltered search deep enough to hold them.
    const all = await everyone.fill(store, inputs);
    const connectedFirst = [...all.candidates.ids].filter((v) => snap.graph.degree(v) > 0).slice(0, k);
    assert.deepEqual([...got.candidates.ids], connectedFirst);
    assert.equal(ann.unconnectedOnly, 0);
    // Everyone else skipped: the search finds nobody, so the skipped neighbours are offered, counted.
    const fallback = await alone.fill(store, inputs);
    assert.equal(fallback.source, 'ann');
    assert.deepEqual([...fallback.candidates.ids], [...all.candidates.ids].slice(0, k));
    assert.equal(alone.unconnectedOnly, 1);
  } finally {
    await Promise.all([ann.close(), everyone.close(), alone.close()]);
  }
});

test('stored candidates are at distance exactly 2 and never deactivated or banned users', () => {
  const { graph, candidates, profiles } = snap;
  let checked = 0;
  for (let u = 0; u < graph.n; u += 37) {
    for (let p = candidates.offsets[u]; p < candidates.offsets[u + 1]; p++) {
      const v = candidates.cand[p];
      assert.notEqual(v, u);
      assert.ok(!graph.hasEdge(u, v), 'not already connected');
      const shared = [...graph.neighbors(u)].filter((w) => graph.hasEdge(w, v)).length;
      assert.ok(shared > 0, 'shares a neighbour');
      assert.equal(candidates.features.cn[p], shared, 'cn feature is exact');
      assert.equal(profiles.flags[v] & (FLAG_DEACTIVATED | FLAG_BANNED), 0);
      checked++;
    }
  }
  assert.ok(checked > 500, `checked ${checked} candidates`);
});

test('static lists obey the rules and equal what the online core returns for the same user', async () => {
  // The lists were ranked by the bundle's model; the online core with the same scorer must agree.
  const scorer = await selectScorer('auto', await openBundle(bundle));
  assert.equal(scorer.name, 'model:blend-int8');
  const core = coreFor(new MemoryStore(snap), loadConfig({}, {}), scorer);
  const lists = snap.lists!;
  let nonEmpty = 0;
  for (let u = 0; u < snap.ids.size; u += 53) {
    const row = lists.cand.subarray(lists.offsets[u], lists.offsets[u + 1]);
    const { inputs, outcome } = await rankUser(core, u, PIPELINE_DEFAULTS.lists.k);
    assert.deepEqual([...row], outcome.picked.map((i) => inputs.candidates.ids[i]));
    const perCompany = new Map<number, number>();
    for (const v of row) {
      assert.ok(!containsSorted(inputs.connections, v) && !containsSorted(inputs.blocked, v) && !containsSorted(inputs.dismissed, v));
      const c = snap.profiles.codes.company[v];
      if (c >= 0) perCompany.set(c, (perCompany.get(c) ?? 0) + 1);
    }
    assert.ok([...perCompany.values()].every((n) => n <= 5));
    if (row.length > 0) nonEmpty++;
  }
  assert.ok(nonEmpty > 20);
  scorer.dispose?.();
});

test('a long-running server re-publishes the bundle before its TTLs run out (memory store)', async () => {
  // 4 s TTLs on a fake clock that also runs the server's timers: 9 s pass without waiting for them.
  const ttl = ttlConfig('embedding=4,pair=4,profile=4,behaviour=4,candidates=4,graph=4,ids=4,static=4');
  const time = fakeTime();
  const server = await createServer(loadConfig({ bundle, l1Size: 0 }, {}), { ttl, clock: time.now, every: time.every });
  const url = '/v1/users/u10/recommendations?limit=5';
  try {
    const before = (await server.app.inject({ url })).json();
    assert.equal(before.source, 'stored');
    assert.deepEqual(time.periods(), [2000], 'one timer: the re-publish, at half the shortest TTL');
    await time.advance(9000);
    const r = await server.app.inject({ url });
    assert.equal(r.statusCode, 200, 'every value would have expired twice without the re-publish');
    assert.equal(r.json().source, 'stored');
    assert.deepEqual(r.json().recommendations, before.recommendations);
    // The same TTLs with the timer not firing: 4 s after the last re-publish nothing is served.
    time.jump(9000);
    assert.equal((await server.app.inject({ url })).statusCode, 503);
  } finally {
    await server.close();
  }
  assert.deepEqual(time.periods(), [], 'close() stops the timer');
});

test('the server answers from the bundle and hot-swaps to a rebuilt one; a broken bundle is refused', async () => {
  const server = await createServer(loadConfig({ bundle }, {}));
  const v1 = server.app ? (await server.app.inject({ url: '/readyz' })).json().version : '';
  const r = await server.app.inject({ url: '/v1/users/u10/recommendations?limit=5' });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().version, v1);
  // Rebuild with different params (a new version), then reload.
  const params = { ...PARAMS, lists: { ...PARAMS.lists, k: 20 } };
  await runPipeline({ out: bundle, stages: defaultStages(params), inputs: { data }, params, progress: 'silent', log: () => {} });
  const v2 = await server.reload();
  assert.notEqual(v2, v1);
  assert.equal((await server.app.inject({ url: '/v1/users/u10/recommendations?limit=5' })).json().version, v2);
  // A third build whose candidate file is then truncated: the server refuses it and keeps serving v2.
  await runPipeline({ out: bundle, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
  const file = join(bundle, 'candidates/two-hop.bin');
  await truncate(file, (await stat(file)).size - 16);
  assert.equal(await server.reload(), v2);
  assert.equal((await server.app.inject({ url: '/v1/users/u10/recommendations?limit=5' })).statusCode, 200);
  await server.close();
});
