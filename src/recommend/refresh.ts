/**
 * The refresher: recomputes a user's stored candidate list after a graph event (a connection made or
 * removed, a block lifted), so a new connection's friends-of-friends are offered within seconds instead
 * of at the next publish.
 *
 * A refresh reads the user's live rows from the store — their connections and each connection's
 * connections (one round trip each), then the rows of the candidates kept — builds a graph over just those
 * users (graph/subgraph.ts) and runs the pipeline's own 2-hop (graph/twoHop.ts) on it with the bundle's
 * candidate parameters, tie keys and hub samples drawn from the global ids: the list is the one the
 * pipeline's candidates stage would compute on the live graph, with the same heuristic features. The
 * feature columns the graph does not give are carried over from the old list for candidates that stay
 * (behaviour counts, embedding similarity, the source); candidates new to the list have none (0: the
 * activity log is read by the pipeline). Entries of the old list that came from the ANN index and are not
 * 2-hop now are kept after the 2-hop ones. The user's blocks, dismissals, and deactivated or banned users
 * are left out, as the pipeline leaves them out.
 *
 * Refreshes run off the event path: the invalidator acks an event after its own writes and queues both
 * users here; a user queued while being refreshed is refreshed again after, and one already queued is not
 * queued twice. A failed refresh is tried again (RETRY_MS, MAX_ATTEMPTS); one lost to a crash is redone by
 * the user's next event or the next publish.
 * docs/events.md, "Refresher".
 */
import { FailureTracker, type FailureReport } from '../core/failures.js';
import { exclusionMask } from '../graph/exclusions.js';
import { HEURISTIC_NAMES, type HeuristicName } from '../graph/heuristics.js';
import { COMMON_NEIGHBOUR_FEATURES, emptyPathColumns, PathCounter, PATH_FEATURES, type PathFeature } from '../graph/paths.js';
import { subgraph } from '../graph/subgraph.js';
import { twoHop, type TwoHopOptions } from '../graph/twoHop.js';
import { SOURCE_CODES } from '../rank/schema.js';
import { EXTRA_PAIR_FEATURES, PAIR_FEATURES, type PairFeature } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs, StoredCandidates } from '../store/types.js';

/** The candidates stage's parameters a refresh reuses (the bundle manifest's `params.candidates`). */
export type RefreshParams = Required<Pick<TwoHopOptions, 'topN' | 'score' | 'maxFanout' | 'hubMode' | 'exactFeatures'>>;

/** A user's recomputed list, the version of the store and the connection row it was computed from. */
export interface Recomputed {
  version: string;
  list: StoredCandidates;
  basis: Int32Array;
}

/** The user's candidate list recomputed on the store's live graph (see the module comment). */
export async function recomputeCandidates(store: OnlineStore, uid: number, params: RefreshParams): Promise<Recomputed> {
  const version = store.version();
  const inputs = await store.fetchRankingInputs(uid);
  const left = new Set<number>([...inputs.blocked, ...inputs.dismissed]);
  const rows = new Map<number, Int32Array>([[uid, inputs.connections]]);
  const friends = inputs.connections;
  (await store.neighbors(friends)).forEach((r, i) => rows.set(friends[i], r));
  // First pass: which users may make the list. cn, aa and ra need only the friends' rows; jaccard and pa
  // need each candidate's degree, so every 2-hop user is kept to be read. The kept users' rows and flags
  // are read; while flagged users leave fewer than topN of a full cut, the cut doubles.
  const needsDegrees = params.score === 'jaccard' || params.score === 'pa';
  let cut = needsDegrees ? Number.MAX_SAFE_INTEGER : params.topN + 16;
  let first: TwoHopList;
  const checked = new Set<number>();
  for (;;) {
    first = runTwoHop(rows, uid, { ...params, topN: cut }, left);
    const unread = first.ids.filter((x) => !rows.has(x));
    const unchecked = first.ids.filter((x) => !checked.has(x));
    const [unreadRows, profiles] = await Promise.all([store.neighbors(unread), store.profiles(unchecked)]);
    unreadRows.forEach((r, i) => rows.set(unread[i], r));
    const hidden = exclusionMask(profiles.flags); // the candidates stage's own rule for who is never offered
    unchecked.forEach((id, i) => {
      checked.add(id);
      if (hidden[i]) left.add(id);
    });
    const usable = first.ids.filter((x) => !left.has(x)).length;
    if (usable >= params.topN || first.ids.length < cut) break;
    cut *= 2;
  }
  // Second pass, with the kept users' own rows (their degrees make jaccard and pa exact), among them only
  // (users whose rows and flags were not read never enter), without the users left out, as the pipeline
  // excludes flagged users inside the 2-hop.
  const inFirst = new Set(first.ids);
  const list = runTwoHop(rows, uid, params, left, (x) => !inFirst.has(x));
  const paths = await pathFeatures(store, rows, uid, list.ids);
  return { version, list: withCarriedFeatures(inputs, { ...list, features: { ...list.features, ...paths } }, left), basis: inputs.connections };
}

/**
 * The path features of the user's candidates (graph/paths.ts), exact on the live graph. They need the rows
 * of every user two steps from the user (the friends' rows name them; 3-step walks continue from their
 * rows), the candidates' rows (read by the second 2-hop pass), and the rows of each candidate's neighbours
 * that a 2- or 3-step walk reaches (ra3 and ra4 divide by their degrees): two more round trips.
 */
async function pathFeatures(store: OnlineStore, rows: Map<number, Int32Array>, uid: number, cand: Int32Array): Promise<Record<PathFeature, Float32Array>> {
  const reach2 = new Set<number>();
  for (const a of rows.get(uid) ?? []) for (const b of rows.get(a) ?? []) reach2.add(b);
  await readRows(store, rows, [...reach2]);
  const reach3 = new Set<number>();
  for (const b of reach2) for (const c of rows.get(b) ?? []) reach3.add(c);
  // A neighbour two steps away was read above; one three steps away is read now (readRows skips rows held).
  const need: number[] = [];
  for (const v of cand) for (const c of rows.get(v) ?? []) if (reach3.has(c)) need.push(c);
  await readRows(store, rows, need);
  const sub = subgraph(rows);
  const out = emptyPathColumns(cand.length);
  new PathCounter(sub.g).fill(sub.local(uid), Int32Array.from(cand, (v) => sub.local(v)), 0, cand.length, out);
  return out;
}

/** Reads the rows of `ids` not yet in `rows` (one round trip). */
async function readRows(store: OnlineStore, rows: Map<number, Int32Array>, ids: number[]): Promise<void> {
  const unread = [...new Set(ids)].filter((x) => !rows.has(x));
  if (unread.length) (await store.neighbors(unread)).forEach((r, i) => rows.set(unread[i], r));
}

/** One pipeline 2-hop pass over a graph of `rows`, never offering `left` (nor ids `outside` says); ids are global. */
function runTwoHop(rows: Map<number, Int32Array>, uid: number, opts: RefreshParams, left: ReadonlySet<number>, outside?: (id: number) => boolean): TwoHopList {
  const sub = subgraph(rows);
  const exclude = new Uint8Array(sub.g.n);
  for (const x of left) if (sub.local(x) >= 0) exclude[sub.local(x)] = 1;
  if (outside) sub.globalIds.forEach((id, i) => void (outside(id) && (exclude[i] = 1)));
  const c = twoHop(sub.g, sub.local(uid), { ...opts, topN: Math.max(1, Math.min(opts.topN, sub.g.n)), exclude, globalIds: sub.globalIds });
  return { ids: c.cand.map((x) => sub.globalIds[x]), score: c.score, features: c.features };
}

interface TwoHopList {
  ids: Int32Array;
  score: Float32Array;
  features: Record<(typeof HEURISTIC_NAMES)[number], Float32Array> & Partial<Record<PathFeature, Float32Array>>;
}

/** Features the refresh computes on the live graph; the others are carried over from the old list. */
const LIVE_FEATURES: readonly (HeuristicName | PathFeature)[] = [...HEURISTIC_NAMES, ...PATH_FEATURES];
const LIVE = new Set<PairFeature>(LIVE_FEATURES);
/** Columns computed over the common neighbours: 0 for a pair that has none. */
const OVER_COMMON_NEIGHBOURS = new Set<PairFeature>([...HEURISTIC_NAMES, ...COMMON_NEIGHBOUR_FEATURES]);

/** The 2-hop list, heuristics from the 2-hop pass, other columns carried from the old list, old ANN-only entries after. */
function withCarriedFeatures(inputs: RankingInputs, fresh: TwoHopList, left: ReadonlySet<number>): StoredCandidates {
  const old = inputs.source === 'stored' ? inputs.candidates : null;
  const oldAt = new Map<number, number>();
  old?.ids.forEach((id, i) => oldAt.set(id, i));
  const inTwoHop = new Set(fresh.ids);
  const m = fresh.ids.length;
  const connected = new Set(inputs.connections);
  const annOnly = old ? Array.from(old.ids, (_, i) => i).filter((i) => old.features.source[i] === SOURCE_CODES.ann && !inTwoHop.has(old.ids[i]) && !left.has(old.ids[i]) && !connected.has(old.ids[i])) : [];
  const n = m + annOnly.length;
  const ids = new Int32Array(n);
  const score = new Float32Array(n);
  const features = Object.fromEntries(PAIR_FEATURES.map((f) => [f, new Float32Array(n)])) as Record<PairFeature, Float32Array>;
  for (let r = 0; r < m; r++) {
    ids[r] = fresh.ids[r];
    score[r] = fresh.score[r];
    for (const f of LIVE_FEATURES) features[f][r] = fresh.features[f]?.[r] ?? 0;
    const o = oldAt.get(ids[r]);
    features.source[r] = SOURCE_CODES['2-hop'];
    if (o === undefined || !old) continue;
    for (const f of EXTRA_PAIR_FEATURES) if (!LIVE.has(f)) features[f][r] = old.features[f][o];
    const was = old.features.source[o];
    features.source[r] = was === SOURCE_CODES.ann || was === SOURCE_CODES.both ? SOURCE_CODES.both : SOURCE_CODES['2-hop'];
  }
  annOnly.forEach((o, j) => {
    const r = m + j;
    ids[r] = old!.ids[o];
    score[r] = old!.score[o];
    // Not within two hops now: no common neighbours (so none of the columns over them); the others (walk counts
    // included) as they were.
    for (const f of PAIR_FEATURES) features[f][r] = OVER_COMMON_NEIGHBOURS.has(f) ? 0 : old!.features[f][o];
  });
  return { ids, score, features };
}

export interface RefresherOptions {
  params: RefreshParams;
  /** Refreshes in flight at once (default 2). */
  concurrency?: number;
  /** Called after a user's new list is written (e.g. delete their L2 answer and evict L1 everywhere). */
  onRefreshed?: (externalId: string) => Promise<void>;
  /** Failures (reported once per run of them; all counted). */
  report?: FailureReport;
  /** While this says so (the invalidator is working through a backlog), no new refresh starts; checked every DEFER_MS. */
  defer?: () => boolean;
}

export interface RefresherCounts {
  /** Users waiting or being refreshed now. */
  queued: number;
  refreshed: number;
  failed: number;
  /** Refreshes dropped because the store switched versions meanwhile (the new version has fresh lists). */
  outdated: number;
  /** Refreshes computed again because the user's connections changed before the write. */
  changed: number;
  /** Milliseconds from a user's first queueing to their list written, of the last refresh. */
  lastMs: number;
}

export class Refresher {
  /** Users waiting: dense id → external id, the store version it was queued on, when first queued, attempts so far. */
  private readonly waiting = new Map<number, Job>();
  private readonly running = new Set<number>();
  private readonly c = { refreshed: 0, failed: 0, outdated: 0, changed: 0, lastMs: 0 };
  private readonly failures: FailureTracker;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;
  /** Jobs waiting out RETRY_MS before going back in the queue. */
  private retrying = 0;
  private deferTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: OnlineStore,
    private readonly opts: RefresherOptions,
  ) {
    this.failures = new FailureTracker('candidate refresh', opts.report);
  }

  /** Queues users (dense and external ids, aligned) for a refresh. */
  enqueue(uids: readonly number[], externalIds: readonly string[]): void {
    if (this.stopped) return;
    const now = performance.now();
    const version = this.store.version();
    uids.forEach((u, i) => {
      if (!this.waiting.has(u)) this.waiting.set(u, { ext: externalIds[i], version, since: now, attempts: 0 });
    });
    this.pump();
  }

  /** A job again after a failure, after RETRY_MS, up to MAX_ATTEMPTS in all. */
  private retry(uid: number, job: Job): void {
    if (job.attempts >= MAX_ATTEMPTS) return;
    this.retrying++;
    setTimeout(() => {
      this.retrying--;
      if (!this.stopped && !this.waiting.has(uid)) this.waiting.set(uid, job);
      this.pump();
      this.settleIdle();
    }, RETRY_MS).unref();
  }

  counts(): RefresherCounts {
    return { queued: this.waiting.size + this.running.size + this.retrying, ...this.c };
  }

  /** Resolves when nothing is queued, running or waiting for a retry (tests, shutdown). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.waiting.size === 0 && this.running.size === 0 && (this.retrying === 0 || this.stopped);
  }

  private settleIdle(): void {
    if (this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Takes no more users and waits for the refreshes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    if (this.deferTimer) clearTimeout(this.deferTimer);
    this.deferTimer = null;
    this.settleIdle();
    await this.idle();
  }

  private pump(): void {
    if (this.waiting.size > 0 && !this.stopped && this.opts.defer?.()) {
      this.deferTimer ??= setTimeout(() => {
        this.deferTimer = null;
        this.pump();
      }, DEFER_MS);
      return;
    }
    const limit = Math.max(1, this.opts.concurrency ?? 2);
    for (const [uid, job] of this.waiting) {
      if (this.running.size >= limit) break;
      if (this.running.has(uid)) continue; // refreshed again once the one in flight is done
      this.waiting.delete(uid);
      this.running.add(uid);
      void this.refresh(uid, job).finally(() => {
        this.running.delete(uid);
        this.pump();
        this.settleIdle();
      });
    }
  }

  private async refresh(uid: number, job: Job): Promise<void> {
    // Queued on another version: dense ids are per version, so this id may be someone else now; the new
    // version's lists were computed after the event anyway.
    if (this.store.version() !== job.version) {
      this.c.outdated++;
      return;
    }
    job.attempts++;
    let written = false;
    try {
      const r = await recomputeCandidates(this.store, uid, this.opts.params);
      const w = await this.store.setCandidates(uid, r.version, r.list, r.basis);
      if (w === 'outdated') {
        this.c.outdated++;
        return;
      }
      if (w === 'changed') {
        // The user's connections changed while this ran (here or in another process): compute again.
        this.c.changed++;
        if (!this.stopped && !this.waiting.has(uid)) this.waiting.set(uid, { ...job, attempts: 0 });
        return;
      }
      written = true;
      await this.opts.onRefreshed?.(job.ext);
      this.c.refreshed++;
      this.c.lastMs = performance.now() - job.since;
      this.failures.ok();
    } catch (err) {
      this.c.failed++;
      const next = job.attempts < MAX_ATTEMPTS ? `retried in ${RETRY_MS} ms` : `given up after ${MAX_ATTEMPTS} attempts`;
      this.failures.fail(err, written ? `user ${job.ext}'s new list is written but their cached answers were not dropped; ${next}` : `user ${job.ext} keeps their list; ${next}`);
      this.retry(uid, job);
    }
  }
}

interface Job {
  ext: string;
  version: string;
  since: number;
  attempts: number;
}

/** A failed refresh (or its L2 delete and announcement) is tried again after RETRY_MS, MAX_ATTEMPTS times in all. */
const RETRY_MS = 1000;
const MAX_ATTEMPTS = 3;
/** How often a deferred queue looks again whether it may start (RefresherOptions.defer). */
const DEFER_MS = 50;
