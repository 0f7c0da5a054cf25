import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { loadModel, modelColumns, modelFrom, modelMeta, saveModel } from '../../src/embed/checkpoint.js';
import { emptyInputs } from '../../src/embed/features.js';
import { embedAll } from '../../src/embed/infer.js';
import { createModel } from '../../src/embed/model.js';
import { fromF16, fromI8, fromHalf, toF16, toHalf, toI8 } from '../../src/embed/quantize.js';
import { filterGraph, pairHash, trainModel } from '../../src/embed/train.js';
import { rocAuc } from '../../src/eval/metrics.js';
import { sampleNonEdges } from '../../src/graph/splits.js';
import { plantedPartition } from './helpers.js';

test('a saved model loads back identical; wrong shapes and formats are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-ckpt-'));
  try {
    const m = createModel({ dim: 4, hidden: 6, inputs: { kind: 'list', dim: 5 }, identity: true, fanouts: [3, 2] }, 7, 1);
    m.params.I.fill(0.25);
    const meta = await saveModel(dir, m, { note: 'test' });
    const back = await loadModel(dir);
    assert.deepEqual(back.config, m.config);
    assert.equal(back.users, 7);
    for (const k of Object.keys(m.params) as (keyof typeof m.params)[]) assert.deepEqual(back.params[k], m.params[k]);
    assert.equal(modelMeta(back).modelVersion, meta.modelVersion);
    const cols = modelColumns(m);
    assert.throws(() => modelFrom(meta, { ...cols, W2: new Float32Array(3) }, 'x'), { code: 'PYMK_BUNDLE_INVALID' });
    assert.throws(() => modelFrom({ ...meta, users: 8 }, cols, 'x'), { code: 'PYMK_BUNDLE_INVALID' });
    assert.throws(() => modelFrom({ ...meta, format: 'other' as never }, cols, 'x'), { code: 'PYMK_BUNDLE_INVALID' });
    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...meta, architecture: 'gcn' }));
    await assert.rejects(loadModel(dir), { code: 'PYMK_BUNDLE_INVALID' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('f16 copies round to the nearest binary16 value; i8 codes are within half a step', () => {
  for (const x of [0, 1, -1, 0.5, 65504, 1e-8, -2.5e-5, 0.1, 1 / 3]) {
    const back = fromHalf(toHalf(x));
    assert.ok(Math.abs(back - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `${x} → ${back}`);
  }
  assert.equal(fromHalf(toHalf(1e6)), Infinity);
  const rng = new Rng(1);
  const v = Float32Array.from({ length: 1000 }, () => rng.next() * 2 - 1);
  const h = fromF16(toF16(v));
  for (let i = 0; i < v.length; i++) assert.ok(Math.abs(h[i] - v[i]) <= 2 ** -11 * Math.abs(v[i]) + 1e-7);
  const q = toI8(v);
  const d = fromI8(q);
  let maxAbs = 0;
  for (let i = 0; i < v.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(v[i]));
    assert.ok(Math.abs(d[i] - v[i]) <= q.scale / 2 + 1e-7);
  }
  assert.ok(Math.abs(q.scale * 127 - maxAbs) < 1e-6);
});

test('fine-tuning from a checkpoint on a grown graph improves on the held-out edges of new users', async () => {
  // Groups 0-1 exist at first; groups 2-3 join later. Every 6th pair (by hash) is held out.
  const { g } = plantedPartition(4, 16, 0.5, 0.02, 6);
  const held = (u: number, v: number): boolean => pairHash(u, v, 17) % 6 === 0;
  const old = filterGraph(g, (u, v) => v < 32 && !held(u, v));
  const grown = filterGraph(g, (u, v) => !held(u, v));
  const inputs = emptyInputs(g.n);
  const spec = { kind: 'list' as const, dim: 0 };
  const opts = { dim: 8, hidden: 16, fanouts: [5, 5] as [number, number], batchSize: 32, lr: 0.02, identity: true, validFrac: 0, patience: 0, seed: 3 };
  const first = trainModel({ graph: old, inputs, spec }, { ...opts, epochs: 10 });
  const dir = await mkdtemp(join(tmpdir(), 'pymk-ft-'));
  await saveModel(dir, first.model);
  const loaded = await loadModel(dir);
  await rm(dir, { recursive: true, force: true });
  // Held-out edges touching the new users, against random non-edges.
  const pos: [number, number][] = [];
  for (let u = 0; u < g.n; u++) for (const v of g.neighbors(u)) if (u < v && v >= 32 && held(u, v)) pos.push([u, v]);
  const negT = sampleNonEdges(g, pos.length, 9);
  const auc = (E: Float32Array): number => {
    const dot = (u: number, v: number): number => {
      let s = 0;
      for (let k = 0; k < 8; k++) s += E[u * 8 + k] * E[v * 8 + k];
      return s;
    };
    return rocAuc(pos.map(([u, v]) => dot(u, v)), Array.from({ length: negT.count }, (_, i) => dot(negT.src[i], negT.dst[i])));
  };
  const before = auc(embedAll(loaded, grown, inputs));
  const tuned = trainModel({ graph: grown, inputs, spec }, { ...opts, epochs: 3, seed: 4 }, { init: loaded });
  assert.equal(tuned.model.users, g.n, 'the identity table grew to the new users');
  const after = auc(embedAll(tuned.model, grown, inputs));
  assert.ok(after > before + 0.05 && after > 0.85, `AUC on new users' edges: before ${before}, after ${after}`);
});
