/**
 * The invalidator: consumes a group of an event log, applies each event to the online store (apply.ts),
 * deletes both users' L2 answers (when given the answer cache), then announces on the invalidation bus the users whose answers changed (both users of a pair), so every
 * serving process can evict them. An event is acked only after its store write and its announcement
 * succeeded; if either fails the log delivers it again (the writes are idempotent) and, after
 * `maxDeliveries`, dead-letters it with the error as reason. docs/events.md, "Invalidator".
 */
import { hostname } from 'node:os';
import type { OnlineStore } from '../store/types.js';
import type { AnswerCache } from '../store/answerCache.js';
import type { Refresher } from '../recommend/refresh.js';
import { applyEvent, REFRESHED_BY, SKIP_REASONS, usersOf, type ApplyContext, type SkipReason } from './apply.js';
import type { InvalidationBus } from './bus.js';
import { Coalescer } from './coalesce.js';
import type { EventType } from './schema.js';
import type { Consumer, EventLog } from './types.js';

export const DEFAULT_INVALIDATOR_GROUP = 'invalidator';

export interface InvalidatorOptions extends ApplyContext {
  /** Consumer group (default 'invalidator'): every group sees every event. */
  group?: string;
  /**
   * Consumer name (default `invalidator-<hostname>`). Keep it stable across restarts: a Redis Streams
   * consumer that restarts under its name first takes back what it had in flight, in log order.
   */
  consumer?: string;
  /** Where changed users are announced; null = nowhere (the store is still written). */
  bus?: InvalidationBus | null;
  /** The L2 answer cache: both users' answers are deleted after the store write, before the announcement. */
  answers?: AnswerCache | null;
  /**
   * Recomputes both users' candidate lists after the events that change them (REFRESHED_BY), off the
   * event path: queued once the event's writes are done (its own answers and announcements follow the
   * refresh); null = lists change only at the next publish.
   */
  refresher?: Refresher | null;
  maxDeliveries?: number;
  batch?: number;
  /** Failures of the log itself (the consumer keeps retrying) and of deliveries that will be retried. */
  onError?: (err: Error) => void;
}

export interface InvalidatorCounts {
  /** Deliveries whose store write (and announcement) succeeded; a redelivered event counts again. */
  applied: number;
  /** Events that changed nothing, by reason (unknown user, same user twice). */
  skipped: Record<SkipReason, number>;
  /** Valid events this version does not apply yet, by type (impression). */
  notApplied: Partial<Record<EventType, number>>;
  /** Deliveries that failed (store or bus error) and were left for redelivery or dead-lettering. */
  failed: number;
  /** The group's dead letters in the log. */
  deadLettered: number;
  /** Events appended and not yet acked by the group. */
  lag: number;
  /** Users announced on the bus (with repeats). */
  announced: number;
}

/** busy(): more than this many events per second over the last two windows of BUSY_WINDOW_MS. */
const BUSY_EVENTS_PER_S = 500;
const BUSY_WINDOW_MS = 100;

export class Invalidator {
  private readonly c = {
    applied: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
    notApplied: {} as Partial<Record<EventType, number>>,
    failed: 0,
    announced: 0,
  };
  private consumer: Consumer | null = null;
  /** Events handled in the current and the previous BUSY_WINDOW_MS (busy()). */
  private readonly window = { start: 0, count: 0, before: 0 };
  /** Both users' L2 answers deleted, then the users announced: once for the events applied in one turn. */
  private readonly announce = new Coalescer<{ users: string[]; excluded: [string, string][] }>(async (items) => {
    const unique = [...new Set(items.flatMap((i) => i.users))];
    if (this.opts.answers) await this.opts.answers.delete(unique);
    if (this.opts.bus) await this.opts.bus.publish(unique, items.flatMap((i) => i.excluded));
  });
  readonly group: string;
  readonly consumerName: string;

  private constructor(
    private readonly log: EventLog,
    private readonly store: OnlineStore,
    private readonly opts: InvalidatorOptions,
  ) {
    this.group = opts.group ?? DEFAULT_INVALIDATOR_GROUP;
    this.consumerName = opts.consumer ?? `invalidator-${hostname()}`;
  }

  /** Starts consuming; resolves once the consumer runs. */
  static async start(log: EventLog, store: OnlineStore, opts: InvalidatorOptions = {}): Promise<Invalidator> {
    const inv = new Invalidator(log, store, opts);
    inv.consumer = await log.consume(inv.group, inv.consumerName, (e) => inv.handle(e), {
      maxDeliveries: opts.maxDeliveries,
      batch: opts.batch,
      onError: opts.onError,
      // Events of different users commute (their writes touch only their users' rows): a log may apply them
      // concurrently; those sharing a user stay in log order.
      orderKey: usersOf,
    });
    return inv;
  }

  /**
   * Whether events are arriving faster than BUSY_EVENTS_PER_S (over the last two BUSY_WINDOW_MS windows):
   * the refresher waits then, so a backlog of events (exclusions first) is applied at full speed and the
   * lists are recomputed once it drains.
   */
  busy(): boolean {
    const now = performance.now();
    if (now - this.window.start > 2 * BUSY_WINDOW_MS) return false;
    return this.window.count + this.window.before > (2 * BUSY_WINDOW_MS * BUSY_EVENTS_PER_S) / 1000;
  }

  private count(): void {
    const now = performance.now();
    const w = this.window;
    if (now - w.start > BUSY_WINDOW_MS) {
      w.before = now - w.start > 2 * BUSY_WINDOW_MS ? 0 : w.count;
      w.start = now;
      w.count = 0;
    }
    w.count++;
  }

  private async handle(e: Parameters<typeof applyEvent>[1]): Promise<void> {
    this.count();
    try {
      const r = await applyEvent(this.store, e, this.opts);
      if (r.kind === 'applied') {
        await this.announce.add([{ users: r.users, excluded: r.excluded ?? [] }]);
        this.c.applied++;
        this.c.announced += this.opts.bus ? r.users.length : 0;
        if (this.opts.refresher && REFRESHED_BY.has(e.type)) this.opts.refresher.enqueue(r.uids, r.users);
      } else if (r.kind === 'skipped') {
        this.c.skipped[r.reason]++;
      } else {
        this.c.notApplied[e.type] = (this.c.notApplied[e.type] ?? 0) + 1;
      }
    } catch (err) {
      this.c.failed++;
      const error = err instanceof Error ? err : new Error(String(err));
      this.opts.onError?.(new Error(`event ${e.id} (${e.type}): ${error.message}`));
      throw error;
    }
  }

  /** This process's own counts, read without asking the log (metrics read them on every scrape). */
  tally(): Omit<InvalidatorCounts, 'deadLettered' | 'lag'> {
    return {
      applied: this.c.applied,
      skipped: { ...this.c.skipped },
      notApplied: { ...this.c.notApplied },
      failed: this.c.failed,
      announced: this.c.announced,
    };
  }

  /** The counts so far, with the group's lag and dead letters read from the log. */
  async counts(): Promise<InvalidatorCounts> {
    const [lag, dead] = await Promise.all([this.log.lag(this.group), this.log.deadLetters(100_000)]);
    return { ...this.tally(), deadLettered: dead.filter((d) => d.group === this.group).length, lag };
  }

  /** Stops fetching and waits for the event in progress (its ack still goes out). */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = null;
  }
}
