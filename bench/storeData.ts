/**
 * Synthetic snapshots for the store benchmark, built in code with realistic value sizes: profile codes from
 * dictionaries of a few thousand values, a random graph of the given mean degree, K candidates per user
 * with the five heuristic features filled and the behavioural columns sparse (a few users only), short
 * static lists. Columns that stay zero are never written, so their pages are never resident.
 */
import { Dictionary } from '../src/core/dictionary.js';
import { Rng } from '../src/core/rng.js';
import { EdgeBuilder, PROFILE_FIELDS, emptyProfiles } from '../src/core/tables.js';
import { buildGraph } from '../src/graph/csr.js';
import { PAIR_FEATURES, type PairFeature, type Snapshot } from '../src/store/snapshot.js';

export interface BenchSpec {
  users: number;
  /** Users (the first ones) that get a candidate list. */
  usersWithLists: number;
  candidates: number;
  degree: number;
  listK: number;
  seed: number;
  version: string;
}

export function benchSnapshot(spec: BenchSpec): Snapshot {
  const { users: n, usersWithLists: m, candidates: k, seed } = spec;
  const rng = new Rng(seed);
  const ids = Dictionary.from(Array.from({ length: n }, (_, u) => `member-${String(u).padStart(8, '0')}`));
  const profiles = emptyProfiles(n);
  const sizes = { company: 5000, school: 2000, location: 500, industry: 100 };
  for (const f of PROFILE_FIELDS) {
    for (let i = 0; i < sizes[f]; i++) profiles.dicts[f].code(`${f}-${i}`);
    const col = profiles.codes[f];
    for (let u = 0; u < n; u++) col[u] = rng.chance(0.1) ? -1 : rng.int(sizes[f]);
  }
  for (let u = 0; u < n; u++) profiles.seniority[u] = rng.int(11);
  const eb = new EdgeBuilder();
  for (let e = 0; e < (n * spec.degree) / 2; e++) eb.push(rng.int(n), rng.int(n), 1);
  const graph = buildGraph(n, eb.finish());
  const empty = { offsets: new Int32Array(n + 1), targets: new Int32Array(0) };

  const offsets = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) offsets[u + 1] = offsets[u] + (u < m ? k : 0);
  const total = offsets[n];
  const cand = new Int32Array(total);
  const score = new Float32Array(total);
  const features = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) features[f] = new Float32Array(total);
  const { cn, aa, ra, jaccard, pa } = features;
  const stamp = new Int32Array(n); // candidates are unique within a list
  for (let u = 0, i = 0; u < m; u++) {
    let s = 10;
    for (let j = 0; j < k; j++, i++) {
      let v = rng.int(n);
      while (stamp[v] === u + 1) v = rng.int(n);
      stamp[v] = u + 1;
      cand[i] = v;
      s -= rng.next() * (10 / k);
      score[i] = s;
      cn[i] = 1 + rng.int(20);
      aa[i] = rng.next() * 5;
      ra[i] = rng.next();
      jaccard[i] = rng.next() * 0.2;
      pa[i] = 1 + rng.int(10_000);
    }
    // Behavioural signals for one user in 20, on its first few candidates.
    if (u % 20 === 0) for (let j = 0; j < Math.min(k, 5); j++) features.views_out[offsets[u] + j] = 1 + rng.int(3);
  }
  const lo = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) lo[u + 1] = lo[u] + spec.listK;
  const lc = new Int32Array(lo[n]);
  const ls = new Float32Array(lo[n]);
  for (let i = 0; i < lc.length; i++) {
    lc[i] = rng.int(n);
    ls[i] = 1 - (i % spec.listK) / spec.listK;
  }
  return {
    version: spec.version,
    ids,
    profiles,
    graph,
    blocked: empty,
    dismissed: empty,
    candidates: { offsets, cand, score, features },
    lists: spec.listK > 0 ? { offsets: lo, cand: lc, score: ls } : null,
  };
}

/** Percentiles and mean of a sample, in milliseconds with 3 decimals. */
export function summary(ms: number[]): { n: number; p50: number; p99: number; mean: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(at(0.5)), p99: r(at(0.99)), mean: r(s.reduce((a, b) => a + b, 0) / s.length), max: r(s[s.length - 1]) };
}
