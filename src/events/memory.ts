/**
 * The embedded event log: `memory://` (private to the handle) or `memory://NAME` (shared by every handle
 * opened with that name in this process, so a consumer on a second handle can take over from a closed one,
 * as with a broker). Query: `claimMs` (default 30000), how long a delivered, unacked event waits before
 * another consumer of the group may claim it.
 *
 * Nothing is durable: the log lives as long as the process. Consumer-group semantics are emulated the way
 * Redis Streams define them: a group has a cursor of delivered events and a pending list (event, consumer,
 * delivery count, delivery time); an ack removes the entry; a pending entry older than `claimMs` is claimed
 * by the next consumer of the group that fetches.
 */
import { parseEvents, encodeEvent } from './schema.js';
import { deliverOne, intParam, checkName, maxDeliveriesOf } from './deliver.js';
import { DEFAULT_BATCH, DEFAULT_MAX_DELIVERIES, type ConsumeOptions, type Consumer, type DeadLetter, type EventHandler, type EventLog } from './types.js';

interface Pending {
  consumer: string;
  deliveries: number;
  since: number;
}

interface Group {
  /** Index of the first entry never delivered to the group. */
  next: number;
  pending: Map<number, Pending>;
}

class LogData {
  readonly entries: string[] = [];
  readonly groups = new Map<string, Group>();
  readonly dead: DeadLetter[] = [];
  readonly waiters = new Set<() => void>();

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

const NAMED = new Map<string, LogData>();

interface Fetched {
  index: number;
  deliveries: number;
}

export class MemoryEventLog implements EventLog {
  private readonly data: LogData;
  private readonly name: string;
  private readonly claimMs: number;
  private readonly running = new Set<MemoryConsumer>();

  constructor(readonly url: string) {
    const u = new URL(url);
    this.name = u.hostname;
    this.claimMs = intParam(url, u.searchParams, 'claimMs', 30_000);
    if (this.name) {
      let d = NAMED.get(this.name);
      if (!d) NAMED.set(this.name, (d = new LogData()));
      this.data = d;
    } else {
      this.data = new LogData();
    }
  }

  async append(events: readonly unknown[]): Promise<string[]> {
    const valid = parseEvents(events);
    const first = this.data.entries.length;
    for (const e of valid) this.data.entries.push(encodeEvent(e));
    this.data.wake();
    return valid.map((_, i) => String(first + i + 1));
  }

  async consume(group: string, consumer: string, handler: EventHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    checkName(this.url, 'group', group);
    const max = maxDeliveriesOf(opts.maxDeliveries, DEFAULT_MAX_DELIVERIES);
    const g = this.group(group);
    const c: MemoryConsumer = new MemoryConsumer(this.data, g, group, consumer, handler, max, opts.batch ?? DEFAULT_BATCH, this.claimMs, () => this.running.delete(c));
    this.running.add(c);
    return c;
  }

  async lag(group: string): Promise<number> {
    const g = this.data.groups.get(group);
    return g ? this.data.entries.length - g.next + g.pending.size : this.data.entries.length;
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    return this.data.dead.slice(0, limit);
  }

  async close(): Promise<void> {
    for (const c of [...this.running]) c.kill();
  }

  async drop(): Promise<void> {
    await this.close();
    if (this.name && NAMED.get(this.name) === this.data) NAMED.delete(this.name);
  }

  private group(name: string): Group {
    let g = this.data.groups.get(name);
    if (!g) this.data.groups.set(name, (g = { next: 0, pending: new Map() }));
    return g;
  }
}

class MemoryConsumer implements Consumer {
  private stopped = false;
  private killed = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly data: LogData,
    private readonly g: Group,
    private readonly group: string,
    private readonly name: string,
    private readonly handler: EventHandler,
    private readonly max: number,
    private readonly batch: number,
    private readonly claimMs: number,
    onEnd: () => void,
  ) {
    this.done = this.loop().finally(onEnd);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.data.wake();
    await this.done;
  }

  /** close(): stop at once; the handler in progress is abandoned and its event stays pending. */
  kill(): void {
    this.killed = this.stopped = true;
    this.data.wake();
  }

  private async loop(): Promise<void> {
    const pollMs = Math.max(5, Math.min(250, Math.floor(this.claimMs / 2)));
    while (!this.stopped) {
      const batch = this.fetch();
      if (batch.length === 0) {
        await this.wait(pollMs);
        continue;
      }
      for (const f of batch) {
        if (this.stopped) break; // the rest stay pending for this consumer, claimable after claimMs
        const info = { position: String(f.index + 1), deliveries: f.deliveries, group: this.group, consumer: this.name };
        const out = await deliverOne(this.data.entries[f.index], info, this.max, this.handler);
        if (this.killed) return;
        if (out.kind === 'retry') continue; // left pending: delivered again once claimMs has passed
        if (out.kind === 'dead') this.data.dead.push(out.letter);
        this.g.pending.delete(f.index);
      }
    }
  }

  /** Stuck entries of the group first (pending longer than claimMs, any consumer), then new ones. */
  private fetch(): Fetched[] {
    const now = Date.now();
    const out: Fetched[] = [];
    for (const [index, p] of this.g.pending) {
      if (out.length >= this.batch) return out;
      if (now - p.since < this.claimMs) continue;
      p.consumer = this.name;
      p.deliveries++;
      p.since = now;
      out.push({ index, deliveries: p.deliveries });
    }
    while (out.length < this.batch && this.g.next < this.data.entries.length) {
      const index = this.g.next++;
      this.g.pending.set(index, { consumer: this.name, deliveries: 1, since: now });
      out.push({ index, deliveries: 1 });
    }
    return out;
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.data.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.data.waiters.add(done);
    });
  }
}
