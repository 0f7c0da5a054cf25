/**
 * A graph over part of the users, from adjacency rows keyed by global id (each row sorted ascending): the
 * users whose rows are given, plus every user those rows name, with an empty row. Local ids follow global
 * id order, so mapped rows stay sorted and id-order tie-breaks agree with the whole graph's; pass
 * `globalIds` to twoHop so its tie keys and hub samples do too.
 */
import { Graph } from './csr.js';

export interface Subgraph {
  g: Graph;
  /** Global id of each local id, ascending. */
  globalIds: Int32Array;
  /** Local id of a global id (−1 when the subgraph does not hold it). */
  local(id: number): number;
}

export function subgraph(rows: ReadonlyMap<number, ArrayLike<number>>): Subgraph {
  let total = rows.size;
  for (const row of rows.values()) total += row.length;
  // Every id once, in an open-addressing table (ids are ≥ 0; -1 = empty slot), then the distinct ids sorted.
  const ids = new IdTable(total);
  for (const [u, row] of rows) {
    ids.add(u);
    for (let i = 0; i < row.length; i++) ids.add(row[i]);
  }
  const globalIds = ids.distinct().sort();
  const n = globalIds.length;
  globalIds.forEach((id, i) => ids.setIndex(id, i));
  const offsets = new Int32Array(n + 1);
  for (const [u, row] of rows) offsets[ids.index(u) + 1] = row.length;
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const targets = new Int32Array(offsets[n]);
  for (const [u, row] of rows) {
    const at = offsets[ids.index(u)];
    for (let j = 0; j < row.length; j++) targets[at + j] = ids.index(row[j]);
  }
  return { g: new Graph(n, offsets, targets, new Uint32Array(targets.length)), globalIds, local: (id) => ids.index(id) };
}

/** A set of non-negative ids with an index per id: linear probing over a power-of-two table. */
class IdTable {
  private readonly keys: Int32Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  private count = 0;

  constructor(atMost: number) {
    let bits = 4;
    while (1 << bits < 2 * atMost) bits++;
    this.keys = new Int32Array(1 << bits).fill(-1);
    this.vals = new Int32Array(1 << bits).fill(-1);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
  }

  private slot(id: number): number {
    // Fibonacci hashing: the product's high bits (the low ones repeat for ids that are multiples of 2^k).
    let h = Math.imul(id, 0x9e3779b1) >>> this.shift;
    while (this.keys[h] !== -1 && this.keys[h] !== id) h = (h + 1) & this.mask;
    return h;
  }

  add(id: number): void {
    const h = this.slot(id);
    if (this.keys[h] === -1) {
      this.keys[h] = id;
      this.count++;
    }
  }

  distinct(): Int32Array {
    const out = new Int32Array(this.count);
    for (let h = 0, k = 0; h < this.keys.length; h++) if (this.keys[h] !== -1) out[k++] = this.keys[h];
    return out;
  }

  setIndex(id: number, index: number): void {
    this.vals[this.slot(id)] = index;
  }

  /** The id's index, or -1 when the table does not hold it. */
  index(id: number): number {
    return id < 0 ? -1 : this.vals[this.slot(id)];
  }
}
