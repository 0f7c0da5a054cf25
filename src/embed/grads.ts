/**
 * Gradient buffers. Dense parameters get a full array; the row tables (A, B, I) get a RowGrad holding only
 * the rows a batch touched, so a step costs what the batch touched, not the table size.
 */
import { PARAM_NAMES, TABLES, paramShape, type Model, type ParamName } from './model.js';

/** Gradient rows of one table, allocated on first touch. */
export class RowGrad {
  /** slot[r] = index of row r in `buf`, or -1. */
  private readonly slot: Int32Array;
  /** The touched rows, in first-touch order. */
  rows: Int32Array = new Int32Array(256);
  count = 0;
  buf: Float32Array;

  constructor(rowCount: number, readonly cols: number) {
    this.slot = new Int32Array(rowCount).fill(-1);
    this.buf = new Float32Array(256 * cols);
  }

  /** Offset of row r's gradient in `buf` (zeroed on first touch). Re-read `buf` after calling: it may grow. */
  offset(r: number): number {
    let s = this.slot[r];
    if (s < 0) {
      s = this.count++;
      if (s === this.rows.length) {
        const rows = new Int32Array(this.rows.length * 2);
        rows.set(this.rows);
        this.rows = rows;
        const buf = new Float32Array(this.buf.length * 2);
        buf.set(this.buf);
        this.buf = buf;
      }
      this.slot[r] = s;
      this.rows[s] = r;
      this.buf.fill(0, s * this.cols, (s + 1) * this.cols);
    }
    return s * this.cols;
  }

  /** Adds w·v[vo .. vo+cols) to row r. */
  add(r: number, w: number, v: Float32Array, vo: number): void {
    const o = this.offset(r);
    const b = this.buf;
    const c = this.cols;
    for (let k = 0; k < c; k++) b[o + k] += w * v[vo + k];
  }

  clear(): void {
    for (let s = 0; s < this.count; s++) this.slot[this.rows[s]] = -1;
    this.count = 0;
  }
}

/** All gradients of a model. */
export class Grads {
  readonly dense = {} as Record<ParamName, Float32Array>;
  readonly rows = {} as Record<'A' | 'B' | 'I', RowGrad>;

  constructor(m: Model) {
    for (const name of PARAM_NAMES) {
      const [r, c] = paramShape(m, name);
      if (TABLES.includes(name)) this.rows[name as 'A' | 'B' | 'I'] = new RowGrad(r, c);
      else this.dense[name] = new Float32Array(r * c);
    }
  }

  zero(): void {
    for (const g of Object.values(this.dense)) g.fill(0);
    for (const g of Object.values(this.rows)) g.clear();
  }
}
