/** Top-k selection and merging of sorted hit lists (nearest first). */
import type { Hits } from './types.js';

/** Keeps the k smallest (distance, id) pairs seen; a bounded max-heap. Ties break on the smaller id. */
export class TopK {
  private readonly ids: Int32Array;
  private readonly dist: Float64Array;
  private n = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.dist = new Float64Array(k);
  }

  get size(): number {
    return this.n;
  }

  /** The distance a candidate must beat to enter (Infinity until full). */
  bound(): number {
    return this.n < this.k ? Infinity : this.dist[0];
  }

  push(id: number, d: number): void {
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(d, id, this.dist[p], this.ids[p])) break;
        this.dist[i] = this.dist[p];
        this.ids[i] = this.ids[p];
        i = p;
      }
      this.dist[i] = d;
      this.ids[i] = id;
      return;
    }
    if (!this.worse(this.dist[0], this.ids[0], d, id)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && this.worse(this.dist[r], this.ids[r], this.dist[l], this.ids[l]) ? r : l;
      if (!this.worse(this.dist[c], this.ids[c], d, id)) break;
      this.dist[i] = this.dist[c];
      this.ids[i] = this.ids[c];
      i = c;
    }
    this.dist[i] = d;
    this.ids[i] = id;
  }

  /** The kept pairs, nearest first. */
  result(): Hits {
    const order = Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.dist[a] - this.dist[b] || this.ids[a] - this.ids[b]);
    return { ids: Int32Array.from(order, (i) => this.ids[i]), distances: Float32Array.from(order, (i) => this.dist[i]) };
  }

  private worse(da: number, ia: number, db: number, ib: number): boolean {
    return da > db || (da === db && ia > ib);
  }
}

/** Merges hit lists into the k nearest distinct ids (an id in several lists keeps its smallest distance). */
export function mergeHits(lists: readonly Hits[], k: number): Hits {
  const best = new Map<number, number>();
  for (const h of lists) {
    for (let i = 0; i < h.ids.length; i++) {
      const prev = best.get(h.ids[i]);
      if (prev === undefined || h.distances[i] < prev) best.set(h.ids[i], h.distances[i]);
    }
  }
  const top = new TopK(k);
  for (const [id, d] of best) top.push(id, d);
  return top.result();
}

/** Hits with nothing in them. */
export const noHits = (): Hits => ({ ids: new Int32Array(0), distances: new Float32Array(0) });
