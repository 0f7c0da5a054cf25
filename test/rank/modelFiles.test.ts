/** Loading a model from a bundle: the good case, and every way a model file is refused with a clear error. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PymkError } from '../../src/core/errors.js';
import type { ColumnSpec, ColumnsOf } from '../../src/bundle/binary.js';
import { exportModel } from '../../src/rank/export.js';
import { mlpGraph } from '../../src/rank/mlpGraph.js';
import { MODEL_FILES, loadModel, type ModelCard, type ModelReader } from '../../src/rank/modelFiles.js';
import { encodeModel } from '../../src/rank/onnxModel.js';
import { selectScorer } from '../../src/rank/select.js';
import { tinyRanker } from './fixtures.js';

const t = tinyRanker(3);
const exported = await exportModel(t, 'mlp-int8');

/** An in-memory bundle holding the exported model; `edit` changes files before reading. */
function reader(edit: (files: Map<string, unknown>) => void = () => {}): ModelReader {
  const files = new Map<string, unknown>([...exported.files, [MODEL_FILES.card, structuredClone(exported.card)], [MODEL_FILES.golden, { ...t.golden }]]);
  edit(files);
  return {
    has: (n) => files.has(n),
    readBytes: async (n) => files.get(n) as Uint8Array,
    readJson: async <T>(n: string) => files.get(n) as T,
    readArrays: async <S extends ColumnSpec>(n: string) => files.get(n) as ColumnsOf<S>,
  };
}

async function refused(r: ModelReader, pattern: RegExp): Promise<void> {
  await assert.rejects(loadModel(r), (e: unknown) => e instanceof PymkError && e.code === 'PYMK_MODEL_INVALID' && pattern.test(e.message));
}

test('a valid model loads as its served variant, and each variant on request', async () => {
  const m = await loadModel(reader());
  assert.equal(m.variant, 'mlp-int8');
  m.session.dispose();
  for (const v of ['mlp', 'gbdt'] as const) {
    const x = await loadModel(reader(), v);
    assert.equal(x.variant, v);
    assert.ok(x.maxGoldenDiff <= 1e-4);
    x.session.dispose();
  }
});

test('a corrupt (truncated) ONNX file is refused: ONNX Runtime cannot load it', async () => {
  const file = MODEL_FILES.onnx('mlp-int8');
  await refused(reader((f) => f.set(file, (f.get(file) as Uint8Array).subarray(0, 200))), /cannot load the model/);
});

test('a model trained for another feature schema is refused, naming both schemas', async () => {
  await refused(
    reader((f) => ((f.get(MODEL_FILES.card) as ModelCard).schema.id = 'deadbeefdeadbeef')),
    /feature schema deadbeefdeadbeef .* this server assembles schema/,
  );
});

test('a model whose input width does not match the schema is refused', async () => {
  const narrow = { ...t.mlp, sizes: [3, ...t.mlp.sizes.slice(1)], mean: t.mlp.mean.slice(0, 3), invStd: t.mlp.invStd.slice(0, 3), weights: [t.mlp.weights[0].slice(0, 3 * t.mlp.sizes[1]), ...t.mlp.weights.slice(1)] };
  const file = MODEL_FILES.onnx('mlp');
  await assert.rejects(loadModel(reader((f) => f.set(file, encodeModel(mlpGraph(narrow, { variant: 'fp32' })))), 'mlp'), /shape \[N, 3\]/);
});

test('a model that loads but disagrees with the golden batch is refused', async () => {
  // Another model's file under this card: valid ONNX, right shape, wrong outputs.
  const other = exportGraphs2();
  const file = MODEL_FILES.onnx('mlp');
  await assert.rejects(loadModel(reader((f) => f.set(file, other)), 'mlp'), /golden batch differs from the trainer/);
});

test('a variant the card does not list, a bundle without a model, and scorer names are handled clearly', async () => {
  await assert.rejects(loadModel(reader((f) => delete (f.get(MODEL_FILES.card) as ModelCard).variants.gbdt), 'gbdt'), /no validated variant 'gbdt'/);
  await assert.rejects(loadModel(reader((f) => f.delete(MODEL_FILES.card))), /no ranking model/);
  const none = reader((f) => f.delete(MODEL_FILES.card));
  assert.equal((await selectScorer('auto', none)).name, 'stored');
  await assert.rejects(selectScorer('mlp', none), /needs a ranking model/);
  await assert.rejects(selectScorer('nope', none), /unknown scorer 'nope'; expected one of: auto, model, mlp/);
  const s = await selectScorer('auto', reader());
  assert.equal(s.name, 'model:mlp-int8');
  s.dispose?.();
});

function exportGraphs2(): Uint8Array {
  const o = tinyRanker(9);
  return encodeModel(mlpGraph(o.mlp, { variant: 'fp32' }));
}

