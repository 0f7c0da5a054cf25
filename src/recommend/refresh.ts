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
 * queued twice. A refresh lost to a crash is redone by the user's next event or the next publish.
 * docs/events.md, "Refresher".
 */
import { FailureTracker, type FailureReport } from '../core/failures.js';
import { FLAG_BANNED, FLAG_DEACTIVATED } from '../core/tables.js';
import { HEURISTIC_NAMES, type HeuristicName } from '../graph/heuristics.js';
import { PathCounter, PATH_FEATURES, type PathFeature } from '../graph/paths.js';
import { subgraph } from '../graph/subgraph.js';
import { twoHop, type TwoHopOptions } from '../graph/twoHop.js';
import { SOURCE_CODES } from '../rank/schema.js';
import { EXTRA_PAIR_FEATURES, PAIR_FEATURES, type PairFeature } from '../store/snapshot.js';
import type { OnlineStore, RankingInputs, StoredCandidates } from '../store/types.js';

/** The candidates stage's parameters a refresh reuses (the bundle manifest's `params.candidates`). */
export type RefreshParams = Required<Pick<TwoHopOptions, 'topN' | 'score' | 'maxFanout' | 'hubMode' | 'exactFeatures'>>;

/** A user's recomputed list, and the version of the store it was computed on. */
export interface Recomputed {
  version: string;
  list: StoredCandidates;
}

/** The user's candidate list recomputed on the store's live graph (see the module comment). */
export async function recomputeCandidates(store: OnlineStore, uid: number, params: RefreshParams): Promise<Recomputed> {
  const version = store.version();
  const inputs = await store.fetchRankingInputs(uid);
  const left = new Set<number>([...inputs.blocked, ...inputs.dismissed]);
  const rows = new Map<number, Int32Array>([[uid, inputs.connections]]);
  const friends = inputs.connections;
  (await store.neighbors(friends)).forEach((r, i) => rows.set(friends[i], r));
  // First pass: which users make the list. cn, aa and ra need only the friends' rows (room is left for the
  // users left out); jaccard and pa need each candidate's degree, so every 2-hop user is kept to be read.
  const needsDegrees = params.score === 'jaccard' || params.score === 'pa';
  const first = runTwoHop(rows, uid, { ...params, topN: needsDegrees ? Number.MAX_SAFE_INTEGER : params.topN + left.size + 16 }, left);
  const kept = first.ids.filter((x) => !rows.has(x));
  const [keptRows, profiles] = await Promise.all([store.neighbors(kept), store.profiles(first.ids)]);
  keptRows.forEach((r, i) => rows.set(kept[i], r));
  first.ids.forEach((id, i) => {
    if (profiles.flags[i] & (FLAG_DEACTIVATED | FLAG_BANNED)) left.add(id);
  });
  // Second pass, with the kept users' own rows (their degrees make jaccard and pa exact), without the users
  // left out, as the pipeline excludes flagged users inside the 2-hop.
  const list = runTwoHop(rows, uid, params, left);
  const paths = await pathFeatures(store, rows, uid, list.ids);
  return { version, list: withCarriedFeatures(inputs, { ...list, features: { ...list.features, ...paths } }, left) };
}

/**
 * p3 and ra3 of the user's candidates (graph/paths.ts), exact on the live graph: the 2-paths come from the
 * friends' rows, each candidate's row is read, and so is every row of a user both a candidate and the user
 * reach (ra3 divides by its degree) — one more round trip.
 */
async function pathFeatures(store: OnlineStore, rows: Map<number, Int32Array>, uid: number, cand: Int32Array): Promise<Record<PathFeature, Float32Array>> {
  const reach = new Set<number>();
  for (const a of rows.get(uid) ?? []) for (const b of rows.get(a) ?? []) reach.add(b);
  const need = new Set<number>();
  for (const v of cand) for (const b of rows.get(v) ?? []) if (reach.has(b) && !rows.has(b)) need.add(b);
  const ids = [...need];
  (await store.neighbors(ids)).forEach((r, i) => rows.set(ids[i], r));
  const sub = subgraph(rows);
  const out = { p3: new Float32Array(cand.length), ra3: new Float32Array(cand.length) };
  new PathCounter(sub.g).fill(sub.local(uid), Int32Array.from(cand, (v) => sub.local(v)), 0, cand.length, out);
  return out;
}

/** One pipeline 2-hop pass over a graph of `rows`, never offering `left`; ids are global. */
function runTwoHop(rows: Map<number, Int32Array>, uid: number, opts: RefreshParams, left: ReadonlySet<number>): TwoHopList {
  const sub = subgraph(rows);
  const exclude = new Uint8Array(sub.g.n);
  for (const x of left) if (sub.local(x) >= 0) exclude[sub.local(x)] = 1;
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
const HEURISTICS = new Set<PairFeature>(HEURISTIC_NAMES);

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
    // Not within two hops now: no common neighbours; the other columns (path counts included) as they were.
    for (const f of PAIR_FEATURES) features[f][r] = HEURISTICS.has(f) ? 0 : old!.features[f][o];
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
}

export interface RefresherCounts {
  /** Users waiting or being refreshed now. */
  queued: number;
  refreshed: number;
  failed: number;
  /** Refreshes dropped because the store switched versions meanwhile (the new version has fresh lists). */
  outdated: number;
  /** Milliseconds from a user's first queueing to their list written, of the last refresh. */
  lastMs: number;
}

export class Refresher {
  /** Users waiting: dense id → external id and when first queued. */
  private readonly waiting = new Map<number, { ext: string; since: number }>();
  private readonly running = new Set<number>();
  private readonly c = { refreshed: 0, failed: 0, outdated: 0, lastMs: 0 };
  private readonly failures: FailureTracker;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

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
    uids.forEach((u, i) => {
      if (!this.waiting.has(u)) this.waiting.set(u, { ext: externalIds[i], since: now });
    });
    this.pump();
  }

  counts(): RefresherCounts {
    return { queued: this.waiting.size + this.running.size, ...this.c };
  }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  idle(): Promise<void> {
    if (this.waiting.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Takes no more users and waits for the refreshes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiting.clear();
    await this.idle();
  }

  private pump(): void {
    const limit = this.opts.concurrency ?? 2;
    for (const [uid, job] of this.waiting) {
      if (this.running.size >= limit) break;
      if (this.running.has(uid)) continue; // refreshed again once the one in flight is done
      this.waiting.delete(uid);
      this.running.add(uid);
      void this.refresh(uid, job).finally(() => {
        this.running.delete(uid);
        this.pump();
        if (this.waiting.size === 0 && this.running.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async refresh(uid: number, job: { ext: string; since: number }): Promise<void> {
    try {
      const r = await recomputeCandidates(this.store, uid, this.opts.params);
      if (!(await this.store.setCandidates(uid, r.version, r.list))) {
        this.c.outdated++;
        return;
      }
      await this.opts.onRefreshed?.(job.ext);
      this.c.refreshed++;
      this.c.lastMs = performance.now() - job.since;
      this.failures.ok();
    } catch (err) {
      this.c.failed++;
      this.failures.fail(err, `user ${job.ext} keeps their list until their next event or the next publish`);
    }
  }
}
