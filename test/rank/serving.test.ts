/**
 * Serving with the model: the server picks the bundle's model, hot-swaps it together with a newer bundle,
 * refuses a bundle whose model file is damaged (the old version and model keep serving), and at start-up
 * falls back to the stored score when 'auto' finds the model unusable but refuses to start when the model
 * was asked for by name.
 */
import type { Variant } from '../../src/rank/modelFiles.js';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';
import { createServer } from '../../src/serve/server.js';

const PARAMS = {
  ...PIPELINE_DEFAULTS,
  rank: { ...RANK_DEFAULTS, served: 'mlp-int8' as Variant | 'auto', train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 50 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 5 } } },
};
let root = '';
let data = '';
let bundle = '';

async function build(params = PARAMS): Promise<void> {
  await runPipeline({ out: bundle, stages: defaultStages(params), inputs: { data }, params, progress: 'silent', log: () => {} });
}

/** Overwrites a file with garbage of the same size. */
async function damage(file: string): Promise<void> {
  const b = await readFile(file);
  await writeFile(file, Buffer.alloc(b.length, 7));
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-rank-serve-'));
  data = join(root, 'data');
  bundle = join(root, 'bundle');
  await generateWorld({ users: 500, seed: 3, out: data });
  await build();
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the server ranks with the model, swaps it with a new bundle, and refuses a bundle with a damaged model', async () => {
  const server = await createServer(loadConfig({ bundle }, {}));
  assert.equal(server.scorerName(), 'model:mlp-int8');
  const v1 = await server.reload();
  const r = await server.app.inject({ url: '/v1/users/u5/recommendations?limit=5' });
  assert.equal(r.statusCode, 200);
  for (const x of r.json().recommendations) assert.ok(x.score > 0 && x.score < 1, 'model scores are probabilities');
  // A newer bundle serving the fp32 variant: swapped in together with its model.
  await build({ ...PARAMS, rank: { ...PARAMS.rank, served: 'mlp' } });
  const v2 = await server.reload();
  assert.notEqual(v2, v1);
  assert.equal(server.scorerName(), 'model:mlp');
  // A third bundle whose served model file is damaged: refused, v2 and its model keep serving.
  await build();
  await damage(join(bundle, 'model/mlp-int8.onnx'));
  assert.equal(await server.reload(), v2);
  assert.equal(server.scorerName(), 'model:mlp');
  assert.equal((await server.app.inject({ url: '/v1/users/u5/recommendations?limit=5' })).statusCode, 200);
  await server.close();
});

/** Damages an artifact and re-records its checksum: the bundle verifies, the model itself cannot load. */
async function damageRecorded(dir: string, name: string): Promise<void> {
  await damage(join(dir, name));
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, { sha256: string }> };
  m.artifacts[name].sha256 = createHash('sha256').update(await readFile(join(dir, name))).digest('hex');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
}

test('at start-up a bundle with an artifact failing its checksum is refused whole, naming the file', async () => {
  const copy = join(root, 'corrupt');
  await cp(bundle, copy, { recursive: true });
  await damage(join(copy, 'model/mlp-int8.onnx'));
  await assert.rejects(createServer(loadConfig({ bundle: copy }, {})), /mlp-int8\.onnx: checksum mismatch/);
});

test("at start-up 'auto' falls back to the stored score when the model is unusable; a named model must load", async () => {
  const copy = join(root, 'damaged');
  await cp(bundle, copy, { recursive: true });
  await damageRecorded(copy, 'model/mlp-int8.onnx');
  const s = await createServer(loadConfig({ bundle: copy }, {}));
  assert.equal(s.scorerName(), 'stored');
  assert.equal((await s.app.inject({ url: '/v1/users/u5/recommendations?limit=5' })).statusCode, 200);
  await s.close();
  await assert.rejects(createServer(loadConfig({ bundle: copy, scorer: 'mlp-int8' }, {})), /PYMK|checksum|model/i);
  const h = await createServer(loadConfig({ bundle: copy, scorer: 'aa' }, {}));
  assert.equal(h.scorerName(), 'aa');
  await h.close();
});
