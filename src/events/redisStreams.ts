/**
 * The event log on Redis Streams (ioredis).
 * URL: `redis-streams://[user:password@]host[:port][/db]?stream=events&prefix=pymk&claimMs=30000&blockMs=1000`.
 *
 * - Stream `<prefix>:<stream>`, one entry per event (field `e`, the event's JSON); dead letters in
 *   `<prefix>:<stream>:dead` (field `d`, the DeadLetter's JSON).
 * - append: all XADDs of a batch in one MULTI/EXEC, so the batch lands whole; it resolves when Redis replied.
 *   How durable that is depends on the server's persistence (appendonly / appendfsync): the log is as
 *   durable as the Redis it runs on.
 * - consume: a consumer group per group (XGROUP CREATE … 0 MKSTREAM: a new group reads from the start), one
 *   connection per consumer (XREADGROUP BLOCKs). Each round first claims entries of the group pending longer
 *   than `claimMs` (XAUTOCLAIM: stuck on a consumer that died, or whose handler failed), then reads new ones.
 *   Delivery counts are Redis's own (XPENDING). A dead letter and the ack of its entry go in one MULTI.
 */
import { Redis } from 'ioredis';
import { PymkError, isPymkError } from '../core/errors.js';
import { CONNECTION_DEFAULTS, checkReplies, parseRedisUrl } from '../store/redis.js';
import { checkName, decodeDeadLetter, deliverBatch, encodeDeadLetter, intParam, maxDeliveriesOf, sleep, type Delivery, type Outcome } from './deliver.js';
import { encodeEvent, parseEvents } from './schema.js';
import { DEFAULT_BATCH, DEFAULT_MAX_DELIVERIES, type ConsumeOptions, type Consumer, type DeadLetter, type EventHandler, type EventLog } from './types.js';

type Entry = [id: string, fields: string[] | null];

/** Where one log lives and its timings, shared by the log and its consumers. */
interface Target {
  url: string;
  key: string;
  deadKey: string;
  claimMs: number;
  blockMs: number;
}

function unavailable(url: string, err: unknown): PymkError {
  if (isPymkError(err)) return err;
  return new PymkError('PYMK_EVENTS_UNAVAILABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`);
}

async function connect(url: string, client: Redis): Promise<Redis> {
  client.on('error', () => {}); // failures surface on the calls
  try {
    await client.connect();
    return client;
  } catch (e) {
    client.disconnect();
    throw unavailable(url, e);
  }
}

/** The value of field `name` in a flat [field, value, …] list. */
function field(fields: string[] | null, name: string): string | null {
  if (!fields) return null;
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return null;
}

export class RedisStreamsLog implements EventLog {
  private readonly running = new Set<RedisConsumer>();

  private readonly key: string;
  private readonly deadKey: string;

  private constructor(
    private readonly t: Target,
    private readonly client: Redis,
  ) {
    this.key = t.key;
    this.deadKey = t.deadKey;
  }

  get url(): string {
    return this.t.url;
  }

  static async open(url: string): Promise<RedisStreamsLog> {
    const { options, params } = parseRedisUrl(url.replace(/^redis-streams:/i, 'redis:'));
    const stream = checkName(url, 'stream', params.get('stream') ?? 'events');
    const prefix = params.get('prefix') ?? 'pymk';
    const claimMs = intParam(url, params, 'claimMs', 30_000);
    const blockMs = intParam(url, params, 'blockMs', Math.min(1000, claimMs));
    // RESP2: the stream replies parsed below are the documented arrays (RESP3 turns XREADGROUP's into a map).
    const client = await connect(url, new Redis({ ...CONNECTION_DEFAULTS, ...options, protocol: 2 }));
    const key = `${prefix}:${stream}`;
    return new RedisStreamsLog({ url, key, deadKey: `${key}:dead`, claimMs, blockMs }, client);
  }

  async append(events: readonly unknown[]): Promise<string[]> {
    const valid = parseEvents(events);
    if (valid.length === 0) return [];
    const m = this.client.multi();
    for (const e of valid) m.xadd(this.key, '*', 'e', encodeEvent(e));
    try {
      return checkReplies(await m.exec()) as string[];
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async consume(group: string, consumer: string, handler: EventHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    checkName(this.url, 'group', group);
    const max = maxDeliveriesOf(opts.maxDeliveries, DEFAULT_MAX_DELIVERIES);
    try {
      await this.client.xgroup('CREATE', this.key, group, '0', 'MKSTREAM');
    } catch (e) {
      if (!(e instanceof Error && e.message.startsWith('BUSYGROUP'))) throw unavailable(this.url, e);
    }
    const conn = await connect(this.url, this.client.duplicate());
    const c: RedisConsumer = new RedisConsumer(this.t, conn, group, consumer, handler, max, opts, () => this.running.delete(c));
    this.running.add(c);
    return c;
  }

  /** Undelivered (XINFO GROUPS `lag`) plus delivered and unacked (`pending`). */
  async lag(group: string): Promise<number> {
    try {
      if ((await this.client.exists(this.key)) === 0) return 0;
      const groups = (await this.client.call('XINFO', 'GROUPS', this.key)) as unknown[][];
      const g = groups.map((row) => Object.fromEntries(pairs(row))).find((r) => r.name === group);
      if (!g) return await this.client.xlen(this.key);
      if (g.lag !== null && g.lag !== undefined) return Number(g.lag) + Number(g.pending);
      // Redis leaves `lag` null after deletions in the stream; count the entries past the group's cursor.
      const rest = await this.client.xrange(this.key, `(${String(g['last-delivered-id'])}`, '+');
      return rest.length + Number(g.pending);
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    try {
      const rows = await this.client.xrange(this.deadKey, '-', '+', 'COUNT', limit);
      return rows.map(([, f]) => decodeDeadLetter(field(f, 'd') ?? 'null'));
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async close(): Promise<void> {
    for (const c of [...this.running]) c.kill();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  async drop(): Promise<void> {
    for (const c of [...this.running]) c.kill();
    await this.client.del(this.key, this.deadKey).catch(() => {});
    await this.close();
  }
}

function pairs(row: unknown[]): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (let i = 0; i + 1 < row.length; i += 2) out.push([String(row[i]), row[i + 1]]);
  return out;
}

class RedisConsumer implements Consumer {
  private stopped = false;
  private killed = false;
  private cursor = '0-0';
  private readonly done: Promise<void>;
  private readonly batch: number;

  constructor(
    private readonly log: Target,
    private readonly conn: Redis,
    private readonly group: string,
    private readonly name: string,
    private readonly handler: EventHandler,
    private readonly max: number,
    private readonly opts: ConsumeOptions,
    onEnd: () => void,
  ) {
    this.batch = opts.batch ?? DEFAULT_BATCH;
    this.done = this.loop()
      .finally(onEnd)
      .finally(() => this.conn.quit().catch(() => this.conn.disconnect()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }

  kill(): void {
    this.killed = this.stopped = true;
    this.conn.disconnect();
  }

  private async loop(): Promise<void> {
    const { blockMs } = this.log;
    let recovered = false;
    while (!this.stopped) {
      try {
        if (!recovered) {
          if (!(await this.recoverOwn())) return;
          recovered = true;
        }
      } catch (e) {
        if (this.killed) return;
        this.opts.onError?.(unavailable(this.log.url, e));
        await sleep(blockMs);
        continue;
      }
      try {
        const claimed = await this.claim();
        if (!(await this.process(claimed, true)) || this.stopped) return;
        const fresh = await this.read(claimed.length > 0 ? 0 : blockMs);
        if (!(await this.process(fresh, false))) return;
      } catch (e) {
        if (this.killed) return;
        this.opts.onError?.(unavailable(this.log.url, e));
        await sleep(blockMs);
      }
    }
  }

  /**
   * On start, before anything new: the entries still pending on this consumer's own name (a process that
   * restarts under the same name after dying mid-batch) are claimed back at once (XCLAIM, min-idle 0, which
   * counts the delivery) and handled in log order, so a restart resumes exactly where the dead process
   * stopped instead of reading later events first and getting the stuck ones only after claimMs. False when
   * the log was closed meanwhile.
   */
  private async recoverOwn(): Promise<boolean> {
    const { key } = this.log;
    let from = '-';
    for (;;) {
      const rows = (await this.conn.xpending(key, this.group, from, '+', this.batch, this.name)) as [string, string, number, number][];
      if (rows.length === 0) return true;
      from = `(${rows[rows.length - 1][0]}`;
      const entries = (await this.conn.call('XCLAIM', key, this.group, this.name, 0, ...rows.map((r) => r[0]))) as (Entry | null)[];
      const live = entries.filter((e): e is Entry => e !== null && e[1] !== null);
      const gone = rows.map((r) => r[0]).filter((id) => !live.some((e) => e[0] === id));
      if (gone.length > 0) await this.conn.xack(key, this.group, ...gone); // deleted from the stream: nothing to deliver
      if (!(await this.process(live, true)) || this.stopped) return !this.killed;
    }
  }

  /** XAUTOCLAIM: entries of the group idle longer than claimMs become this consumer's (count + 1). */
  private async claim(): Promise<Entry[]> {
    const { key, claimMs } = this.log;
    const r = (await this.conn.call('XAUTOCLAIM', key, this.group, this.name, claimMs, this.cursor, 'COUNT', this.batch)) as [string, Entry[], string[]?];
    this.cursor = r[0];
    return r[1];
  }

  private async read(block: number): Promise<Entry[]> {
    const { key } = this.log;
    const args: (string | number)[] = ['GROUP', this.group, this.name, 'COUNT', this.batch];
    if (block > 0) args.push('BLOCK', block);
    const r = (await this.conn.call('XREADGROUP', ...args, 'STREAMS', key, '>')) as [string, Entry[]][] | null;
    return r?.[0]?.[1] ?? [];
  }

  /** Delivery counts of claimed entries, from the group's pending list. */
  private async counts(entries: Entry[]): Promise<number[]> {
    const { key } = this.log;
    const p = this.conn.pipeline();
    for (const [id] of entries) p.xpending(key, this.group, id, id, 1);
    const rows = checkReplies(await p.exec()) as [string, string, number, number][][];
    return rows.map((r) => Number(r[0]?.[3] ?? 1));
  }

  /**
   * Runs the handler on each entry in log order, acking each as it succeeds; with ConsumeOptions.orderKey,
   * the batch concurrently by key (deliverBatch), acked and dead-lettered in one MULTI at the end. False
   * when the log was closed meanwhile (nothing more acked).
   */
  private async process(entries: Entry[], claimed: boolean): Promise<boolean> {
    if (entries.length === 0) return true;
    const counts = claimed ? await this.counts(entries) : entries.map(() => 1);
    const delivery = (i: number): Delivery | null => {
      const [id, fields] = entries[i];
      const raw = field(fields, 'e');
      return raw === null ? null : { raw, info: { position: id, deliveries: counts[i], group: this.group, consumer: this.name } };
    };
    if (!this.opts.orderKey) {
      for (let i = 0; i < entries.length; i++) {
        if (this.stopped && !this.killed) return true; // stop(): the rest stay pending, claimable after claimMs
        const d = delivery(i);
        const out = d === null ? null : (await deliverBatch([d], this.max, this.handler))[0];
        if (this.killed) return false;
        await this.settle([entries[i][0]], [out]);
      }
      return true;
    }
    if (this.stopped && !this.killed) return true;
    const ds = entries.map((_e, i) => delivery(i));
    const live = ds.filter((d): d is Delivery => d !== null);
    const outs = await deliverBatch(live, this.max, this.handler, this.opts.orderKey);
    if (this.killed) return false;
    let j = 0;
    await this.settle(entries.map(([id]) => id), ds.map((d) => (d === null ? null : outs[j++])));
    return true;
  }

  /** Acks the entries (dead-lettering those whose outcome says so) in one MULTI; a retry stays pending. */
  private async settle(ids: string[], outs: (Outcome | null)[]): Promise<void> {
    const m = this.conn.multi();
    let n = 0;
    ids.forEach((id, i) => {
      const out = outs[i];
      if (out?.kind === 'retry') return; // stays pending: claimed again after claimMs
      if (out?.kind === 'dead') m.xadd(this.log.deadKey, '*', 'd', encodeDeadLetter(out.letter));
      m.xack(this.log.key, this.group, id); // also for an entry deleted from the stream (no fields): nothing to deliver
      n++;
    });
    if (n > 0) checkReplies(await m.exec()); // nothing queued: the MULTI was never sent
  }
}
