/**
 * Forward and backward passes of the encoder (model.ts) over a sampled block, and of the profile tower,
 * with hand-written gradients. Sparse parts (table rows, neighbour means) are typed-array loops; the dense
 * products go through DenseKernels. Buffers live in a Workspace and are reused between batches.
 */
import type { Rng } from '../core/rng.js';
import type { Block } from './block.js';
import type { NodeInputs } from './features.js';
import type { Grads } from './grads.js';
import type { DenseKernels } from './kernels.js';
import type { Model } from './model.js';

/** Named scratch arrays that grow on demand; `get` returns a view of exactly `len` elements. */
export class Workspace {
  private readonly bufs = new Map<string, Float32Array>();
  get(name: string, len: number, zero = false): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < len) {
      b = new Float32Array(Math.max(len, Math.ceil((b?.length ?? 0) * 1.5)));
      this.bufs.set(name, b);
    } else if (zero) b.fill(0, 0, len);
    return b.subarray(0, len);
  }
}

export interface PassOptions {
  /** Dropout on hidden units (training only); 0 = none. */
  dropout: number;
  /** Draws the dropout masks; null = evaluation (no dropout). */
  rng: Rng | null;
}

/** out[o .. o+h) += w · Σ_slots x·T[slot] over node u's inputs. */
function addInputRows(inp: NodeInputs, u: number, T: Float32Array, h: number, w: number, out: Float32Array, o: number): void {
  for (let p = inp.offsets[u]; p < inp.offsets[u + 1]; p++) {
    const r = inp.index[p] * h;
    const x = w * inp.value[p];
    for (let k = 0; k < h; k++) out[o + k] += x * T[r + k];
  }
}

/** Scales rows of `a` (n × h) by an inverted-dropout mask drawn from rng (mask kept in `mask`). */
function dropout(a: Float32Array, mask: Float32Array, p: number, rng: Rng): void {
  const thr = Math.round(p * 256);
  const keep = 1 / (1 - thr / 256);
  for (let i = 0; i < a.length; i += 4) {
    let r = rng.u32();
    for (let k = i; k < i + 4 && k < a.length; k++, r >>>= 8) {
      const m = (r & 255) < thr ? 0 : keep;
      mask[k] = m;
      a[k] *= m;
    }
  }
}

/** Row-wise L2 normalisation: out = z / ‖z‖, norms kept for the backward pass. */
function normalizeRows(z: Float32Array, rows: number, d: number, out: Float32Array, norms: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += z[t * d + k] * z[t * d + k];
    const nrm = Math.sqrt(s) + 1e-12;
    norms[t] = nrm;
    for (let k = 0; k < d; k++) out[t * d + k] = z[t * d + k] / nrm;
  }
}

/** dz = (de − e·⟨e, de⟩) / ‖z‖, row-wise (in place into dz). */
function normalizeBackward(e: Float32Array, de: Float32Array, norms: Float32Array, rows: number, d: number, dz: Float32Array): void {
  for (let t = 0; t < rows; t++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += e[t * d + k] * de[t * d + k];
    const inv = 1 / norms[t];
    for (let k = 0; k < d; k++) dz[t * d + k] = (de[t * d + k] - e[t * d + k] * s) * inv;
  }
}

/** Adds the bias b (length d) to every row. */
function addBias(z: Float32Array, rows: number, b: Float32Array): void {
  const d = b.length;
  for (let t = 0; t < rows; t++) for (let k = 0; k < d; k++) z[t * d + k] += b[k];
}

/** g[k] += Σ_rows dz[row, k]. */
function sumRows(dz: Float32Array, rows: number, g: Float32Array): void {
  const d = g.length;
  for (let t = 0; t < rows; t++) for (let k = 0; k < d; k++) g[k] += dz[t * d + k];
}

/**
 * GNN forward over a block: returns the unit-norm embeddings of the targets (nT × dim), a view into `ws`
 * valid until the next forward.
 */
export function gnnForward(m: Model, inp: NodeInputs, b: Block, opts: PassOptions, ws: Workspace, kern: DenseKernels): Float32Array {
  const { hidden: h, dim: d, identity } = m.config;
  const { A, B, I, b1, W2, b2 } = m.params;
  const n2 = b.nodes.length;
  const P = ws.get('P', n2 * h, true);
  for (let j = 0; j < n2; j++) {
    const u = b.nodes[j];
    addInputRows(inp, u, B, h, 1, P, j * h);
    if (identity && u < m.users) for (let k = 0; k < h; k++) P[j * h + k] += I[u * h + k];
  }
  const pre = ws.get('pre1', b.n1 * h);
  for (let i = 0; i < b.n1; i++) {
    const o = i * h;
    const u = b.nodes[i];
    for (let k = 0; k < h; k++) pre[o + k] = b1[k];
    addInputRows(inp, u, A, h, 1, pre, o);
    if (identity && u < m.users) for (let k = 0; k < h; k++) pre[o + k] += I[u * h + k];
    const s = b.off1[i];
    const cnt = b.off1[i + 1] - s;
    if (cnt > 0) {
      const w = 1 / cnt;
      for (let q = s; q < s + cnt; q++) {
        const po = b.nbr1[q] * h;
        for (let k = 0; k < h; k++) pre[o + k] += w * P[po + k];
      }
    }
  }
  const h1 = ws.get('h1', b.n1 * h);
  for (let i = 0; i < h1.length; i++) h1[i] = pre[i] > 0 ? pre[i] : 0;
  if (opts.rng && opts.dropout > 0) dropout(h1, ws.get('mask1', h1.length), opts.dropout, opts.rng);
  const C = ws.get('C', b.nT * 2 * h);
  for (let t = 0; t < b.nT; t++) {
    const o = t * 2 * h;
    for (let k = 0; k < h; k++) {
      C[o + k] = h1[t * h + k];
      C[o + h + k] = 0;
    }
    const s = b.off2[t];
    const cnt = b.off2[t + 1] - s;
    if (cnt > 0) {
      const w = 1 / cnt;
      for (let q = s; q < s + cnt; q++) {
        const io = b.nbr2[q] * h;
        for (let k = 0; k < h; k++) C[o + h + k] += w * h1[io + k];
      }
    }
  }
  const Z = ws.get('Z', b.nT * d);
  kern.mm(C, W2, b.nT, 2 * h, d, Z);
  addBias(Z, b.nT, b2);
  const E = ws.get('E', b.nT * d);
  normalizeRows(Z, b.nT, d, E, ws.get('norm', b.nT));
  return E;
}

/** Backward of the last gnnForward (same block and options) given dE (nT × dim); accumulates into g. */
export function gnnBackward(m: Model, inp: NodeInputs, b: Block, opts: PassOptions, ws: Workspace, kern: DenseKernels, dE: Float32Array, g: Grads): void {
  const { hidden: h, dim: d, identity } = m.config;
  const n2 = b.nodes.length;
  const E = ws.get('E', b.nT * d);
  const dZ = ws.get('dZ', b.nT * d);
  normalizeBackward(E, dE, ws.get('norm', b.nT), b.nT, d, dZ);
  const C = ws.get('C', b.nT * 2 * h);
  const gW2 = ws.get('gW2', 2 * h * d);
  kern.mmAt(C, dZ, b.nT, 2 * h, d, gW2);
  const GW2 = g.dense.W2;
  for (let i = 0; i < gW2.length; i++) GW2[i] += gW2[i];
  sumRows(dZ, b.nT, g.dense.b2);
  const dC = ws.get('dC', b.nT * 2 * h);
  kern.mmBt(dZ, m.params.W2, b.nT, d, 2 * h, dC);
  const dh1 = ws.get('dh1', b.n1 * h, true);
  for (let t = 0; t < b.nT; t++) {
    const o = t * 2 * h;
    for (let k = 0; k < h; k++) dh1[t * h + k] += dC[o + k];
    const s = b.off2[t];
    const cnt = b.off2[t + 1] - s;
    if (cnt > 0) {
      const w = 1 / cnt;
      for (let q = s; q < s + cnt; q++) {
        const io = b.nbr2[q] * h;
        for (let k = 0; k < h; k++) dh1[io + k] += w * dC[o + h + k];
      }
    }
  }
  const pre = ws.get('pre1', b.n1 * h);
  const useMask = opts.rng && opts.dropout > 0;
  const mask = useMask ? ws.get('mask1', b.n1 * h) : null;
  for (let i = 0; i < dh1.length; i++) dh1[i] = pre[i] > 0 ? (mask ? dh1[i] * mask[i] : dh1[i]) : 0;
  // dh1 now holds d pre1.
  sumRows(dh1, b.n1, g.dense.b1);
  const dP = ws.get('dP', n2 * h, true);
  const gA = g.rows.A;
  const gI = g.rows.I;
  for (let i = 0; i < b.n1; i++) {
    const o = i * h;
    const u = b.nodes[i];
    for (let p = inp.offsets[u]; p < inp.offsets[u + 1]; p++) gA.add(inp.index[p], inp.value[p], dh1, o);
    if (identity && u < m.users) gI.add(u, 1, dh1, o);
    const s = b.off1[i];
    const cnt = b.off1[i + 1] - s;
    if (cnt > 0) {
      const w = 1 / cnt;
      for (let q = s; q < s + cnt; q++) {
        const po = b.nbr1[q] * h;
        for (let k = 0; k < h; k++) dP[po + k] += w * dh1[o + k];
      }
    }
  }
  const gB = g.rows.B;
  for (let j = 0; j < n2; j++) {
    const u = b.nodes[j];
    const o = j * h;
    for (let p = inp.offsets[u]; p < inp.offsets[u + 1]; p++) gB.add(inp.index[p], inp.value[p], dP, o);
    if (identity && u < m.users) gI.add(u, 1, dP, o);
  }
}

/**
 * Profile-tower forward for input rows `rows` (global ids into `inp`): unit-norm embeddings (rows × dim),
 * a view into `ws` under the names 't*' (so a GNN pass and a tower pass can be live together).
 */
export function towerForward(m: Model, inp: NodeInputs, rows: ArrayLike<number>, count: number, opts: PassOptions, ws: Workspace, kern: DenseKernels): Float32Array {
  const { hidden: h, dim: d } = m.config;
  const { A, b1, Wt, bt } = m.params;
  const Q = ws.get('tQ', count * h);
  const q = ws.get('tq', count * h);
  for (let t = 0; t < count; t++) {
    const o = t * h;
    for (let k = 0; k < h; k++) Q[o + k] = b1[k];
    addInputRows(inp, rows[t], A, h, 1, Q, o);
    for (let k = 0; k < h; k++) q[o + k] = Q[o + k] > 0 ? Q[o + k] : 0;
  }
  if (opts.rng && opts.dropout > 0) dropout(q, ws.get('tmask', q.length), opts.dropout, opts.rng);
  const Z = ws.get('tZ', count * d);
  kern.mm(q, Wt, count, h, d, Z);
  addBias(Z, count, bt);
  const out = ws.get('tE', count * d);
  normalizeRows(Z, count, d, out, ws.get('tnorm', count));
  return out;
}

/** Backward of the last towerForward given dOut (count × dim). */
export function towerBackward(m: Model, inp: NodeInputs, rows: ArrayLike<number>, count: number, opts: PassOptions, ws: Workspace, kern: DenseKernels, dOut: Float32Array, g: Grads): void {
  const { hidden: h, dim: d } = m.config;
  const out = ws.get('tE', count * d);
  const dZ = ws.get('tdZ', count * d);
  normalizeBackward(out, dOut, ws.get('tnorm', count), count, d, dZ);
  const q = ws.get('tq', count * h);
  const gWt = ws.get('tgW', h * d);
  kern.mmAt(q, dZ, count, h, d, gWt);
  const GWt = g.dense.Wt;
  for (let i = 0; i < gWt.length; i++) GWt[i] += gWt[i];
  sumRows(dZ, count, g.dense.bt);
  const dq = ws.get('tdq', count * h);
  kern.mmBt(dZ, m.params.Wt, count, d, h, dq);
  const Q = ws.get('tQ', count * h);
  const mask = opts.rng && opts.dropout > 0 ? ws.get('tmask', count * h) : null;
  for (let i = 0; i < dq.length; i++) dq[i] = Q[i] > 0 ? (mask ? dq[i] * mask[i] : dq[i]) : 0;
  sumRows(dq, count, g.dense.b1);
  const gA = g.rows.A;
  for (let t = 0; t < count; t++) {
    const u = rows[t];
    for (let p = inp.offsets[u]; p < inp.offsets[u + 1]; p++) gA.add(inp.index[p], inp.value[p], dq, t * h);
  }
}
