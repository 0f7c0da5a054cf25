/**
 * Offline evaluation metrics.
 *
 * Ranking metrics compare one user's ranked list with the user's held-out set R and are averaged over
 * query users (every query user has |R| ≥ 1):
 * - Recall@K = |top-K ∩ R| / |R|.
 * - NDCG@K   = DCG / IDCG with binary gains, DCG = Σ_{hit at rank i ≤ K} 1 / log2(i + 1) and
 *              IDCG = Σ_{i=1}^{min(K, |R|)} 1 / log2(i + 1).
 * - Hits@K   = 1 when the top K hold at least one held-out user (the per-user hit rate).
 * - MRR      = 1 / rank of the first held-out user in the list as ranked (0 when none is in it); the list
 *              is as long as the method returned, at most the largest K evaluated.
 *
 * Pair metrics score positive and negative pairs:
 * - ROC-AUC  = P(score of a random positive > a random negative), ties counting one half
 *              (the Mann-Whitney statistic with average ranks for tied scores).
 * - AP       = Σ_n (R_n − R_{n−1}) P_n over distinct score thresholds, highest first (tied scores form one
 *              threshold, as scikit-learn's average_precision_score does).
 */

/** Averages of the ranking metrics over query users; K-indexed metrics are keyed by K. */
export interface RankingMetrics {
  users: number;
  recall: Record<number, number>;
  /** The standard error of Recall@K over the query users (sample standard deviation / √users): the sampling noise of `recall`. */
  recallStdErr: Record<number, number>;
  ndcg: Record<number, number>;
  hits: Record<number, number>;
  mrr: number;
}

/** Accumulates per-user ranking metrics for a fixed list of K values. */
export class RankingAccumulator {
  readonly ks: readonly number[];
  private readonly recallSum: Float64Array;
  private readonly recallSquares: Float64Array;
  private readonly ndcgSum: Float64Array;
  private readonly hitsSum: Float64Array;
  private readonly discount: Float64Array;
  private mrrSum = 0;
  private count = 0;

  constructor(ks: readonly number[]) {
    if (ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) throw new RangeError(`K values must be positive integers, got ${ks.join(',')}`);
    this.ks = [...ks].sort((a, b) => a - b);
    this.recallSum = new Float64Array(ks.length);
    this.recallSquares = new Float64Array(ks.length);
    this.ndcgSum = new Float64Array(ks.length);
    this.hitsSum = new Float64Array(ks.length);
    const maxK = this.ks[this.ks.length - 1];
    this.discount = Float64Array.from({ length: maxK + 1 }, (_, i) => (i === 0 ? 0 : 1 / Math.log2(i + 1)));
  }

  get maxK(): number {
    return this.ks[this.ks.length - 1];
  }

  /**
   * Adds one query user: `ranked[0 .. length-1]` best first (entries past maxK are ignored) against the
   * held-out set `relevant` (non-empty).
   */
  add(ranked: ArrayLike<number>, length: number, relevant: ReadonlySet<number>): void {
    const nRel = relevant.size;
    if (nRel === 0) throw new RangeError('a query user needs at least one held-out item');
    const len = Math.min(length, this.maxK);
    let hits = 0;
    let dcg = 0;
    let firstHit = 0;
    let ki = 0;
    const ks = this.ks;
    for (let i = 0; i < len; i++) {
      // Close every K that ends before rank i + 1.
      while (ki < ks.length && ks[ki] <= i) this.closeK(ki++, hits, dcg, nRel);
      if (relevant.has(ranked[i])) {
        hits++;
        dcg += this.discount[i + 1];
        if (firstHit === 0) firstHit = i + 1;
      }
    }
    while (ki < ks.length) this.closeK(ki++, hits, dcg, nRel);
    if (firstHit > 0) this.mrrSum += 1 / firstHit;
    this.count++;
  }

  result(): RankingMetrics {
    const c = Math.max(1, this.count);
    const rec = (a: Float64Array): Record<number, number> => Object.fromEntries(this.ks.map((k, i) => [k, a[i] / c]));
    const stdErr = Object.fromEntries(
      this.ks.map((k, i) => {
        const n = this.count;
        if (n < 2) return [k, 0];
        const mean = this.recallSum[i] / n;
        return [k, Math.sqrt(Math.max(0, (this.recallSquares[i] - n * mean * mean) / (n - 1)) / n)];
      }),
    );
    return { users: this.count, recall: rec(this.recallSum), recallStdErr: stdErr, ndcg: rec(this.ndcgSum), hits: rec(this.hitsSum), mrr: this.mrrSum / c };
  }

  private closeK(ki: number, hits: number, dcg: number, nRel: number): void {
    const k = this.ks[ki];
    let idcg = 0;
    for (let i = 1; i <= Math.min(k, nRel); i++) idcg += this.discount[i];
    this.recallSum[ki] += hits / nRel;
    this.recallSquares[ki] += (hits / nRel) ** 2;
    this.ndcgSum[ki] += dcg / idcg;
    this.hitsSum[ki] += hits > 0 ? 1 : 0;
  }
}

/** Tie-aware ROC-AUC of positive vs negative scores (0.5 when either side is empty). */
export function rocAuc(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  const np = pos.length;
  const nn = neg.length;
  if (np === 0 || nn === 0) return 0.5;
  const { scores, labels } = sortedByScore(pos, neg, true);
  // Sum of positive ranks (1-based, ascending), tied scores sharing their average rank.
  let rankSum = 0;
  for (let i = 0; i < scores.length; ) {
    let j = i;
    let posInGroup = 0;
    while (j < scores.length && scores[j] === scores[i]) posInGroup += labels[j++];
    rankSum += posInGroup * ((i + 1 + j) / 2);
    i = j;
  }
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

/** Average precision of positives ranked among negatives by score, tied scores as one threshold (0 without positives). */
export function averagePrecision(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  const np = pos.length;
  if (np === 0) return 0;
  const { scores, labels } = sortedByScore(pos, neg, false);
  let tp = 0;
  let ap = 0;
  for (let i = 0; i < scores.length; ) {
    let j = i;
    let posInGroup = 0;
    while (j < scores.length && scores[j] === scores[i]) posInGroup += labels[j++];
    tp += posInGroup;
    ap += (posInGroup / np) * (tp / j);
    i = j;
  }
  return ap;
}

function sortedByScore(pos: ArrayLike<number>, neg: ArrayLike<number>, ascending: boolean): { scores: Float64Array; labels: Uint8Array } {
  const n = pos.length + neg.length;
  const all = new Float64Array(n);
  for (let i = 0; i < pos.length; i++) all[i] = pos[i];
  for (let i = 0; i < neg.length; i++) all[pos.length + i] = neg[i];
  for (let i = 0; i < n; i++) if (Number.isNaN(all[i])) throw new RangeError('scores must not be NaN');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (ascending ? cmp(all[a], all[b]) : cmp(all[b], all[a])));
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = all[order[i]];
    labels[i] = order[i] < pos.length ? 1 : 0;
  }
  return { scores, labels };
}

/** Comparison that also orders ±Infinity (a difference would give NaN for two infinities). */
function cmp(x: number, y: number): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
