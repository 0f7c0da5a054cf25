/**
 * Behavioural pair features from the activity log: profile views each way, impressions, and rejections
 * (dismissals and ignored invites, either way), counted over the BEHAVIOUR_WINDOW_DAYS before a time. One
 * implementation for the pipeline (every stored candidate) and the trainer (pairs as of the training cut),
 * so a pair gets the same values wherever its features are built.
 */
import { lowerBound } from '../core/sorted.js';
import { EVENT_CODE, type EventTable } from '../core/tables.js';
import { pairFeatures, emptyPairFeatures, HEURISTIC_NAMES } from '../graph/heuristics.js';
import type { Graph } from '../graph/csr.js';
import { pathFeatureColumns, type PathFeature } from '../graph/paths.js';
import { EXTRA_PAIR_FEATURES, PAIR_FEATURES, type PairFeature } from '../store/snapshot.js';
import { BEHAVIOUR_WINDOW_DAYS, SOURCE_CODES } from './schema.js';

const VIEW = EVENT_CODE.profile_view;
const IMPRESSION = EVENT_CODE.impression;
const DISMISS = EVENT_CODE.dismiss;
const IGNORED = EVENT_CODE.invite_ignored;

/** Per ordered pair (u, v): counts, looked up by hash. */
export class BehaviourIndex {
  private readonly slot = new Map<number, number>();
  private counts = new Float32Array(64);
  private used = 0;

  constructor(
    /** Users (ids are 0..n-1). */
    readonly n: number,
    /** Events at or after `from` and before `to` (epoch s) were counted. */
    readonly from: number,
    readonly to: number,
  ) {}

  /** Adds the events of the window [to - BEHAVIOUR_WINDOW_DAYS, to); events must be sorted by nothing. */
  static fromEvents(n: number, ev: EventTable, to: number): BehaviourIndex {
    const from = Math.max(0, to - BEHAVIOUR_WINDOW_DAYS * 86400);
    const b = new BehaviourIndex(n, from, to);
    for (let i = 0; i < ev.count; i++) {
      const t = ev.ts[i];
      if (t < from || t >= to) continue;
      const a = ev.actor[i];
      const c = ev.target[i];
      if (a < 0 || c < 0 || a >= n || c >= n || a === c) continue;
      switch (ev.type[i]) {
        case VIEW:
          b.add(a, c, 0);
          b.add(c, a, 1);
          break;
        case IMPRESSION:
          b.add(a, c, 2);
          break;
        case DISMISS:
        case IGNORED:
          b.add(a, c, 3);
          b.add(c, a, 3);
          break;
      }
    }
    return b;
  }

  /** [views_out, views_in, impressions, rejections] of (u, v), or null when the pair has no events. */
  get(u: number, v: number): Float32Array | null {
    const s = this.slotOf(u, v);
    return s < 0 ? null : this.counts.subarray(4 * s, 4 * s + 4);
  }

  /**
   * The slot of (u, v), -1 when the pair has no events: a binary search among u's pairs (sorted by v), built
   * once from the map on the first lookup — no per-lookup allocation (the map's u·n + v keys pass 2^31 and
   * are heap numbers), which made the lookups of every stored candidate the slowest part of pair features.
   */
  private slotOf(u: number, v: number): number {
    if (this.byUser === null) this.index();
    const { offsets, vs, slots } = this.byUser!;
    if (u < 0 || u >= this.n) return -1;
    const i = lowerBound(vs, v, offsets[u], offsets[u + 1]);
    return i < offsets[u + 1] && vs[i] === v ? slots[i] : -1;
  }

  private byUser: { offsets: Int32Array; vs: Int32Array; slots: Int32Array } | null = null;

  private index(): void {
    const keys = Float64Array.from(this.slot.keys()).sort();
    const offsets = new Int32Array(this.n + 1);
    const vs = new Int32Array(keys.length);
    const slots = new Int32Array(keys.length);
    keys.forEach((key, i) => {
      const u = Math.floor(key / this.n);
      vs[i] = key - u * this.n;
      slots[i] = this.slot.get(key)!;
      offsets[u + 1]++;
    });
    for (let u = 0; u < this.n; u++) offsets[u + 1] += offsets[u];
    this.byUser = { offsets, vs, slots };
  }

  get pairs(): number {
    return this.used;
  }

  private add(u: number, v: number, k: number): void {
    const key = u * this.n + v;
    let s = this.slot.get(key);
    if (s === undefined) {
      this.byUser = null; // a new pair: the lookup index is rebuilt
      s = this.used++;
      this.slot.set(key, s);
      if (4 * this.used > this.counts.length) {
        const next = new Float32Array(this.counts.length * 2);
        next.set(this.counts);
        this.counts = next;
      }
    }
    this.counts[4 * s + k]++;
  }
}

/** The log-derived and reserved pair-feature columns for candidate rows (user users[i] owns offsets[i]..offsets[i+1]-1). */
export function extraPairColumns(
  g: Graph,
  b: BehaviourIndex,
  users: ArrayLike<number>,
  offsets: Int32Array,
  cand: Int32Array,
): Record<(typeof EXTRA_PAIR_FEATURES)[number], Float32Array> {
  return { ...behaviourPairColumns(b, users, offsets, cand), ...pathFeatureColumns(g, users, offsets, cand) };
}

/** extraPairColumns without the path features (graph/paths.ts), which the caller computes itself (e.g. on a worker pool). */
export function behaviourPairColumns(
  b: BehaviourIndex,
  users: ArrayLike<number>,
  offsets: Int32Array,
  cand: Int32Array,
): Record<Exclude<(typeof EXTRA_PAIR_FEATURES)[number], PathFeature>, Float32Array> {
  const m = cand.length;
  const out = {
    views_out: new Float32Array(m),
    views_in: new Float32Array(m),
    impressions: new Float32Array(m),
    rejections: new Float32Array(m),
    emb_sim: new Float32Array(m),
    source: new Float32Array(m).fill(SOURCE_CODES['2-hop']),
  };
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      const c = b.get(u, cand[p]);
      if (!c) continue;
      out.views_out[p] = c[0];
      out.views_in[p] = c[1];
      out.impressions[p] = c[2];
      out.rejections[p] = c[3];
    }
  }
  return out;
}

/**
 * Every pair-feature column for arbitrary candidate rows: the heuristics computed exactly on `g` (as the
 * candidates stage stores them) plus the log-derived columns.
 */
export function pairFeatureColumns(g: Graph, b: BehaviourIndex, users: ArrayLike<number>, offsets: Int32Array, cand: Int32Array): Record<PairFeature, Float32Array> {
  const m = cand.length;
  const heur = Object.fromEntries(HEURISTIC_NAMES.map((h) => [h, new Float32Array(m)])) as Record<(typeof HEURISTIC_NAMES)[number], Float32Array>;
  const pf = emptyPairFeatures();
  for (let i = 0; i < users.length; i++) {
    const u = users[i];
    for (let p = offsets[i]; p < offsets[i + 1]; p++) {
      pairFeatures(g, u, cand[p], pf);
      for (const h of HEURISTIC_NAMES) heur[h][p] = pf[h];
    }
  }
  const extra = extraPairColumns(g, b, users, offsets, cand);
  const out = {} as Record<PairFeature, Float32Array>;
  for (const f of PAIR_FEATURES) out[f] = f in heur ? heur[f as keyof typeof heur] : extra[f as keyof typeof extra];
  return out;
}

/** The data time of a dataset: the latest connection or event time (0 when nothing is timed). */
export function dataTime(edgeTimes: ArrayLike<number>, ev: EventTable | null): number {
  let t = 0;
  for (let i = 0; i < edgeTimes.length; i++) if (edgeTimes[i] > t) t = edgeTimes[i];
  if (ev) for (let i = 0; i < ev.count; i++) if (ev.ts[i] > t) t = ev.ts[i];
  return t;
}
