/**
 * Exact structural statistics of a generated world, computed by brute force over small worlds, for the
 * generator tests: how much more often distance-2 and same-company pairs connect than random pairs.
 */
import type { EdgeTable } from '../../src/core/tables.js';

/** Adjacency sets of the edges with ts < cut, over users 0..n-1. */
export function adjacencyBefore(n: number, e: EdgeTable, cut: number): Set<number>[] {
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (let i = 0; i < e.count; i++) {
    if (e.ts[i] >= cut) continue;
    adj[e.src[i]].add(e.dst[i]);
    adj[e.dst[i]].add(e.src[i]);
  }
  return adj;
}

export function pairKey(u: number, v: number): number {
  return u < v ? u * 1_000_000 + v : v * 1_000_000 + u;
}

export interface LinkRates {
  /** Fraction of not-yet-connected distance-2 pairs (at the cut) that connect after the cut. */
  distance2: number;
  /** Fraction of all not-yet-connected pairs of users present at the cut that connect after the cut. */
  anyPair: number;
  distance2Pairs: number;
  futureEdges: number;
}

/**
 * Link formation after `cut` among users joined before it: the rate for pairs at distance exactly 2 in the
 * graph before the cut, against the rate for every unconnected pair. Exact (enumerates all 2-paths).
 */
export function linkRatesAfter(n: number, joinedAt: Uint32Array, e: EdgeTable, cut: number): LinkRates {
  const adj = adjacencyBefore(n, e, cut);
  const present: number[] = [];
  for (let u = 0; u < n; u++) if (joinedAt[u] < cut) present.push(u);
  const future = new Set<number>();
  let before = 0;
  for (let i = 0; i < e.count; i++) {
    if (e.ts[i] < cut) before++;
    else if (joinedAt[e.src[i]] < cut && joinedAt[e.dst[i]] < cut) future.add(pairKey(e.src[i], e.dst[i]));
  }
  const d2 = new Set<number>();
  for (const u of present) {
    for (const v of adj[u]) for (const w of adj[v]) if (w > u && !adj[u].has(w)) d2.add(pairKey(u, w));
  }
  let d2Future = 0;
  for (const k of d2) if (future.has(k)) d2Future++;
  const m = present.length;
  const unconnected = (m * (m - 1)) / 2 - before;
  return { distance2: d2Future / d2.size, anyPair: future.size / unconnected, distance2Pairs: d2.size, futureEdges: future.size };
}

/** Connected fraction of same-group pairs (codes ≥ 0) against that of all pairs, over the final graph. */
export function sameGroupRates(codes: Int32Array, e: EdgeTable): { same: number; any: number } {
  const n = codes.length;
  const sizes = new Map<number, number>();
  for (let u = 0; u < n; u++) if (codes[u] >= 0) sizes.set(codes[u], (sizes.get(codes[u]) ?? 0) + 1);
  let samePairs = 0;
  for (const s of sizes.values()) samePairs += (s * (s - 1)) / 2;
  let sameEdges = 0;
  for (let i = 0; i < e.count; i++) {
    const c = codes[e.src[i]];
    if (c >= 0 && c === codes[e.dst[i]]) sameEdges++;
  }
  return { same: sameEdges / samePairs, any: e.count / ((n * (n - 1)) / 2) };
}
