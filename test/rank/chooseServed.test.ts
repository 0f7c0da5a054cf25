/** Model selection on the validation lists: the blend unless the trees alone are clearly better, or no model when none beats AA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseServed, GBDT_MARGIN } from '../../src/rank/train.js';
import type { ScoreMetrics } from '../../src/rank/validation.js';

const m = (recall20: number, ndcg10 = 0.3): ScoreMetrics => ({ auc: 0.9, logLoss: null, ndcg10, recall20 });

test('chooseServed: the blend when it beats AA; the trees alone only when more than GBDT_MARGIN better than the blend and the MLP', () => {
  assert.equal(GBDT_MARGIN, 0.05);
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.45), blend: m(0.49), aa: m(0.4) }), 'blend-int8', 'the blend is not second-guessed by a 1% validation difference');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.53), blend: m(0.5), aa: m(0.4) }), 'gbdt', '6% better than both: past the margin');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.53), blend: m(0.51), aa: m(0.4) }), 'blend-int8', '4% better than the blend: not worth leaving it');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.52), blend: m(0.39), aa: m(0.4) }), 'mlp-int8', 'the blend below AA: the MLP, the trees 4% better are not worth their cost');
  assert.equal(chooseServed({ mlp: m(0.39), gbdt: m(0.45), blend: m(0.38), aa: m(0.4) }), 'gbdt', 'only the trees beat AA');
  assert.equal(chooseServed({ mlp: m(0.39), gbdt: m(0.38), blend: m(0.395), aa: m(0.4) }), 'aa', 'none beats AA: no model');
  assert.equal(chooseServed({ mlp: m(0.4, 0.3), gbdt: m(0.3), blend: m(0.4, 0.3), aa: m(0.4, 0.3) }), 'aa', 'equal to AA is not better');
  assert.equal(chooseServed({ mlp: m(0.4, 0.3), gbdt: m(0.3), blend: m(0.4, 0.31), aa: m(0.4, 0.3) }), 'blend-int8', 'a Recall@20 tie with AA, a better NDCG@10');
});
