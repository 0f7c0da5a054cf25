/**
 * Training data for the ranker, without future information.
 *
 * A cut time T0 splits the data: features come from a training snapshot of everything before T0 (the
 * graph, the exclusions and the behaviour counts as of T0); labels come from what happened at or after T0.
 *
 * - Log labels (the dataset has timed connections): a pair is positive when u invited v (banned users'
 *   spam invitations do not count) or the two connected in the label window (a connection, i.e. an
 *   accepted invitation, weighs ACCEPTED_WEIGHT; an invitation alone weighs 1).
 * - Edge labels (no times, e.g. ego-Facebook): a seeded random share of the label users' connections is
 *   held back as the label edges (holdBackEdges); the training snapshot is the graph without them;
 *   positives are the held-back pairs.
 *
 * Every label user's examples are exactly the candidate list serving would rank for them in the training
 * snapshot: their top-`topN` 2-hop candidates by the stored score (Adamic-Adar), the same count as served,
 * minus blocked and dismissed users. Everything else in the list is a negative. Positives outside the list
 * cannot be ranked by any scorer; they are counted per user (`outside`) so that validation recall has the
 * protocol's denominator (all of a user's label pairs with a user who has a connection in the snapshot). Training on these lists, not on easy random
 * negatives, is what makes the model learn to order the lists it is given (HeaRT, Li et al. 2023).
 *
 * The rows are assembled through the serving path itself: the examples become the stored candidate lists
 * of the training snapshot, a MemoryStore serves it, and `assembleFeatures(fetchRankingInputs(u))` makes
 * each user's rows — the same calls the server makes.
 */
import { CANDIDATES_PER_USER } from '../core/config.js';
import type { Dictionary } from '../core/dictionary.js';
import { Rng } from '../core/rng.js';
import { containsSorted } from '../core/sorted.js';
import { EVENT_CODE, FLAG_BANNED, type EventTable, type ProfileTable } from '../core/tables.js';
import { buildGraph, type Graph } from '../graph/csr.js';
import { exclusionMask, exclusionsFromEvents } from '../graph/exclusions.js';
import type { HeuristicName } from '../graph/heuristics.js';
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
  /** How the candidates stage builds the lists (set from its params, like topN). */
  list: ListOptions;
  /** At most this many label users, sampled (0 = all); each brings up to topN rows. */
  maxUsers: number;
  seed: number;
  /**
   * The label users are exactly these (a mask over dense ids) instead of a sample of maxUsers: with edge
   * labels only their connections are held back. The validation rounds' draws (validation.ts).
   */
  labelUsers?: Uint8Array;
}

/** The candidate generator's settings that shape a served list (the candidates stage's). */
export interface ListOptions {
  score: HeuristicName;
  maxFanout: number;
  hubMode: 'skip' | 'sample';
  exactFeatures: boolean;
}

export const LIST_DEFAULTS: ListOptions = { score: 'aa', maxFanout: 2000, hubMode: 'sample', exactFeatures: true };
export const EXAMPLE_DEFAULTS: ExampleOptions = { labelDays: 14, edgeLabelFrac: 0.1, topN: CANDIDATES_PER_USER, list: LIST_DEFAULTS, maxUsers: 0, seed: 1 };
export const ACCEPTED_WEIGHT = 2;

export interface Examples extends TrainingSet {
  /** The user of each row (for per-user ranking metrics). */
  user: Int32Array;
  cand: Int32Array;
  labels: { mode: 'log' | 'edges'; cut: number | null; users: number; positives: number; positivesOutsideLists: number; impressions: number; rows: number };
  /** Per label user: their label pairs that are not in their candidate list (no scorer can rank them). */
  outside: Map<number, number>;
  /** The training snapshot's graph the rows' features were computed on. */
  graph: Graph;
  /** Edge labels: the users whose connections were held back (with or without a held-back one); log labels: null. */
  labelled: Uint8Array | null;
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
  let labelled: Uint8Array | null = null;
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
    const held = holdBackEdges(src.graph, edges, opts.edgeLabelFrac, opts.labelUsers ?? opts.maxUsers, rng);
    labelled = held.user;
    for (let i = 0; i < edges.count; i++) {
      if (!held.edge[i]) continue;
      if (held.user[edges.src[i]]) addPos(edges.src[i], edges.dst[i], ACCEPTED_WEIGHT);
      if (held.user[edges.dst[i]]) addPos(edges.dst[i], edges.src[i], ACCEPTED_WEIGHT);
    }
    before = (i) => held.edge[i] === 0;
  }
  const g0 = buildGraph(n, edges, { include: before });
  const t0 = cut ?? end + 1;
  const evBefore = src.events ? filterEvents(src.events, t0) : null;
  const excl = evBefore ? exclusionsFromEvents(n, evBefore) : null;
  const behaviour = src.events ? BehaviourIndex.fromEvents(n, src.events, t0) : new BehaviourIndex(n, 0, t0);

  // Label users, sampled when capped.
  const isUser = new Uint8Array(n);
  for (const k of positive.keys()) isUser[Math.floor(k / n)] = 1;
  const only = opts.labelUsers;
  let users = Int32Array.from({ length: n }, (_, u) => u).filter((u) => isUser[u] === 1 && g0.degree(u) > 0 && (!only || only[u] === 1));
  if (opts.maxUsers > 0 && !only && users.length > opts.maxUsers) users = rng.shuffle(users).slice(0, opts.maxUsers).sort();

  // Per user: exactly the served list (top-N 2-hop by the stored score), minus the excluded.
  // The candidates stage's generator: same settings, tie seed 0, deactivated and banned users excluded.
  const gen = new TwoHopGenerator(g0, { ...opts.list, topN: opts.topN, exclude: exclusionMask(src.profiles.flags) });
  const offsets = new Int32Array(n + 1);
  const cand: number[] = [];
  let ui = 0;
  for (let u = 0; u < n; u++) {
    if (ui < users.length && users[ui] === u) {
      ui++;
      const blocked = excl ? row(excl.blocked, u) : null;
      const dismissed = excl ? row(excl.dismissed, u) : null;
      const c = gen.run(u);
      for (let i = 0; i < c; i++) {
        const v = gen.cand[i];
        if ((blocked && containsSorted(blocked, v)) || (dismissed && containsSorted(dismissed, v))) continue;
        cand.push(v);
      }
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
  const perUser = new Map<number, number>();
  for (const k of positive.keys()) {
    const u = Math.floor(k / n);
    const v = k - u * n;
    // As the evaluation protocol counts: pairs of two users with a connection in the snapshot (no scorer sees others).
    if (isUser[u] && g0.degree(v) > 0 && !g0.hasEdge(u, v)) perUser.set(u, (perUser.get(u) ?? 0) + 1);
  }
  const outside = new Map<number, number>();
  let positivesOutsideLists = 0;
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
  for (const u of users) {
    let inList = 0;
    for (let r = offsets[u]; r < offsets[u + 1]; r++) if (y[r] > 0) inList++;
    const out = (perUser.get(u) ?? 0) - inList;
    if (out > 0) outside.set(u, out);
    positivesOutsideLists += out;
  }
  return {
    X,
    rows,
    features: FEATURE_COUNT,
    y,
    w,
    user,
    cand: candArr,
    labels: { mode: cut !== null ? 'log' : 'edges', cut, users: users.length, positives, positivesOutsideLists, impressions: impressed.size, rows },
    outside,
    graph: g0,
    labelled,
  };
}

/**
 * Edge labels: which connections are held back. Each connection draws a seeded coin (`frac`), as the
 * evaluation protocol hides a random share of all edges; but only the connections of the label users are
 * held back — users taken in a seeded random order until `maxUsers` of them have a held-back connection (0:
 * everyone, every coin). The other users' connections stay, so the training snapshot is as dense as the graph
 * serving ranks on wherever no label user is involved (holding back a share of *every* connection left the
 * snapshot 10% sparser than served, and its validation Recall@20 ~12% below the protocol's). `users` may
 * instead be the label users themselves (a mask): every coin is drawn as before, so a draw is the same
 * whoever is labelled.
 */
export function holdBackEdges(g: Graph, edges: { count: number; src: Int32Array; dst: Int32Array }, frac: number, users: number | Uint8Array, rng: Rng): { edge: Uint8Array; user: Uint8Array } {
  const n = g.n;
  const coin = new Uint8Array(edges.count);
  const hasCoin = new Uint8Array(n);
  for (let i = 0; i < edges.count; i++) {
    if (!rng.chance(frac)) continue;
    coin[i] = 1;
    hasCoin[edges.src[i]] = hasCoin[edges.dst[i]] = 1;
  }
  let user: Uint8Array;
  if (typeof users !== 'number') {
    if (users.length !== n) throw new RangeError(`label-user mask of ${users.length} for ${n} users`);
    user = Uint8Array.from(users);
  } else if (users <= 0) user = new Uint8Array(n).fill(1);
  else {
    const maxUsers = users;
    user = new Uint8Array(n);
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, u) => u).filter((u) => g.degree(u) > 0));
    for (let i = 0, labelled = 0; i < order.length && labelled < maxUsers; i++) {
      user[order[i]] = 1;
      labelled += hasCoin[order[i]];
    }
  }
  const edge = Uint8Array.from(coin, (c, i) => (c && (user[edges.src[i]] || user[edges.dst[i]]) ? 1 : 0));
  return { edge, user };
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

