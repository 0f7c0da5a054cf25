/**
 * The k smallest (key, id) pairs of a stream: a bounded max-heap whose root is the worst pair kept. Ties
 * break on the smaller id, so results do not depend on the order pairs arrive in. Nearest neighbours push
 * distances; rankings by score push −score.
 */
export class TopK {
  private readonly ids: Int32Array;
  private readonly keys: Float64Array;
  private n = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(k);
    this.keys = new Float64Array(k);
  }

  get size(): number {
    return this.n;
  }

  /** The key a pair must beat to enter (Infinity until full). */
  bound(): number {
    return this.n < this.k ? Infinity : this.keys[0];
  }

  clear(): void {
    this.n = 0;
  }

  push(id: number, key: number): void {
    if (this.k === 0) return;
    if (this.n < this.k) {
      let i = this.n++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(key, id, this.keys[p], this.ids[p])) break;
        this.keys[i] = this.keys[p];
        this.ids[i] = this.ids[p];
        i = p;
      }
      this.keys[i] = key;
      this.ids[i] = id;
      return;
    }
    if (!worse(this.keys[0], this.ids[0], key, id)) return;
    // Replace the root (the worst kept) and sift down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.n) break;
      const r = l + 1;
      const c = r < this.n && worse(this.keys[r], this.ids[r], this.keys[l], this.ids[l]) ? r : l;
      if (!worse(this.keys[c], this.ids[c], key, id)) break;
      this.keys[i] = this.keys[c];
      this.ids[i] = this.ids[c];
      i = c;
    }
    this.keys[i] = key;
    this.ids[i] = id;
  }

  /** The kept pairs, smallest key first; empties the heap. */
  drain(): { ids: Int32Array; keys: Float64Array } {
    const order = this.order();
    const out = { ids: Int32Array.from(order, (i) => this.ids[i]), keys: Float64Array.from(order, (i) => this.keys[i]) };
    this.n = 0;
    return out;
  }

  /** The kept ids, smallest key first, written into out; returns how many. Empties the heap. */
  drainIds(out: Int32Array): number {
    const order = this.order();
    for (let i = 0; i < order.length; i++) out[i] = this.ids[order[i]];
    this.n = 0;
    return order.length;
  }

  private order(): number[] {
    return Array.from({ length: this.n }, (_, i) => i).sort((a, b) => this.keys[a] - this.keys[b] || this.ids[a] - this.ids[b]);
  }
}

/** Whether (ka, ia) ranks after (kb, ib). */
function worse(ka: number, ia: number, kb: number, ib: number): boolean {
  return ka > kb || (ka === kb && ia > ib);
}
