/**
 * The link-prediction loss: logistic loss on pair logits ℓ = τ·⟨q, k⟩ + β of unit-norm embeddings, with a
 * weight per pair (positives and negatives are each averaged, so the two sides weigh the same whatever
 * the number of negatives). τ = exp(logTau) and β are learned.
 */

/** A list of weighted, labelled pairs: row q[i] of the query matrix against row k[i] of the key matrix. */
export class Pairs {
  q = new Int32Array(1024);
  k = new Int32Array(1024);
  y = new Uint8Array(1024);
  w = new Float32Array(1024);
  count = 0;

  push(q: number, k: number, y: number, w: number): void {
    if (this.count === this.q.length) this.grow();
    const i = this.count++;
    this.q[i] = q;
    this.k[i] = k;
    this.y[i] = y;
    this.w[i] = w;
  }

  clear(): void {
    this.count = 0;
  }

  /** Multiplies the weights of pairs [from, count) with label y by f. */
  scale(from: number, y: number, f: number): void {
    for (let i = from; i < this.count; i++) if (this.y[i] === y) this.w[i] *= f;
  }

  private grow(): void {
    const c = this.q.length * 2;
    const g = <T extends Int32Array | Uint8Array | Float32Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(c);
      b.set(a);
      return b;
    };
    this.q = g(this.q, Int32Array);
    this.k = g(this.k, Int32Array);
    this.y = g(this.y, Uint8Array);
    this.w = g(this.w, Float32Array);
  }
}

export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/**
 * Weighted logistic loss over `pairs`; adds ∂loss/∂Q to dQ, ∂loss/∂K to dK (Q and K, dQ and dK may be the
 * same arrays) and [∂/∂logTau, ∂/∂β] to gScalars. Returns the loss.
 */
export function pairLoss(
  Q: Float32Array,
  dQ: Float32Array,
  K: Float32Array,
  dK: Float32Array,
  d: number,
  pairs: Pairs,
  logTau: number,
  beta: number,
  gScalars: Float32Array,
): number {
  const tau = Math.exp(logTau);
  let loss = 0;
  for (let i = 0; i < pairs.count; i++) {
    const qo = pairs.q[i] * d;
    const ko = pairs.k[i] * d;
    let s = 0;
    for (let t = 0; t < d; t++) s += Q[qo + t] * K[ko + t];
    const l = tau * s + beta;
    const y = pairs.y[i];
    const w = pairs.w[i];
    loss += w * (y ? softplus(-l) : softplus(l));
    const g = w * (sigmoid(l) - y);
    if (g === 0) continue;
    const gt = g * tau;
    for (let t = 0; t < d; t++) {
      dQ[qo + t] += gt * K[ko + t];
      dK[ko + t] += gt * Q[qo + t];
    }
    gScalars[0] += gt * s;
    gScalars[1] += g;
  }
  return loss;
}
