/** Small graphs and models for the embedding tests. */
import { Rng } from '../../src/core/rng.js';
import { buildGraph, type Graph } from '../../src/graph/csr.js';

/** An undirected graph from pairs. */
export function graphOf(n: number, pairs: [number, number][]): Graph {
  return buildGraph(n, { count: pairs.length, src: Int32Array.from(pairs, (p) => p[0]), dst: Int32Array.from(pairs, (p) => p[1]), ts: new Uint32Array(pairs.length) });
}

/**
 * A planted-partition graph: `groups` groups of `size` users, each pair inside a group connected with
 * probability pIn, across groups with pOut. Returns the graph and each user's group.
 */
export function plantedPartition(groups: number, size: number, pIn: number, pOut: number, seed: number): { g: Graph; group: Int32Array; pairs: [number, number][] } {
  const n = groups * size;
  const rng = new Rng(seed);
  const group = Int32Array.from({ length: n }, (_, u) => Math.floor(u / size));
  const pairs: [number, number][] = [];
  for (let u = 0; u < n; u++) for (let v = u + 1; v < n; v++) if (rng.chance(group[u] === group[v] ? pIn : pOut)) pairs.push([u, v]);
  return { g: graphOf(n, pairs), group, pairs };
}

/** The dense gradient of a table from its RowGrad (rows × cols). */
export function denseRows(rg: { rows: Int32Array; count: number; buf: Float32Array; cols: number }, rows: number): Float64Array {
  const out = new Float64Array(rows * rg.cols);
  for (let s = 0; s < rg.count; s++) for (let c = 0; c < rg.cols; c++) out[rg.rows[s] * rg.cols + c] = rg.buf[s * rg.cols + c];
  return out;
}
