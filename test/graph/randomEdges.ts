/** Small seeded random edge lists for graph and eval tests (not a test file itself). */
import { EdgeBuilder, type EdgeTable } from '../../src/core/tables.js';
import { Rng } from '../../src/core/rng.js';

/**
 * `m` random edges over `n` users with times in [1, 1000]; endpoints are skewed (a few hubs) when
 * `skew` > 1, and the list includes self-loops and repeated pairs, as raw input does.
 */
export function randomEdges(n: number, m: number, seed: number, skew = 1): EdgeTable {
  const rng = new Rng(seed);
  const pick = (): number => Math.min(n - 1, Math.floor(n * Math.pow(rng.next(), skew)));
  const b = new EdgeBuilder();
  for (let i = 0; i < m; i++) b.push(pick(), pick(), 1 + rng.int(1000));
  return b.finish();
}

/** Neighbour sets of an edge list, brute force (self-loops dropped). */
export function adjacency(n: number, e: EdgeTable): Set<number>[] {
  const adj = Array.from({ length: n }, () => new Set<number>());
  for (let i = 0; i < e.count; i++) {
    if (e.src[i] === e.dst[i]) continue;
    adj[e.src[i]].add(e.dst[i]);
    adj[e.dst[i]].add(e.src[i]);
  }
  return adj;
}
