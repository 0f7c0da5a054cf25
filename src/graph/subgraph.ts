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
  const seen = new Set<number>();
  for (const [u, row] of rows) {
    seen.add(u);
    for (let i = 0; i < row.length; i++) seen.add(row[i]);
  }
  const globalIds = Int32Array.from(seen).sort();
  const index = new Map<number, number>();
  globalIds.forEach((id, i) => index.set(id, i));
  const offsets = new Int32Array(globalIds.length + 1);
  for (let i = 0; i < globalIds.length; i++) offsets[i + 1] = offsets[i] + (rows.get(globalIds[i])?.length ?? 0);
  const targets = new Int32Array(offsets[globalIds.length]);
  for (let i = 0; i < globalIds.length; i++) {
    const row = rows.get(globalIds[i]);
    if (row) for (let j = 0; j < row.length; j++) targets[offsets[i] + j] = index.get(row[j])!;
  }
  return { g: new Graph(globalIds.length, offsets, targets, new Uint32Array(targets.length)), globalIds, local: (id) => index.get(id) ?? -1 };
}
