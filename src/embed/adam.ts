/**
 * Adam. Dense parameters update every element each step; row tables update only the rows the batch
 * touched ("lazy" Adam: an untouched row's moments do not decay), which keeps a step's cost independent
 * of the table size. Weight decay is decoupled (AdamW) and applies to the dense weight matrices only.
 */
import { Grads } from './grads.js';
import { PARAM_NAMES, TABLES, type Model, type ParamName } from './model.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay on W2 and Wt (default 0). */
  weightDecay?: number;
}

const DECAYED: readonly ParamName[] = ['W2', 'Wt'];

export class Adam {
  private readonly m = {} as Record<ParamName, Float32Array>;
  private readonly v = {} as Record<ParamName, Float32Array>;
  private t = 0;
  lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;

  constructor(model: Model, opts: AdamOptions) {
    this.lr = opts.lr;
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    for (const k of PARAM_NAMES) {
      this.m[k] = new Float32Array(model.params[k].length);
      this.v[k] = new Float32Array(model.params[k].length);
    }
  }

  /** Applies one step of `g` to the model's parameters. */
  step(model: Model, g: Grads): void {
    this.t++;
    const c1 = 1 - Math.pow(this.b1, this.t);
    const c2 = 1 - Math.pow(this.b2, this.t);
    const lr = (this.lr * Math.sqrt(c2)) / c1;
    for (const k of PARAM_NAMES) {
      const p = model.params[k];
      if (TABLES.includes(k)) {
        const rg = g.rows[k as 'A' | 'B' | 'I'];
        const cols = rg.cols;
        for (let s = 0; s < rg.count; s++) this.update(p, this.m[k], this.v[k], rg.buf, rg.rows[s] * cols, s * cols, cols, lr, 0);
      } else {
        this.update(p, this.m[k], this.v[k], g.dense[k], 0, 0, p.length, lr, DECAYED.includes(k) ? this.wd * this.lr : 0);
      }
    }
  }

  private update(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, po: number, go: number, len: number, lr: number, decay: number): void {
    const b1 = this.b1;
    const b2 = this.b2;
    const eps = this.eps;
    for (let i = 0; i < len; i++) {
      const gi = g[go + i];
      const j = po + i;
      m[j] = b1 * m[j] + (1 - b1) * gi;
      v[j] = b2 * v[j] + (1 - b2) * gi * gi;
      p[j] -= (lr * m[j]) / (Math.sqrt(v[j]) + eps) + decay * p[j];
    }
  }
}
