import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RankingAccumulator, averagePrecision, rocAuc } from '../../src/eval/metrics.js';
import { Rng } from '../../src/core/rng.js';

const close = (a: number, b: number, msg: string): void => assert.ok(Math.abs(a - b) < 1e-12, `${msg}: ${a} vs ${b}`);

/** Textbook per-user metrics, computed the slow way. */
function bruteUser(ranked: number[], rel: Set<number>, k: number) {
  const top = ranked.slice(0, k);
  const hits = top.filter((x) => rel.has(x)).length;
  let dcg = 0;
  top.forEach((x, i) => (dcg += rel.has(x) ? 1 / Math.log2(i + 2) : 0));
  let idcg = 0;
  for (let i = 0; i < Math.min(k, rel.size); i++) idcg += 1 / Math.log2(i + 2);
  return { recall: hits / rel.size, ndcg: dcg / idcg, hits: hits > 0 ? 1 : 0 };
}

test('ranking metrics match brute-force definitions on random lists', () => {
  const rng = new Rng(1);
  const ks = [1, 3, 10, 20];
  for (let trial = 0; trial < 20; trial++) {
    const acc = new RankingAccumulator([20, 1, 10, 3]); // any order
    const want = { recall: [0, 0, 0, 0], ndcg: [0, 0, 0, 0], hits: [0, 0, 0, 0], mrr: 0 };
    const perUser: number[][] = [[], [], [], []];
    const users = 1 + rng.int(30);
    for (let u = 0; u < users; u++) {
      const len = rng.int(30);
      const ranked = rng.shuffle(Array.from({ length: 60 }, (_, i) => i)).slice(0, len);
      const rel = new Set(Array.from({ length: 1 + rng.int(8) }, () => rng.int(60)));
      acc.add(Int32Array.from(ranked), ranked.length, rel);
      ks.forEach((k, i) => {
        const b = bruteUser(ranked, rel, k);
        want.recall[i] += b.recall / users;
        perUser[i].push(b.recall);
        want.ndcg[i] += b.ndcg / users;
        want.hits[i] += b.hits / users;
      });
      const first = ranked.slice(0, 20).findIndex((x) => rel.has(x));
      want.mrr += first < 0 ? 0 : 1 / (first + 1) / users;
    }
    const r = acc.result();
    assert.equal(r.users, users);
    ks.forEach((k, i) => {
      close(r.recall[k], want.recall[i], `recall@${k}`);
      const m = want.recall[i];
      const sd = users < 2 ? 0 : Math.sqrt(perUser[i].reduce((a, x) => a + (x - m) ** 2, 0) / (users - 1));
      assert.ok(Math.abs(r.recallStdErr[k] - sd / Math.sqrt(users)) < 1e-9, `recall@${k} standard error ${r.recallStdErr[k]} vs ${sd / Math.sqrt(users)}`);
      close(r.ndcg[k], want.ndcg[i], `ndcg@${k}`);
      close(r.hits[k], want.hits[i], `hits@${k}`);
    });
    close(r.mrr, want.mrr, 'mrr');
  }
});

test('ranking metrics on a hand-computed case', () => {
  const acc = new RankingAccumulator([2, 4]);
  acc.add([5, 7, 9, 1], 4, new Set([7, 1, 100])); // hits at ranks 2 and 4
  const r = acc.result();
  close(r.recall[2], 1 / 3, 'recall@2');
  close(r.recall[4], 2 / 3, 'recall@4');
  close(r.ndcg[2], 1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 'ndcg@2');
  close(r.ndcg[4], (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3) + 1 / Math.log2(4)), 'ndcg@4');
  close(r.mrr, 0.5, 'mrr');
  assert.throws(() => acc.add([1], 1, new Set()));
});

function bruteAuc(pos: number[], neg: number[]): number {
  let s = 0;
  for (const p of pos) for (const q of neg) s += p > q ? 1 : p === q ? 0.5 : 0;
  return s / (pos.length * neg.length);
}

/** AP straight from its definition: for each distinct threshold t (high to low), recall step × precision at t. */
function bruteAp(pos: number[], neg: number[]): number {
  const thresholds = [...new Set([...pos, ...neg])].sort((a, b) => b - a);
  let ap = 0;
  let prevRecall = 0;
  for (const t of thresholds) {
    const tp = pos.filter((x) => x >= t).length;
    const fp = neg.filter((x) => x >= t).length;
    const recall = tp / pos.length;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

test('ROC-AUC and AP match brute force, with many ties', () => {
  const rng = new Rng(2);
  for (let trial = 0; trial < 200; trial++) {
    const levels = 1 + rng.int(6); // few distinct values → lots of ties
    const pos = Array.from({ length: 1 + rng.int(25) }, () => rng.int(levels));
    const neg = Array.from({ length: 1 + rng.int(25) }, () => rng.int(levels) - (rng.chance(0.3) ? 1 : 0));
    close(rocAuc(pos, neg), bruteAuc(pos, neg), 'auc');
    close(averagePrecision(pos, neg), bruteAp(pos, neg), 'ap');
  }
  assert.equal(rocAuc([3, 4], [1, 2]), 1);
  assert.equal(rocAuc([1], [1]), 0.5);
  assert.equal(averagePrecision([5], [1, 2]), 1);
  close(averagePrecision([1], [2, 3]), 1 / 3, 'ap of a last positive');
  assert.equal(rocAuc([Infinity, 1], [Infinity, 0]), 0.625); // (0.5 + 1 + 0 + 1) / 4
});
