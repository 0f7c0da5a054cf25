/**
 * A small hand-built world for serving tests: profiles, connections, blocks, dismissals, and candidate lists
 * computed here by brute force (every distance-2 user, scored by common-neighbour count).
 */
import { Dictionary } from '../../src/core/dictionary.js';
import { EdgeBuilder, EventBuilder, EVENT_CODE, emptyProfiles, setProfile, type Profile } from '../../src/core/tables.js';
import { buildGraph } from '../../src/graph/csr.js';
import { exclusionsFromEvents } from '../../src/graph/exclusions.js';
import { PAIR_FEATURES, type PairFeature, type Snapshot } from '../../src/store/snapshot.js';

export interface TinySpec {
  users: Array<Partial<Profile> & { id: string }>;
  edges: Array<[string, string]>;
  blocks?: Array<[string, string]>;
  dismissals?: Array<[string, string]>;
}

export function tinySnapshot(spec: TinySpec, version = 'v-test'): Snapshot {
  const ids = new Dictionary();
  for (const u of spec.users) ids.code(u.id);
  const n = ids.size;
  const profiles = emptyProfiles(n);
  for (const u of spec.users) {
    setProfile(profiles, ids.lookup(u.id), {
      company: u.company ?? null,
      school: u.school ?? null,
      location: u.location ?? null,
      industry: u.industry ?? null,
      seniority: u.seniority ?? null,
      joinedAt: u.joinedAt ?? null,
      deactivated: u.deactivated ?? false,
      banned: u.banned ?? false,
    });
  }
  const eb = new EdgeBuilder();
  for (const [a, b] of spec.edges) eb.push(ids.lookup(a), ids.lookup(b), 1);
  const graph = buildGraph(n, eb.finish());
  const ev = new EventBuilder();
  for (const [a, b] of spec.blocks ?? []) ev.push(EVENT_CODE.block, ids.lookup(a), ids.lookup(b), 1);
  for (const [a, b] of spec.dismissals ?? []) ev.push(EVENT_CODE.dismiss, ids.lookup(a), ids.lookup(b), 1);
  const { blocked, dismissed } = exclusionsFromEvents(n, ev.finish());

  // Brute-force 2-hop candidates scored by common neighbours (ties by id), no exclusions applied here.
  const offsets = new Int32Array(n + 1);
  const cand: number[] = [];
  const score: number[] = [];
  for (let u = 0; u < n; u++) {
    const cn = new Map<number, number>();
    for (const w of graph.neighbors(u)) {
      for (const v of graph.neighbors(w)) if (v !== u && !graph.hasEdge(u, v)) cn.set(v, (cn.get(v) ?? 0) + 1);
    }
    const row = [...cn.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [v, c] of row) {
      cand.push(v);
      score.push(c);
    }
    offsets[u + 1] = cand.length;
  }
  const features = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) features[f] = new Float32Array(score);
  // Every candidate here is a 2-hop one (SOURCE_CODES['2-hop'] = 0), as the candidates stage would record it.
  features.source = new Float32Array(score.length);
  return {
    version,
    ids,
    profiles,
    graph,
    blocked,
    dismissed,
    candidates: { offsets, cand: Int32Array.from(cand), score: Float32Array.from(score), features },
    lists: null,
  };
}
