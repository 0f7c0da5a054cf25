/**
 * Neighbourhood heuristics for a pair (u, v) on a Graph: common neighbours, Adamic-Adar, resource
 * allocation, Jaccard and preferential attachment. Each is one sorted-merge pass over the two rows and
 * allocates nothing. They are defined for u ≠ v; a common neighbour w of two distinct users always has
 * degree ≥ 2, so 1 / log(deg w) is finite.
 */
import { unknownName } from '../core/errors.js';
import type { Graph } from './csr.js';

/** The names of the pair heuristics, in the column order used by candidate features. */
export const HEURISTIC_NAMES = ['cn', 'aa', 'ra', 'jaccard', 'pa'] as const;
export type HeuristicName = (typeof HEURISTIC_NAMES)[number];

/** All five heuristics for one pair. */
export interface PairFeatures {
  cn: number;
  aa: number;
  ra: number;
  jaccard: number;
  pa: number;
}

/** A fresh, zeroed PairFeatures to pass to `pairFeatures` repeatedly. */
export function emptyPairFeatures(): PairFeatures {
  return { cn: 0, aa: 0, ra: 0, jaccard: 0, pa: 0 };
}

/** |N(u) ∩ N(v)|. */
export function commonNeighbors(g: Graph, u: number, v: number): number {
  const t = g.targets;
  let i = g.offsets[u];
  const iEnd = g.offsets[u + 1];
  let j = g.offsets[v];
  const jEnd = g.offsets[v + 1];
  let c = 0;
  while (i < iEnd && j < jEnd) {
    const a = t[i];
    const b = t[j];
    if (a === b) {
      c++;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  return c;
}

/** Σ over common neighbours w of 1 / ln(deg w). */
export function adamicAdar(g: Graph, u: number, v: number): number {
  return weightedCommon(g, u, v, true);
}

/** Σ over common neighbours w of 1 / deg w. */
export function resourceAllocation(g: Graph, u: number, v: number): number {
  return weightedCommon(g, u, v, false);
}

/** |N(u) ∩ N(v)| / |N(u) ∪ N(v)|, 0 when both rows are empty. */
export function jaccard(g: Graph, u: number, v: number): number {
  const cn = commonNeighbors(g, u, v);
  return jaccardFrom(cn, g.degree(u), g.degree(v));
}

/** deg u × deg v. */
export function preferentialAttachment(g: Graph, u: number, v: number): number {
  return g.degree(u) * g.degree(v);
}

/** Jaccard from the common-neighbour count and the two degrees. */
export function jaccardFrom(cn: number, degU: number, degV: number): number {
  const union = degU + degV - cn;
  return union > 0 ? cn / union : 0;
}

/** Fills `out` with all five heuristics for (u, v) in a single merge pass, and returns it. */
export function pairFeatures(g: Graph, u: number, v: number, out: PairFeatures = emptyPairFeatures()): PairFeatures {
  const t = g.targets;
  const off = g.offsets;
  let i = off[u];
  const iEnd = off[u + 1];
  let j = off[v];
  const jEnd = off[v + 1];
  let cn = 0;
  let aa = 0;
  let ra = 0;
  while (i < iEnd && j < jEnd) {
    const a = t[i];
    const b = t[j];
    if (a === b) {
      const d = off[a + 1] - off[a];
      cn++;
      if (d > 1) aa += 1 / Math.log(d);
      ra += 1 / d;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  const du = iEnd - off[u];
  const dv = jEnd - off[v];
  out.cn = cn;
  out.aa = aa;
  out.ra = ra;
  out.jaccard = jaccardFrom(cn, du, dv);
  out.pa = du * dv;
  return out;
}

/** Each heuristic by name; `pairFeatures` is cheaper when several are needed for the same pair. */
export const HEURISTICS: Readonly<Record<HeuristicName, (g: Graph, u: number, v: number) => number>> = Object.freeze({
  cn: commonNeighbors,
  aa: adamicAdar,
  ra: resourceAllocation,
  jaccard,
  pa: preferentialAttachment,
});

/** Checks a heuristic name, failing with the list of valid ones. */
export function heuristicName(name: string): HeuristicName {
  if ((HEURISTIC_NAMES as readonly string[]).includes(name)) return name as HeuristicName;
  throw unknownName('heuristic', name, HEURISTIC_NAMES);
}

function weightedCommon(g: Graph, u: number, v: number, log: boolean): number {
  const t = g.targets;
  const off = g.offsets;
  let i = off[u];
  const iEnd = off[u + 1];
  let j = off[v];
  const jEnd = off[v + 1];
  let s = 0;
  while (i < iEnd && j < jEnd) {
    const a = t[i];
    const b = t[j];
    if (a === b) {
      const d = off[a + 1] - off[a];
      if (log) {
        if (d > 1) s += 1 / Math.log(d);
      } else s += 1 / d;
      i++;
      j++;
    } else if (a < b) i++;
    else j++;
  }
  return s;
}
