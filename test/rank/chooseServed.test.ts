/** Model selection on the validation lists: the better model, or no model when neither beats AA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseServed, type ScoreMetrics } from '../../src/rank/train.js';

const m = (recall20: number, ndcg10 = 0.3): ScoreMetrics => ({ auc: 0.9, logLoss: null, ndcg10, recall20 });

test('chooseServed: higher validation Recall@20 wins, NDCG@10 breaks a tie, and AA must be beaten', () => {
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.45), aa: m(0.4) }), 'mlp-int8');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.55), aa: m(0.4) }), 'gbdt');
  assert.equal(chooseServed({ mlp: m(0.5, 0.31), gbdt: m(0.5, 0.32), aa: m(0.4) }), 'gbdt');
  assert.equal(chooseServed({ mlp: m(0.39), gbdt: m(0.38), aa: m(0.4) }), 'aa', 'neither beats AA: no model');
  assert.equal(chooseServed({ mlp: m(0.4, 0.3), gbdt: m(0.3), aa: m(0.4, 0.3) }), 'aa', 'equal to AA is not better');
});
