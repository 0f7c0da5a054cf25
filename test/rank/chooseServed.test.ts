/** Model selection on the validation lists: the MLP unless the trees are clearly better, or no model when neither beats AA. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseServed, GBDT_MARGIN, type ScoreMetrics } from '../../src/rank/train.js';

const m = (recall20: number, ndcg10 = 0.3): ScoreMetrics => ({ auc: 0.9, logLoss: null, ndcg10, recall20 });

test('chooseServed: the trees only when their Recall@20 is more than GBDT_MARGIN better, and AA must be beaten', () => {
  assert.equal(GBDT_MARGIN, 0.05);
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.45), aa: m(0.4) }), 'mlp-int8');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.53), aa: m(0.4) }), 'gbdt', '6% better: past the margin');
  assert.equal(chooseServed({ mlp: m(0.5), gbdt: m(0.52), aa: m(0.4) }), 'mlp-int8', '4% better: not worth the trees\' serving cost');
  assert.equal(chooseServed({ mlp: m(0.5, 0.31), gbdt: m(0.5, 0.32), aa: m(0.4) }), 'mlp-int8', 'a tie in Recall@20 serves the MLP');
  assert.equal(chooseServed({ mlp: m(0.39), gbdt: m(0.45), aa: m(0.4) }), 'gbdt', 'only the trees beat AA');
  assert.equal(chooseServed({ mlp: m(0.39), gbdt: m(0.38), aa: m(0.4) }), 'aa', 'neither beats AA: no model');
  assert.equal(chooseServed({ mlp: m(0.4, 0.3), gbdt: m(0.3), aa: m(0.4, 0.3) }), 'aa', 'equal to AA is not better');
});
