import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../../src/data/generate/index.js';
import { EMBED_ARTIFACTS, loadBundleModel, type EmbeddingsMeta } from '../../src/embed/checkpoint.js';
import { embedProfile } from '../../src/embed/profile.js';
import { fromF16, fromI8 } from '../../src/embed/quantize.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { EMBED_DEFAULTS, embedStage, type EmbedParams } from '../../src/pipeline/stages/embed.js';
import { graphStage } from '../../src/pipeline/stages/graph.js';
import { ingestStage } from '../../src/pipeline/stages/ingest.js';

const PARAMS: EmbedParams = { ...EMBED_DEFAULTS, train: { dim: 16, hidden: 16, fanouts: [4, 4], epochs: 1, batchSize: 256, identity: true } };
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-embed-'));
  await generateWorld({ users: 300, seed: 5, out: join(root, 'data') });
});
after(async () => rm(root, { recursive: true, force: true }));

const run = (out: string, p: EmbedParams = PARAMS) =>
  runPipeline({ out, stages: [ingestStage(), graphStage(), embedStage(p)], inputs: { data: join(root, 'data') }, params: { p }, progress: 'silent', log: () => {} });

test('the embed stage writes unit vectors with f16/i8 copies, a description and a checkpoint; a rerun fine-tunes from it', async () => {
  const out = join(root, 'bundle');
  await run(out);
  const b = await openBundle(out, { verify: 'full' });
  const meta = await b.readJson<EmbeddingsMeta>(EMBED_ARTIFACTS.meta);
  assert.equal(meta.dim, 16);
  assert.equal(meta.count, 300);
  assert.equal(meta.normalization, 'l2');
  const { vectors, source } = await b.readArrays(EMBED_ARTIFACTS.vectors, { vectors: 'float32', source: 'uint8' });
  assert.equal(vectors.length, 300 * 16);
  for (let u = 0; u < 300; u++) {
    let s = 0;
    for (let k = 0; k < 16; k++) s += vectors[u * 16 + k] ** 2;
    assert.ok(Math.abs(Math.sqrt(s) - 1) < 1e-4, `user ${u} norm ${Math.sqrt(s)}`);
  }
  assert.equal(meta.sources.gnn + meta.sources.tower, 300);
  assert.equal(source.reduce((a, x) => a + x, 0), meta.sources.tower);
  const f16 = fromF16((await b.readArrays(EMBED_ARTIFACTS.vectorsF16, { vectors: 'uint16' })).vectors);
  const i8c = await b.readArrays(EMBED_ARTIFACTS.vectorsI8, { vectors: 'int8', scale: 'float32' });
  assert.equal(i8c.scale[0], meta.files.i8.scale);
  const i8 = fromI8({ codes: i8c.vectors, scale: i8c.scale[0] });
  for (let i = 0; i < vectors.length; i++) {
    assert.ok(Math.abs(f16[i] - vectors[i]) <= 1e-3, `f16 ${i}`);
    assert.ok(Math.abs(i8[i] - vectors[i]) <= i8c.scale[0] / 2 + 1e-7, `i8 ${i}`);
  }
  const model = (await loadBundleModel(b))!;
  assert.equal(model.users, 300);
  const v = embedProfile(model, { company: 'Acme', location: 'Paris', seniority: 2 });
  assert.equal(v.length, 16);
  assert.equal((b.stage('embed')!.metrics as { fineTuned: boolean }).fineTuned, false);

  // Rerun into the same folder: the previous bundle's checkpoint is the starting point.
  await run(out, { ...PARAMS, train: { ...PARAMS.train, seed: 2 } });
  const b2 = await openBundle(out);
  const m2 = b2.stage('embed')!.metrics as { fineTuned: boolean; modelVersion: string };
  assert.equal(m2.fineTuned, true);
  assert.notEqual(m2.modelVersion, (b.stage('embed')!.metrics as { modelVersion: string }).modelVersion);
  // 'none' trains from scratch even with a previous bundle there.
  await run(out, { ...PARAMS, resumeFrom: 'none' });
  assert.equal(((await openBundle(out)).stage('embed')!.metrics as { fineTuned: boolean }).fineTuned, false);
});
