/**
 * Exported ONNX models against the trainer's own forward pass (on rows other than the golden batch), INT8
 * against fp32, and the trainers against the synthetic rule they should learn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rocAuc } from '../../src/eval/metrics.js';
import { exportGraphs, exportModel } from '../../src/rank/export.js';
import { gbdtForward } from '../../src/rank/gbdt.js';
import { mlpForward } from '../../src/rank/mlp.js';
import { mlpGraph } from '../../src/rank/mlpGraph.js';
import { REFERENCE } from '../../src/rank/modelFiles.js';
import { RankSession } from '../../src/rank/onnxRuntime.js';
import { FEATURE_COUNT } from '../../src/rank/schema.js';
import { blendForward } from '../../src/rank/validation.js';
import { syntheticSet, tinyRanker } from './fixtures.js';

const t = tinyRanker(1);
const graphs = exportGraphs(t);
const check = syntheticSet(1000, 77);

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function topK(s: Float32Array, k: number): Set<number> {
  return new Set(Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b).slice(0, k));
}

test('the trainers learn the synthetic rule (AUC well above chance on fresh rows)', () => {
  const pos = (s: Float32Array): number[] => Array.from(s).filter((_, i) => check.y[i] === 1);
  const neg = (s: Float32Array): number[] => Array.from(s).filter((_, i) => check.y[i] === 0);
  const m = mlpForward(t.mlp, check.X, check.rows);
  const g = gbdtForward(t.gbdt, check.X, check.rows);
  assert.ok(rocAuc(pos(m), neg(m)) > 0.9, `mlp auc ${rocAuc(pos(m), neg(m))}`);
  assert.ok(rocAuc(pos(g), neg(g)) > 0.9, `gbdt auc ${rocAuc(pos(g), neg(g))}`);
});

test('fp32 MLP, tree and fp32 blend ONNX models match the trainer within 1e-4 on rows outside the golden batch', async () => {
  for (const [variant, ref] of [
    ['mlp', mlpForward(t.mlp, check.X, check.rows)],
    ['gbdt', gbdtForward(t.gbdt, check.X, check.rows)],
    ['blend', blendForward(t.mlp, t.gbdt, t.treeWeight, check.X, check.rows)],
  ] as const) {
    const s = await RankSession.load(graphs[variant], FEATURE_COUNT, variant);
    const got = await s.run(check.X, check.rows);
    assert.ok(maxDiff(got, ref) < 1e-4, `${variant}: max diff ${maxDiff(got, ref)}`);
    s.dispose();
  }
});

test('the blend graph is sigmoid(INT8 MLP logit + w × trees\' logit), within the INT8 tolerance of the trainer\'s blend', async () => {
  const g = exportGraphs(t);
  const run = async (v: keyof typeof g): Promise<Float32Array> => {
    const s = await RankSession.load(g[v], FEATURE_COUNT, v);
    const out = await s.run(check.X, check.rows);
    s.dispose();
    return out;
  };
  const [blend, i8, trees] = [await run('blend-int8'), await run('mlp-int8'), await run('gbdt')];
  const logit = (p: number): number => Math.log(p / (1 - p));
  let worst = 0;
  let moved = 0;
  for (let r = 0; r < check.rows; r++) {
    const p = i8[r];
    if (p < 1e-4 || p > 1 - 1e-4 || trees[r] < 1e-4 || trees[r] > 1 - 1e-4) continue; // logits of saturated probabilities are imprecise
    const want = 1 / (1 + Math.exp(-(logit(p) + t.treeWeight * logit(trees[r]))));
    worst = Math.max(worst, Math.abs(blend[r] - want));
    if (Math.abs(blend[r] - p) > 0.01) moved++;
  }
  assert.ok(worst < 1e-4, `blend vs its parts: ${worst}`);
  assert.ok(moved > 50, `the trees move ${moved} rows by more than 0.01`);
  const ref = blendForward(t.mlp, t.gbdt, t.treeWeight, check.X, check.rows);
  assert.ok(maxDiff(blend, ref) < REFERENCE['blend-int8'].tolerance, `blend vs trainer: ${maxDiff(blend, ref)}`);
});

test('INT8 MLP stays within tolerance of fp32: scores, top-20 agreement and AUC', async () => {
  const wide = tinyRanker(2, [64, 64]);
  const g = exportGraphs(wide);
  const f32 = await RankSession.load(g.mlp, FEATURE_COUNT, 'fp32');
  const i8 = await RankSession.load(g['mlp-int8'], FEATURE_COUNT, 'int8');
  const a = await f32.run(check.X, check.rows);
  const b = await i8.run(check.X, check.rows);
  // Per-row error: most rows within 0.04 of fp32, none past 0.1 (both grow with the feature count on this
  // fixture, whose feature f spans 1 + f: at 25 features the worst row was 0.053, at 30 the p99 0.032); the
  // ranking criteria below are what serving needs.
  const diffs = Array.from(a, (x, i) => Math.abs(x - b[i])).sort((x, y) => x - y);
  const p99 = diffs[Math.floor(0.99 * diffs.length)];
  assert.ok(p99 < 0.04, `p99 diff ${p99}`);
  assert.ok(maxDiff(a, b) < 0.1, `max diff ${maxDiff(a, b)}`);
  // Agreement per 200-row "request", as the server scores lists.
  let agree = 0;
  for (let r = 0; r < 1000; r += 200) {
    const ta = topK(a.subarray(r, r + 200), 20);
    for (const i of topK(b.subarray(r, r + 200), 20)) if (ta.has(i)) agree++;
  }
  assert.ok(agree / 100 >= 0.85, `top-20 agreement ${agree / 100}`);
  const auc = (s: Float32Array): number => rocAuc(Array.from(s).filter((_, i) => check.y[i] === 1), Array.from(s).filter((_, i) => check.y[i] === 0));
  assert.ok(Math.abs(auc(a) - auc(b)) < 0.01, `auc ${auc(a)} vs ${auc(b)}`);
  f32.dispose();
  i8.dispose();
});

test('static INT8 scores a row the same whether it is scored alone or in a batch (no per-batch scale)', async () => {
  const i8 = await RankSession.load(graphs['mlp-int8'], FEATURE_COUNT, 'int8');
  const all = await i8.run(check.X, check.rows);
  for (const r of [0, 17, 999]) {
    const one = await i8.run(check.X.slice(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), 1);
    assert.equal(one[0], all[r], `row ${r}`);
  }
  i8.dispose();
});

test('weights that training left as float32 denormals are exported as 0 (ONNX Runtime is slow on them)', () => {
  const p = structuredClone(t.mlp);
  p.weights[0][0] = 1e-40;
  p.weights[1][3] = -1e-39;
  for (const variant of ['fp32', 'int8-static'] as const) {
    const g = mlpGraph(p, { variant, calibration: t.calibration });
    for (const init of g.initializers) {
      if (!(init.data instanceof Float32Array)) continue;
      for (const v of init.data) assert.ok(v === 0 || Math.abs(v) >= 1.2e-38, `${variant} ${init.name}: denormal ${v}`);
    }
  }
});

test('every variant passes export validation and the card lists it with its measured golden difference', async () => {
  const e = await exportModel(t, 'mlp-int8');
  assert.deepEqual(Object.keys(e.card.variants).sort(), ['blend', 'blend-int8', 'gbdt', 'mlp', 'mlp-int8']);
  assert.deepEqual(e.refused, {});
  for (const v of Object.values(e.card.variants)) assert.ok(v!.maxGoldenDiff <= v!.tolerance);
});

test('a session scores an empty batch and rejects a matrix of the wrong width', async () => {
  const s = await RankSession.load(graphs.mlp, FEATURE_COUNT, 'mlp');
  assert.equal((await s.run(new Float32Array(0), 0)).length, 0);
  await assert.rejects(s.run(new Float32Array(FEATURE_COUNT + 1), 1), /features/);
  s.dispose();
  await assert.rejects(s.run(check.X.subarray(0, FEATURE_COUNT), 1), /disposed/);
});

test('when the variant asked to be served fails validation, the next one that passed is served and the failure reported', async () => {
  const { REFERENCE } = await import('../../src/rank/modelFiles.js');
  const saved = REFERENCE['mlp-int8'].tolerance;
  REFERENCE['mlp-int8'].tolerance = 0; // nothing quantized matches exactly
  try {
    const e = await exportModel(t, 'mlp-int8');
    assert.equal(e.card.served, 'mlp');
    assert.equal(e.card.variants['mlp-int8'], undefined);
    assert.match(e.refused['mlp-int8'], /golden batch differs/);
    // The default, the INT8 blend, falls back to the fp32 blend (the same model), not to another one.
    const savedBlend = REFERENCE['blend-int8'].tolerance;
    REFERENCE['blend-int8'].tolerance = 0;
    try {
      const b = await exportModel(t, 'blend-int8');
      assert.equal(b.card.served, 'blend');
      assert.match(b.refused['blend-int8'], /golden batch differs/);
    } finally {
      REFERENCE['blend-int8'].tolerance = savedBlend;
    }
  } finally {
    REFERENCE['mlp-int8'].tolerance = saved;
  }
});
