/**
 * The incremental embed and ann stages (stages/keptEmbed.ts, stages/annIncremental.ts) on a grown world
 * (1% new connections, 20 new users, 5 profile edits): every vector equals a full re-embed of the grown
 * world by the earlier bundle's encoder, the users not re-embedded keep the earlier bundle's bytes, the
 * bundle's index (kept main + recent tier) opens as serving opens it and finds the re-embedded users, a
 * rebuild is chosen past the tier limit, and rerunning the same incremental run changes nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mainSpecOf, openBundleIndex, openSpec, readBundleAnn, servingSpec } from '../../src/ann/open.js';
import { SearchPool } from '../../src/ann/pool.js';
import { ExactIndex } from '../../src/ann/exact.js';
import { readArrays } from '../../src/bundle/binary.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { GRAPH_COLUMNS } from '../../src/bundle/artifacts.js';
import { readProfiles } from '../../src/bundle/read.js';
import { growWorld } from '../helpers/grownWorld.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { EMBED_ARTIFACTS, loadBundleModel } from '../../src/embed/checkpoint.js';
import { inputsFor, subsetInputs } from '../../src/embed/embedUsers.js';
import type { ProfileSpec } from '../../src/embed/features.js';
import { embedAll, towerAll } from '../../src/embed/infer.js';
import { Graph } from '../../src/graph/csr.js';
import { runPipeline, type RunResult } from '../../src/pipeline/runner.js';
import { incrementalAnnStage, RECENT_ARTIFACTS } from '../../src/pipeline/stages/annIncremental.js';
import { EMBED_DEFAULTS, embedStage, type EmbedParams } from '../../src/pipeline/stages/embed.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';

const EMBED: EmbedParams = { ...EMBED_DEFAULTS, train: { dim: 32, hidden: 32, fanouts: [5, 5], epochs: 1, maxEdges: 6000, batchSize: 256 }, inferFanouts: [8, 8] };
const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, embed: EMBED, ann: { recallSample: 100 }, rank: false };
const quiet = { progress: 'silent' as const, log: () => {} };
const USERS = 2000;

let root = '';
let grown = '';
let first: RunResult;
let inc: RunResult;
let again: RunResult;

/** The incremental pipeline, with the ann stage's recent tier limits replaced when given. */
const incremental = (since: string, tier?: { maxRecentFraction: number; minCos: number }) =>
  defaultStages(PARAMS, { incrementalFrom: since }).map((s) => (s.name === 'ann' && tier ? incrementalAnnStage(PARAMS.ann || {}, since, tier) : s));

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-incr-embed-'));
  const data = join(root, 'data');
  await generateWorld({ users: USERS, seed: 9, out: data });
  first = await runPipeline({ out: join(root, 'first'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
  grown = join(root, 'grown');
  await growWorld(data, grown, USERS);
  // Five users move to another company.
  const users = (await readFile(join(grown, 'users.jsonl'), 'utf8')).trim().split('\n');
  for (const u of [3, 300, 700, 1200, 1999]) users[u] = JSON.stringify({ ...JSON.parse(users[u]), company: `Moved Co ${u}` });
  await writeFile(join(grown, 'users.jsonl'), `${users.join('\n')}\n`);
  const tier = { maxRecentFraction: 1, minCos: 0.98 };
  inc = await runPipeline({ out: join(root, 'inc'), stages: incremental(first.dir, tier), inputs: { data: grown }, params: PARAMS, reuseFrom: first.dir, ...quiet });
  again = await runPipeline({ out: join(root, 'again'), stages: incremental(first.dir, tier), inputs: { data: grown }, params: PARAMS, reuseFrom: first.dir, ...quiet });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const vectorsOf = async (r: RunResult) => readArrays(join(r.dir, EMBED_ARTIFACTS.vectors), { vectors: 'float32', source: 'uint8' });
const metrics = (r: RunResult, stage: string) => r.manifest.stages.find((s) => s.name === stage)!.metrics as Record<string, unknown>;
const rowBytes = (v: Float32Array, u: number, d: number): Buffer => Buffer.from(v.buffer, v.byteOffset + u * d * 4, d * 4);

test('every vector is a full re-embed of the grown world by the kept encoder; the users not re-embedded keep the earlier bytes', async () => {
  const b = await openBundle(inc.dir);
  const model = (await loadBundleModel(b))!;
  assert.equal(model.config.dim, 32);
  const prevModel = (await loadBundleModel(await openBundle(first.dir)))!;
  assert.deepEqual(Buffer.from(model.params.W2.buffer), Buffer.from(prevModel.params.W2.buffer), 'the encoder is the earlier bundle\'s');
  const gc = await readArrays(join(inc.dir, 'graph/graph.bin'), GRAPH_COLUMNS);
  const n = gc.offsets.length - 1;
  assert.equal(n, USERS + 20);
  const g = new Graph(n, gc.offsets, gc.targets, gc.times);
  const { inputs } = inputsFor(await readProfiles(b, n), n, model.config.inputs as ProfileSpec);
  // The full re-embed, as embedUsers does it: the GNN for everyone, the profile tower for users without connections.
  const want = embedAll(model, g, inputs, { fanouts: EMBED.inferFanouts, seed: 1 });
  const isolated = Array.from({ length: n }, (_, u) => u).filter((u) => g.degree(u) === 0);
  const tower = towerAll(model, subsetInputs(inputs, isolated));
  isolated.forEach((u, i) => want.set(tower.subarray(i * 32, (i + 1) * 32), u * 32));
  const [now, before] = [await vectorsOf(inc), await vectorsOf(first)];
  let copied = 0;
  for (let u = 0; u < n; u++) {
    assert.ok(rowBytes(now.vectors, u, 32).equals(rowBytes(want, u, 32)), `user ${u}: not the full re-embed's vector`);
    assert.equal(now.source[u], g.degree(u) === 0 ? 1 : 0);
    if (u < USERS && rowBytes(now.vectors, u, 32).equals(rowBytes(before.vectors, u, 32))) copied++;
  }
  const m = metrics(inc, 'embed') as { kept: boolean; incremental: boolean; reembedded: number; copied: number; connectionsChanged: number; inputsChanged: number };
  assert.deepEqual([m.kept, m.incremental, m.inputsChanged], [true, true, 5]);
  assert.equal(m.reembedded + m.copied, n);
  assert.ok(m.copied > 0 && m.copied <= copied, `${m.copied} copied, ${copied} rows equal`);
  assert.ok(m.connectionsChanged > 20 && m.reembedded < n, JSON.stringify(m));
});

test('the incremental index opens as serving opens it, serves the recent-tier users and reaches the recall floor', async () => {
  const m = readBundleAnn(inc.dir);
  assert.ok(m.recent && m.recent.count >= 20, JSON.stringify(m.recent));
  const am = metrics(inc, 'ann') as { incremental: boolean; recent: number; recallAt10: number; recentRecallAt10: number };
  assert.equal(am.incremental, true);
  assert.ok(am.recallAt10 >= 0.9 && am.recentRecallAt10 >= 0.9, JSON.stringify(am));
  const { vectors } = await vectorsOf(inc);
  const masked = (await readArrays(join(inc.dir, RECENT_ARTIFACTS.masked), { ids: 'int32' })).ids;
  const ix = openBundleIndex(inc.dir);
  const tiered = openSpec({ ...servingSpec(inc.dir, inc.manifest.version!, join(root, 'tier-state'), { writeLog: false }) });
  try {
    assert.equal(ix.size(), USERS + 20);
    const exact = new ExactIndex(32, 'cos');
    exact.addBatch(Int32Array.from({ length: USERS + 20 }, (_, i) => i), vectors);
    let hit = 0;
    let total = 0;
    for (const u of masked) {
      const q = vectors.subarray(u * 32, (u + 1) * 32);
      for (const index of [ix, tiered]) {
        const top = index.search(q, { k: 10 });
        assert.equal(new Set(top.ids).size, top.ids.length, `user ${u}: an id twice`);
        assert.equal(top.ids[0], u, `user ${u}: not its own nearest`);
        assert.ok(Math.abs(top.distances[0]) < 1e-5, `user ${u}: distance ${top.distances[0]} to itself (a stale vector)`);
      }
      assert.deepEqual(ix.vector(u), vectors.slice(u * 32, (u + 1) * 32));
      const want = new Set(exact.search(q, { k: 10, exclude: [u] }).ids);
      for (const id of ix.search(q, { k: 10, exclude: [u] }).ids) hit += want.has(id) ? 1 : 0;
      total += 10;
    }
    assert.ok(hit / total >= 0.9, `recall@10 of the masked users ${hit / total}`);
  } finally {
    ix.close();
    tiered.close();
  }
});

test('the serving pool opens the incremental bundle: searches by user, online inserts and compaction over the layered main tier', async () => {
  const { vectors } = await vectorsOf(inc);
  const masked = (await readArrays(join(inc.dir, RECENT_ARTIFACTS.masked), { ids: 'int32' })).ids;
  const u = masked[masked.length - 1];
  const ann = await SearchPool.start({ spec: servingSpec(inc.dir, inc.manifest.version!, join(root, 'pool-state')), workers: 2 });
  try {
    const near = await ann.searchUser(u, { k: 5 });
    assert.ok(near && near.ids.length === 5 && !near.ids.includes(u));
    const own = await ann.search(vectors.slice(u * 32, (u + 1) * 32), { k: 1 });
    assert.equal(own.ids[0], u);
    const v = vectors.slice(0, 32);
    await ann.upsert(USERS + 20, v); // a user who joined after the bundle
    assert.equal(await ann.size(), USERS + 21);
    const c = await ann.compact(mainSpecOf(readBundleAnn(inc.dir)));
    assert.equal(c.vectors, USERS + 21);
    assert.equal((await ann.search(vectors.slice(u * 32, (u + 1) * 32), { k: 1 })).ids[0], u);
  } finally {
    await ann.close();
  }
});

test('rerunning the same incremental run changes nothing', async () => {
  for (const a of [EMBED_ARTIFACTS.vectors, EMBED_ARTIFACTS.vectorsF16, EMBED_ARTIFACTS.model, RECENT_ARTIFACTS.masked, RECENT_ARTIFACTS.mainVectors, 'ann/main.usearch', RECENT_ARTIFACTS.index]) {
    assert.equal(again.manifest.artifacts[a].sha256, inc.manifest.artifacts[a].sha256, a);
  }
  assert.deepEqual(readBundleAnn(again.dir), readBundleAnn(inc.dir));
  // And an incremental run on unchanged data since the incremental bundle re-embeds nobody and keeps the same tiers.
  const same = await runPipeline({ out: join(root, 'same'), stages: incremental(inc.dir, { maxRecentFraction: 1, minCos: 0.98 }), inputs: { data: grown }, params: PARAMS, reuseFrom: inc.dir, ...quiet });
  const em = metrics(same, 'embed') as { reembedded: number };
  assert.equal(em.reembedded, 0);
  for (const a of [EMBED_ARTIFACTS.vectors, RECENT_ARTIFACTS.masked, 'ann/main.usearch', RECENT_ARTIFACTS.mainVectors]) assert.equal(same.manifest.artifacts[a].sha256, inc.manifest.artifacts[a].sha256, a);
  assert.equal(readBundleAnn(same.dir).recent?.count, readBundleAnn(inc.dir).recent?.count);
});

test('past the recent tier limit the index is rebuilt whole, as a full run builds it', async () => {
  const r = await runPipeline({ out: join(root, 'rebuilt'), stages: incremental(first.dir, { maxRecentFraction: 0, minCos: 0.98 }), inputs: { data: grown }, params: PARAMS, reuseFrom: first.dir, ...quiet });
  const am = metrics(r, 'ann') as { incremental: boolean; why: string; recallAt10: number };
  assert.equal(am.incremental, false);
  assert.match(am.why, /above 0%/);
  const m = readBundleAnn(r.dir);
  assert.equal(m.recent, undefined);
  assert.equal(m.mainVectors, EMBED_ARTIFACTS.vectorsF16);
  const ix = openBundleIndex(r.dir);
  assert.equal(ix.size(), USERS + 20);
  ix.close();
});

test('vectors of a newly trained encoder rebuild the index instead of keeping the earlier one', async () => {
  // The embed stage of a full run (it trains: seed 2) inside an otherwise incremental run.
  const stages = incremental(first.dir, { maxRecentFraction: 1, minCos: 0.98 }).map((s) => (s.name === 'embed' ? embedStage({ ...EMBED, resumeFrom: 'none', train: { ...EMBED.train, seed: 2 } }) : s));
  const r = await runPipeline({ out: join(root, 'retrained'), stages, inputs: { data: grown }, params: PARAMS, ...quiet });
  const am = metrics(r, 'ann') as { incremental: boolean; why: string };
  assert.equal(am.incremental, false);
  assert.match(am.why, /another encoder/);
  assert.equal(readBundleAnn(r.dir).recent, undefined);
});

