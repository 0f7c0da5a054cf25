/**
 * Random snapshots for the store tests: every column filled with seeded random values (the store must
 * return them exactly, whatever they mean), plus a brute-force "what the store should return" built
 * straight from the snapshot arrays, independent of every store implementation.
 */
import { Dictionary } from '../../src/core/dictionary.js';
import { Rng } from '../../src/core/rng.js';
import { EdgeBuilder, EventBuilder, EVENT_CODE, PROFILE_FIELDS, emptyProfiles, type ProfileField } from '../../src/core/tables.js';
import { buildGraph } from '../../src/graph/csr.js';
import { exclusionsFromEvents } from '../../src/graph/exclusions.js';
import { HEURISTIC_NAMES } from '../../src/graph/heuristics.js';
import { PAIR_FEATURES, row, type PairFeature, type Snapshot } from '../../src/store/snapshot.js';
import { BEHAVIOUR_SET } from '../../src/store/ttl.js';
import type { RankingInputs, UserColumns } from '../../src/store/types.js';

export interface RandomSpec {
  users: number;
  seed: number;
  version?: string;
  /** Max candidates per user (some users get none). */
  maxCandidates?: number;
  lists?: boolean;
  embeddingDim?: number;
}

export function randomSnapshot(spec: RandomSpec): Snapshot {
  const { users: n, seed } = spec;
  const rng = new Rng(seed);
  const ids = new Dictionary();
  // Odd external ids on purpose: hash-tag braces, separators, non-ASCII.
  for (let u = 0; u < n; u++) ids.code(u % 7 === 3 ? `u{${u}}:ü-${seed}` : `user-${u}-${seed}`);
  const profiles = emptyProfiles(n);
  const words: Record<ProfileField, string[]> = { company: ['Acme', 'Globex', 'Initech'], school: ['MIT', 'ETH'], location: ['Paris', 'Oslo', 'Lima'], industry: ['Tech', 'Food'] };
  for (const f of PROFILE_FIELDS) for (const w of words[f]) profiles.dicts[f].code(w);
  for (let u = 0; u < n; u++) {
    for (const f of PROFILE_FIELDS) profiles.codes[f][u] = rng.chance(0.2) ? -1 : rng.int(words[f].length);
    profiles.seniority[u] = rng.chance(0.1) ? -1 : rng.int(11);
    profiles.flags[u] = rng.chance(0.1) ? 1 + rng.int(3) : 0;
  }
  const eb = new EdgeBuilder();
  for (let i = 0; i < n * 3; i++) eb.push(rng.int(n), rng.int(n), 1 + rng.int(1000));
  const graph = buildGraph(n, eb.finish());
  const ev = new EventBuilder();
  for (let i = 0; i < n / 2; i++) ev.push(rng.chance(0.5) ? EVENT_CODE.block : EVENT_CODE.dismiss, rng.int(n), rng.int(n), 1);
  const { blocked, dismissed } = exclusionsFromEvents(n, ev.finish());

  const maxC = spec.maxCandidates ?? 12;
  const offsets = new Int32Array(n + 1);
  const cand: number[] = [];
  const score: number[] = [];
  for (let u = 0; u < n; u++) {
    const k = rng.chance(0.15) ? 0 : rng.int(maxC + 1);
    const picked = new Set<number>();
    while (picked.size < Math.min(k, n)) picked.add(rng.int(n)); // candidate ids are unique within a list
    for (const v of picked) {
      cand.push(v);
      score.push(rng.next() * 10);
    }
    offsets[u + 1] = cand.length;
  }
  // Heuristics dense; behavioural counters sparse; reserved columns mostly empty (exercises the codec's mask).
  const features = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) {
    const kind = BEHAVIOUR_SET.has(f) ? 'sparse' : (HEURISTIC_NAMES as readonly string[]).includes(f) ? 'dense' : 'rare';
    features[f] = Float32Array.from(cand, () => (kind === 'dense' ? rng.next() * 100 : rng.chance(kind === 'sparse' ? 0.15 : 0.02) ? 1 + rng.int(5) : 0));
  }
  let lists: Snapshot['lists'] = null;
  if (spec.lists) {
    const lo = new Int32Array(n + 1);
    const lc: number[] = [];
    const ls: number[] = [];
    for (let u = 0; u < n; u++) {
      for (let j = 0, k = rng.int(6); j < k; j++) {
        lc.push(rng.int(n));
        ls.push(rng.next());
      }
      lo[u + 1] = lc.length;
    }
    lists = { offsets: lo, cand: Int32Array.from(lc), score: Float32Array.from(ls) };
  }
  const dim = spec.embeddingDim ?? 0;
  const embeddings = dim > 0 ? { dim, vectors: Float32Array.from({ length: n * dim }, () => rng.normal()) } : null;
  return {
    version: spec.version ?? `v-${seed}`,
    ids,
    profiles,
    graph,
    blocked,
    dismissed,
    candidates: { offsets, cand: Int32Array.from(cand), score: Float32Array.from(score), features },
    lists,
    embeddings,
  };
}

/** What fetchRankingInputs must return for a stored list, computed from the raw arrays. */
export function expectedInputs(s: Snapshot, uid: number): RankingInputs {
  const c = s.candidates;
  const lo = c.offsets[uid];
  const hi = c.offsets[uid + 1];
  const ids = c.cand.slice(lo, hi);
  const features = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) features[f] = c.features[f].slice(lo, hi);
  return {
    uid,
    user: expectedColumns(s, [uid]),
    connections: s.graph.neighbors(uid).slice(),
    blocked: row(s.blocked, uid).slice(),
    dismissed: row(s.dismissed, uid).slice(),
    source: hi > lo ? 'stored' : 'none',
    candidates: { ids, score: c.score.slice(lo, hi), features, users: expectedColumns(s, ids) },
  };
}

export function expectedColumns(s: Snapshot, ids: ArrayLike<number>): UserColumns {
  const p = s.profiles;
  const pick = <T extends Int32Array | Int8Array | Uint8Array>(C: { from(a: ArrayLike<number>): T }, f: (u: number) => number): T => C.from(Array.from(ids, f));
  return {
    company: pick(Int32Array, (u) => p.codes.company[u]),
    school: pick(Int32Array, (u) => p.codes.school[u]),
    location: pick(Int32Array, (u) => p.codes.location[u]),
    industry: pick(Int32Array, (u) => p.codes.industry[u]),
    seniority: pick(Int8Array, (u) => p.seniority[u]),
    flags: pick(Uint8Array, (u) => p.flags[u]),
    degree: pick(Int32Array, (u) => s.graph.degree(u)),
  };
}

/** Plain arrays for deepEqual (typed arrays of different subclasses or views compare badly). */
export function plain(x: RankingInputs): unknown {
  const cols = (c: UserColumns): Record<string, number[]> => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.from(v as ArrayLike<number>)]));
  return {
    uid: x.uid,
    user: cols(x.user),
    connections: Array.from(x.connections),
    blocked: Array.from(x.blocked),
    dismissed: Array.from(x.dismissed),
    source: x.source,
    candidates: {
      ids: Array.from(x.candidates.ids),
      score: Array.from(x.candidates.score),
      features: Object.fromEntries(PAIR_FEATURES.map((f) => [f, Array.from(x.candidates.features[f])])),
      users: cols(x.candidates.users),
    },
  };
}
