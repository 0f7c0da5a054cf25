/**
 * Training data for the ranker, without future information.
 *
 * A cut time T0 splits the data: features come from a training snapshot of everything before T0 (the
 * graph, the exclusions and the behaviour counts as of T0); labels come from what happened at or after T0.
 *
 * - Log labels (the dataset has timed connections): for every user u who was shown someone (impression),
 *   sent an invitation or made a connection in the label window, the examples are the people u was shown,
 *   invited or connected with, a sample of u's 2-hop candidates as of T0 (non-impressed candidates) and
 *   some random users. A pair is positive when u invited v (banned users' spam invitations do not count)
 *   or the two connected in the window (a connection, i.e. an accepted invitation, weighs ACCEPTED_WEIGHT;
 *   an invitation alone weighs 1); impressions with no action and the sampled candidates and random users
 *   that did not connect are negatives.
 * - Edge labels (no times, e.g. ego-Facebook): a seeded random share of the connections is held back as
 *   the label edges; the training snapshot is the graph without them; positives are the held-back pairs,
 *   negatives sampled 2-hop candidates and random users as above.
 *
 * The rows are assembled through the serving path itself: the examples become the stored candidate lists
 * of the training snapshot, a MemoryStore serves it, and `assembleFeatures(fetchRankingInputs(u))` makes
 * each user's rows — the same calls the server makes.
 */
import { CANDIDATES_PER_USER } from '../core/config.js';
import type { Dictionary } from '../core/dictionary.js';
import { Rng } from '../core/rng.js';
import { EVENT_CODE, FLAG_BANNED, type EventTable, type ProfileTable } from '../core/tables.js';
import { buildGraph, type Graph } from '../graph/csr.js';
import { exclusionsFromEvents } from '../graph/exclusions.js';
import { graphEdges } from '../graph/splits.js';
import { TwoHopGenerator } from '../graph/twoHop.js';
import { MemoryStore } from '../store/memory.js';
import { row, type Snapshot } from '../store/snapshot.js';
import { assembleFeatures } from './assemble.js';
import { BehaviourIndex, dataTime, pairFeatureColumns } from './behaviour.js';
import type { TrainingSet } from './mlp.js';
import { FEATURE_COUNT } from './schema.js';

/** What the data builder reads: a dataset or a bundle's columns. */
export interface RankSource {
  ids: Dictionary;
  profiles: ProfileTable;
  /** The full connection graph with connection times (0 = unknown). */
  graph: Graph;
  events: EventTable | null;
}

export interface ExampleOptions {
  /** Longest label window in days (default 14); a short log is split in half instead. */
  labelDays: number;
  /** Share of connections held back as labels when connections have no times (default 0.1). */
  edgeLabelFrac: number;
  /** 2-hop candidates considered per user: the candidates stage's count (default CANDIDATES_PER_USER). */
  topN: number;
  /** Non-impressed 2-hop candidates sampled as examples per user (default 30). */
  candidateSamples: number;
  /** Random users sampled as examples per user (default 10): teaches that strangers are unlikely. */
  randomSamples: number;
  /** At most this many label users, sampled (0 = all). */
  maxUsers: number;
  seed: number;
}

export const EXAMPLE_DEFAULTS: ExampleOptions = { labelDays: 14, edgeLabelFrac: 0.1, topN: CANDIDATES_PER_USER, candidateSamples: 30, randomSamples: 10, maxUsers: 0, seed: 1 };
export const ACCEPTED_WEIGHT = 2;

export interface Examples extends TrainingSet {
  /** The user of each row (for per-user ranking metrics). */
  user: Int32Array;
  cand: Int32Array;
  labels: { mode: 'log' | 'edges'; cut: number | null; users: number; positives: number; impressions: number; rows: number };
}

const IMPRESSION = EVENT_CODE.impression;
const INVITE = EVENT_CODE.invite_sent;

/** Builds the training examples and their feature rows. Deterministic for a given seed. */
export async function buildExamples(src: RankSource, opts: ExampleOptions = EXAMPLE_DEFAULTS): Promise<Examples> {
  const n = src.graph.n;
  const rng = new Rng(opts.seed ^ 0x7a11);
  const edges = graphEdges(src.graph);
  const end = dataTime(edges.ts, src.events);
  const cut = chooseCut(edges.ts, src.events, end, opts.labelDays);
  // Label pairs: key u*n+v → weight (positives), impressions separately.
  const positive = new Map<number, number>();
  const impressed = new Map<number, number>();
  const addPos = (u: number, v: number, w: number): void => {
    const k = u * n + v;
    positive.set(k, Math.max(positive.get(k) ?? 0, w));
  };
  let before: (i: number) => boolean;
  if (cut !== null) {
    before = (i) => edges.ts[i] < cut;
    for (let i = 0; i < edges.count; i++) {
      if (edges.ts[i] < cut) continue;
      addPos(edges.src[i], edges.dst[i], ACCEPTED_WEIGHT);
      addPos(edges.dst[i], edges.src[i], ACCEPTED_WEIGHT);
    }
    const ev = src.events;
    if (ev) {
      for (let i = 0; i < ev.count; i++) {
        if (ev.ts[i] < cut) continue;
        const k = ev.actor[i] * n + ev.target[i];
        // Banned users' invitations are spam, not a signal of whom people want to meet.
        if (ev.type[i] === INVITE && !(src.profiles.flags[ev.actor[i]] & FLAG_BANNED)) addPos(ev.actor[i], ev.target[i], 1);
        else if (ev.type[i] === IMPRESSION) impressed.set(k, 1);
      }
    }
  } else {
    const held = new Uint8Array(edges.count);
    for (let i = 0; i < edges.count; i++) {
      if (!rng.chance(opts.edgeLabelFrac)) continue;
      held[i] = 1;
      addPos(edges.src[i], edges.dst[i], ACCEPTED_WEIGHT);
      addPos(edges.dst[i], edges.src[i], ACCEPTED_WEIGHT);
    }
    before = (i) => held[i] === 0;
  }
  const g0 = buildGraph(n, edges, { include: before });
  const t0 = cut ?? end + 1;
  const evBefore = src.events ? filterEvents(src.events, t0) : null;
  const excl = evBefore ? exclusionsFromEvents(n, evBefore) : null;
  const behaviour = src.events ? BehaviourIndex.fromEvents(n, src.events, t0) : new BehaviourIndex(n, 0, t0);

  // Label users, sampled when capped.
  const isUser = new Uint8Array(n);
  for (const k of positive.keys()) isUser[Math.floor(k / n)] = 1;
  for (const k of impressed.keys()) isUser[Math.floor(k / n)] = 1;
  let users = Int32Array.from({ length: n }, (_, u) => u).filter((u) => isUser[u] === 1 && g0.degree(u) > 0);
  if (opts.maxUsers > 0 && users.length > opts.maxUsers) users = rng.shuffle(users).slice(0, opts.maxUsers).sort();

  // Per user: positives ∪ impressed ∪ sampled 2-hop candidates ∪ random users, minus the excluded.
  const byUser = new Map<number, number[]>();
  const collect = (m: Map<number, number>): void => {
    for (const k of m.keys()) {
      const u = Math.floor(k / n);
      if (!isUser[u]) continue;
      let l = byUser.get(u);
      if (!l) byUser.set(u, (l = []));
      l.push(k - u * n);
    }
  };
  collect(positive);
  collect(impressed);
  const gen = new TwoHopGenerator(g0, { topN: opts.topN, score: 'aa', seed: opts.seed });
  const offsets = new Int32Array(n + 1);
  const cand: number[] = [];
  const seen = new Set<number>();
  let ui = 0;
  for (let u = 0; u < n; u++) {
    if (ui < users.length && users[ui] === u) {
      ui++;
      seen.clear();
      const blocked = excl ? row(excl.blocked, u) : null;
      const dismissed = excl ? row(excl.dismissed, u) : null;
      const take = (v: number): void => {
        if (v === u || v < 0 || v >= n || seen.has(v) || g0.hasEdge(u, v)) return;
        if ((blocked && includes(blocked, v)) || (dismissed && includes(dismissed, v))) return;
        seen.add(v);
        cand.push(v);
      };
      for (const v of byUser.get(u) ?? []) take(v);
      const c = gen.run(u);
      for (let s = 0; s < Math.min(opts.candidateSamples, c); s++) take(gen.cand[rng.int(c)]);
      for (let s = 0; s < opts.randomSamples; s++) take(rng.int(n));
    }
    offsets[u + 1] = cand.length;
  }
  const candArr = Int32Array.from(cand);
  const features = pairFeatureColumns(g0, behaviour, Int32Array.from({ length: n }, (_, u) => u), offsets, candArr);
  const snap: Snapshot = {
    version: 'training',
    ids: src.ids,
    profiles: src.profiles,
    graph: g0,
    blocked: excl?.blocked ?? emptyAdjacency(n),
    dismissed: excl?.dismissed ?? emptyAdjacency(n),
    candidates: { offsets, cand: candArr, score: features.aa, features },
    lists: null,
  };
  const rows = candArr.length;
  const X = new Float32Array(rows * FEATURE_COUNT);
  const y = new Float32Array(rows);
  const w = new Float32Array(rows);
  const user = new Int32Array(rows);
  const store = new MemoryStore(snap);
  let positives = 0;
  for (const u of users) {
    const lo = offsets[u];
    if (offsets[u + 1] === lo) continue;
    const inputs = await store.fetchRankingInputs(u);
    X.set(assembleFeatures(inputs), lo * FEATURE_COUNT);
    for (let i = 0; i < inputs.candidates.ids.length; i++) {
      const p = positive.get(u * n + inputs.candidates.ids[i]);
      y[lo + i] = p ? 1 : 0;
      w[lo + i] = p ?? 1;
      user[lo + i] = u;
      if (p) positives++;
    }
  }
  return {
    X,
    rows,
    features: FEATURE_COUNT,
    y,
    w,
    user,
    cand: candArr,
    labels: { mode: cut !== null ? 'log' : 'edges', cut, users: users.length, positives, impressions: impressed.size, rows },
  };
}

/**
 * The training cut: null (edge labels) when connections have no times; else the later of end − labelDays
 * and the middle of the logged period (so a short log leaves behaviour history before the cut), or, with no
 * log, the time before which 90% of the connections were made.
 */
export function chooseCut(edgeTimes: Uint32Array, events: EventTable | null, end: number, labelDays: number): number | null {
  if (end === 0) return null;
  let cut: number;
  if (events && events.count > 0) {
    let first = Infinity;
    for (let i = 0; i < events.count; i++) if (events.ts[i] > 0 && events.ts[i] < first) first = events.ts[i];
    cut = Math.max(end - labelDays * 86400, Math.floor(first + (end - first) / 2));
  } else {
    const ts = Float64Array.from(edgeTimes).filter((t) => t > 0).sort();
    if (ts.length === 0) return null;
    cut = ts[Math.floor(ts.length * 0.9)];
  }
  let after = 0;
  for (let i = 0; i < edgeTimes.length; i++) if (edgeTimes[i] >= cut) after++;
  return after >= 20 ? cut : null;
}

/** The events before time t. */
export function filterEvents(ev: EventTable, t: number): EventTable {
  const keep: number[] = [];
  for (let i = 0; i < ev.count; i++) if (ev.ts[i] < t) keep.push(i);
  return {
    count: keep.length,
    type: Uint8Array.from(keep, (i) => ev.type[i]),
    actor: Int32Array.from(keep, (i) => ev.actor[i]),
    target: Int32Array.from(keep, (i) => ev.target[i]),
    ts: Uint32Array.from(keep, (i) => ev.ts[i]),
  };
}

function emptyAdjacency(n: number): { offsets: Int32Array; targets: Int32Array } {
  return { offsets: new Int32Array(n + 1), targets: new Int32Array(0) };
}

function includes(sorted: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] === v) return true;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
