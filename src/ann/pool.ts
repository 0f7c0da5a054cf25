/**
 * A pool of worker threads that own the index, so searches (synchronous native code) never run on the
 * server's event loop. Each search goes to the worker with the fewest requests in flight; changes
 * (upsert, remove) go to every worker, in order, and resolve when all applied them, so the next search
 * anywhere sees them. For a tiered spec worker 0 writes the log and the others only replay it.
 */
import { Worker } from 'node:worker_threads';
import { PymkError, type ErrorCode } from '../core/errors.js';
import { checkId, checkK, checkRows } from './distance.js';
import { portableExclusion } from './exclude.js';
import type { OpenSpec } from './open.js';
import type { MainSpec, TierStats } from './tiered.js';
import type { AnnSearcher, BatchOptions, Hits, Metric, SearchOptions, SearchResult } from './types.js';
import type { WorkerReply, WorkerRequest } from './poolWorker.js';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Slot {
  worker: Worker;
  /** Resolves when the worker opened its index; rejects if it could not. */
  ready: Promise<{ dim: number; metric: Metric }>;
  /** Set once the worker opened its index; a worker that dies before that is not replaced (no crash loop). */
  up: boolean;
  inflight: number;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>;
}

export interface PoolOptions {
  spec: OpenSpec;
  /** Worker threads (default 2). */
  workers?: number;
  /**
   * Ids searches leave out unless a call asks for them (`includeSkipped`), e.g. users serving should not
   * offer. Each worker holds them once, and they join each request's exclusions in the index's own
   * over-fetch (exclude.ts), so one search returns k hits that are not skipped.
   */
  skip?: Int32Array;
}

/** SearchOptions for the pool: `includeSkipped` searches as if the pool had no skip set. */
export interface PoolSearchOptions extends SearchOptions {
  includeSkipped?: boolean;
}

const full = (h: Hits): SearchResult => ({ ...h, partial: false, missingShards: [] });

export class SearchPool implements AnnSearcher {
  private seq = 1;
  private closed = false;
  /** Changes are applied one at a time, in order, on every worker. */
  private changes: Promise<unknown> = Promise.resolve();
  private readonly slots: Slot[] = [];
  dim = 0;
  metric: Metric = 'l2sq';

  private constructor(
    private readonly spec: OpenSpec,
    private readonly skip: Int32Array,
  ) {}

  /**
   * Starts the workers and waits until each has opened the index. A worker that dies is replaced (its
   * requests in flight fail with PYMK_INTERNAL; the new one reopens the index and replays the log).
   */
  static async start(opts: PoolOptions): Promise<SearchPool> {
    const pool = new SearchPool(opts.spec, opts.skip ?? new Int32Array(0));
    for (let i = 0; i < Math.max(1, opts.workers ?? 2); i++) pool.slots.push(pool.spawn(i));
    try {
      const infos = await Promise.all(pool.slots.map((s) => s.ready));
      pool.dim = infos[0].dim;
      pool.metric = infos[0].metric;
      return pool;
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  /** A worker for slot i (slot 0 writes a tiered spec's log, unless the spec says this process must not). */
  private spawn(i: number): Slot {
    const spec = this.spec.type === 'tiered' ? { ...this.spec, tier: { ...this.spec.tier, writeLog: (this.spec.tier.writeLog ?? true) && i === 0 } } : this.spec;
    const worker = new Worker(new URL('./poolWorker.js', import.meta.url), { workerData: { spec, skip: this.skip } });
    const slot: Slot = { worker, ready: Promise.resolve({ dim: 0, metric: 'l2sq' }), up: false, inflight: 0, pending: new Map() };
    slot.ready = new Promise((resolve, reject) => slot.pending.set(0, { resolve: resolve as (v: unknown) => void, reject }));
    slot.ready.then(
      () => (slot.up = true),
      () => {}, // observed by start() or the next call
    );
    worker.on('message', (r: WorkerReply) => settle(slot, r));
    worker.on('error', (e) => failAll(slot, e));
    worker.on('exit', (code) => {
      failAll(slot, new PymkError('PYMK_INTERNAL', `ANN worker ${i} exited (code ${code})`));
      if (!this.closed && slot.up && this.slots[i] === slot) this.slots[i] = this.spawn(i);
    });
    return slot;
  }

  async size(): Promise<number> {
    return (await this.call(this.pick(), { op: 'size' })) as number;
  }

  async search(query: Float32Array, opts: PoolSearchOptions): Promise<SearchResult> {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    return full((await this.call(this.pick(), { op: 'search', query, k: opts.k, exclude: portableExclusion(opts.exclude), includeSkipped: opts.includeSkipped })) as Hits);
  }

  /** Splits the batch across the workers. */
  async searchBatch(queries: Float32Array, opts: BatchOptions): Promise<SearchResult[]> {
    checkK(opts.k);
    const n = checkRows(queries, this.dim, 'queries');
    const per = Math.ceil(n / this.slots.length);
    const parts = [];
    for (let w = 0, start = 0; start < n; w++, start += per) {
      const end = Math.min(n, start + per);
      const excludes = opts.excludes?.slice(start, end).map(portableExclusion);
      parts.push(this.call(this.slots[w], { op: 'batch', queries: queries.slice(start * this.dim, end * this.dim), k: opts.k, excludes, threads: opts.threads }) as Promise<Hits[]>);
    }
    return (await Promise.all(parts)).flat().map(full);
  }

  async searchUser(id: number, opts: PoolSearchOptions): Promise<SearchResult | null> {
    checkId(id);
    checkK(opts.k);
    const h = (await this.call(this.pick(), { op: 'user', user: id, k: opts.k, exclude: portableExclusion(opts.exclude), includeSkipped: opts.includeSkipped })) as Hits | null;
    return h ? full(h) : null;
  }

  upsert(id: number, vector: Float32Array): Promise<void> {
    checkId(id);
    checkRows(vector, this.dim);
    return this.change({ op: 'upsert', user: id, vector: vector.slice(0, this.dim) }).then(() => undefined);
  }

  /**
   * Inserts the vector of a user created online, unless the index already holds it for that id (so
   * replaying the same new users after a restart appends nothing more to the tier's log); an id held with
   * another vector (a log entry of a store since wiped or republished) gets the new one. Resolves true when
   * the vector was inserted.
   */
  async insertNew(id: number, vector: Float32Array): Promise<boolean> {
    checkId(id);
    checkRows(vector, this.dim);
    return ((await this.change({ op: 'upsert', user: id, vector: vector.slice(0, this.dim), unlessSame: true })) as boolean[])[0];
  }

  async remove(id: number): Promise<boolean> {
    checkId(id);
    return ((await this.change({ op: 'remove', user: id })) as boolean[])[0];
  }

  /** Sets the search breadth on every worker. */
  async setEf(ef: number): Promise<void> {
    await this.change({ op: 'setEf', ef });
  }

  /** Tier statistics from the log writer (tiered specs only). */
  async stats(): Promise<TierStats> {
    return (await this.call(this.slots[0], { op: 'stats' })) as TierStats;
  }

  /**
   * Compacts the tiers on the log writer (searches meanwhile go to the other workers), then has the
   * others reopen the new generation. Changes wait until it is done.
   */
  compact(main: MainSpec): Promise<{ gen: number; vectors: number }> {
    const run = this.changes.then(async () => {
      const r = await this.call(this.slots[0], { op: 'compact', main });
      await Promise.all(this.slots.slice(1).map((s) => this.call(s, { op: 'reopen' })));
      return r as { gen: number; vectors: number };
    });
    this.changes = run.catch(() => undefined); // the caller gets run's error; the chain of later changes goes on
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.changes;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** Applies a change on every worker, after the changes before it. */
  private change(req: Request): Promise<unknown[]> {
    const run = this.changes.then(() => Promise.all(this.slots.map((s) => this.call(s, req))));
    this.changes = run.catch(() => undefined); // the caller gets run's error; the chain of later changes goes on
    return run;
  }

  private pick(): Slot {
    let best = this.slots[0];
    for (const s of this.slots) if (s.inflight < best.inflight) best = s;
    return best;
  }

  private async call(slot: Slot, req: Request): Promise<unknown> {
    if (this.closed) throw new PymkError('PYMK_NOT_READY', 'the ANN pool is closed');
    const id = this.seq++;
    slot.inflight++;
    try {
      await slot.ready;
    } catch (e) {
      slot.inflight--;
      throw e;
    }
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id });
    });
  }
}

function settle(slot: Slot, r: WorkerReply): void {
  const p = slot.pending.get(r.id);
  if (!p) return;
  slot.pending.delete(r.id);
  if (r.id !== 0) slot.inflight--;
  if (r.ok) p.resolve(r.value);
  else p.reject(new PymkError(r.code as ErrorCode, r.message));
}

function failAll(slot: Slot, e: unknown): void {
  for (const p of slot.pending.values()) p.reject(e);
  slot.pending.clear();
  slot.inflight = 0;
}
