/**
 * The event log on NATS JetStream (the official `nats` client).
 * URL: `nats://[user:pass@]host:port[,host:port…]?stream=events&ackWaitMs=30000&duplicateWindowMs=120000`.
 *
 * - Stream NAME (file storage) on subject `pymk.events.NAME`; dead letters in stream `NAME_dead` on
 *   `pymk.dead.NAME`.
 * - append: one JetStream publish per event, each resolving on the stream's PubAck (the write is stored).
 *   Each carries the event id as `Nats-Msg-Id`, so JetStream drops an event whose id it saw within the
 *   duplicate window: the log itself dedupes client retries. A batch is not atomic on the log (JetStream in
 *   this client has no batch publish): validation is all-or-nothing before anything is sent, and when a
 *   publish fails mid-batch, retrying the whole batch with the same ids stores only the missing events.
 * - consume: one durable pull consumer per group (explicit ack, deliver all, no max_deliver: the adapter
 *   dead-letters itself so that an event whose last consumer died still reaches the dead letters). The
 *   consumer name is informational: every client pulling from the durable shares the group's events. An
 *   unacked event (handler failed, consumer died) is redelivered by the server after `ackWaitMs`; delivery
 *   counts are JetStream's. The messages the client already holds are handled as one batch (concurrently
 *   by `orderKey`, as on Redis Streams) and acked together, confirmed by one flush per batch (one at a
 *   time, each ack is confirmed: ackAck). A dead letter is
 *   published, then the event acked: a crash between the two can leave a duplicate dead letter, never a
 *   lost one.
 */
import { AckPolicy, DeliverPolicy, StorageType, connect, nanos, type JetStreamClient, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';
import { PymkError, isPymkError } from '../core/errors.js';
import { checkName, decodeDeadLetter, deliverBatch, encodeDeadLetter, intParam, maxDeliveriesOf, type Outcome } from './deliver.js';
import { encodeEvent, parseEvents } from './schema.js';
import { DEFAULT_BATCH, DEFAULT_MAX_DELIVERIES, type ConsumeOptions, type Consumer, type DeadLetter, type EventHandler, type EventLog } from './types.js';

function unavailable(url: string, err: unknown): PymkError {
  if (isPymkError(err)) return err;
  return new PymkError('PYMK_EVENTS_UNAVAILABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** `nats://[user:pass@]h:p[,h:p…][?query]` → servers, credentials and the query. */
function parseNatsUrl(url: string): { servers: string[]; user?: string; pass?: string; params: URLSearchParams } {
  const m = /^nats:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]*)\/?(?:\?(.*))?$/i.exec(url);
  if (!m || !m[3]) throw new PymkError('PYMK_CONFIG', `event log URL '${url}': expected nats://host:port[,host:port…][?stream=NAME]`);
  const servers = m[3].split(',').map((h) => (h.includes(':') ? h : `${h}:4222`));
  const user = m[1] ? decodeURIComponent(m[1]) : undefined;
  const pass = m[2] ? decodeURIComponent(m[2]) : undefined;
  return { servers, user, pass, params: new URLSearchParams(m[4] ?? '') };
}

const isNotFound = (e: unknown): boolean => e instanceof Error && /not found/i.test(e.message);

export class NatsEventLog implements EventLog {
  private readonly running = new Set<NatsConsumer>();

  private constructor(
    readonly url: string,
    readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    readonly js: JetStreamClient,
    readonly stream: string,
    private readonly ackWaitMs: number,
  ) {}

  static async open(url: string): Promise<NatsEventLog> {
    const { servers, user, pass, params } = parseNatsUrl(url);
    const stream = checkName(url, 'stream', params.get('stream') ?? 'events');
    const ackWaitMs = intParam(url, params, 'ackWaitMs', 30_000);
    const dupMs = intParam(url, params, 'duplicateWindowMs', 120_000);
    let nc: NatsConnection | null = null;
    try {
      nc = await connect({ servers, user, pass, timeout: 3000, maxReconnectAttempts: 3 });
      const jsm = await nc.jetstreamManager();
      const log = new NatsEventLog(url, nc, jsm, nc.jetstream(), stream, ackWaitMs);
      await log.ensureStream(stream, log.subject, dupMs);
      await log.ensureStream(log.deadStream, log.deadSubject, dupMs);
      return log;
    } catch (e) {
      await nc?.close().catch(() => {});
      throw unavailable(url, e);
    }
  }

  get subject(): string {
    return `pymk.events.${this.stream}`;
  }
  get deadStream(): string {
    return `${this.stream}_dead`;
  }
  get deadSubject(): string {
    return `pymk.dead.${this.stream}`;
  }

  private async ensureStream(name: string, subject: string, dupMs: number): Promise<void> {
    try {
      await this.jsm.streams.info(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      await this.jsm.streams.add({ name, subjects: [subject], storage: StorageType.File, duplicate_window: nanos(dupMs) });
    }
  }

  async append(events: readonly unknown[]): Promise<string[]> {
    const valid = parseEvents(events);
    try {
      // Sent together on one connection: the server stores them in this order.
      const acks = await Promise.all(valid.map((e) => this.js.publish(this.subject, enc.encode(encodeEvent(e)), { msgID: e.id })));
      return acks.map((a) => String(a.seq));
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async consume(group: string, consumer: string, handler: EventHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    checkName(this.url, 'group', group);
    const max = maxDeliveriesOf(opts.maxDeliveries, DEFAULT_MAX_DELIVERIES);
    try {
      await this.jsm.consumers.info(this.stream, group).catch(async (e) => {
        if (!isNotFound(e)) throw e;
        await this.jsm.consumers.add(this.stream, {
          durable_name: group,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(this.ackWaitMs),
          max_deliver: -1,
        });
      });
      const messages = await (await this.js.consumers.get(this.stream, group)).consume({ max_messages: opts.batch ?? DEFAULT_BATCH });
      const c: NatsConsumer = new NatsConsumer(this, messages, group, consumer, handler, max, opts, () => this.running.delete(c));
      this.running.add(c);
      return c;
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  /** Not yet delivered (num_pending) plus delivered and unacked (num_ack_pending). */
  async lag(group: string): Promise<number> {
    try {
      const ci = await this.jsm.consumers.info(this.stream, group);
      return ci.num_pending + ci.num_ack_pending;
    } catch (e) {
      if (!isNotFound(e)) throw unavailable(this.url, e);
    }
    try {
      return (await this.jsm.streams.info(this.stream)).state.messages;
    } catch (e) {
      if (isNotFound(e)) return 0;
      throw unavailable(this.url, e);
    }
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    try {
      const { state } = await this.jsm.streams.info(this.deadStream);
      const out: DeadLetter[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq && out.length < limit && state.messages > 0; seq++) {
        const m = await this.jsm.streams.getMessage(this.deadStream, { seq }).catch((e) => (isNotFound(e) ? null : Promise.reject(e)));
        if (m) out.push(decodeDeadLetter(dec.decode(m.data)));
      }
      return out;
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async close(): Promise<void> {
    for (const c of [...this.running]) c.kill();
    if (!this.nc.isClosed()) await this.nc.close().catch(() => {});
  }

  async drop(): Promise<void> {
    for (const c of [...this.running]) c.kill();
    if (!this.nc.isClosed()) {
      for (const s of [this.stream, this.deadStream]) await this.jsm.streams.delete(s).catch(() => {});
    }
    await this.close();
  }
}

type Messages = Awaited<ReturnType<Awaited<ReturnType<JetStreamClient['consumers']['get']>>['consume']>>;

class NatsConsumer implements Consumer {
  private stopped = false;
  private killed = false;
  private readonly done: Promise<void>;
  private readonly batchSize: number;

  constructor(
    private readonly log: NatsEventLog,
    private readonly messages: Messages,
    private readonly group: string,
    private readonly name: string,
    private readonly handler: EventHandler,
    private readonly max: number,
    private readonly opts: ConsumeOptions,
    onEnd: () => void,
  ) {
    this.batchSize = opts.batch ?? DEFAULT_BATCH;
    this.done = this.loop().finally(onEnd);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages.close().catch(() => {});
    await this.done;
  }

  kill(): void {
    this.killed = this.stopped = true;
    this.messages.stop();
  }

  /**
   * Takes the first message, then every message the client already holds (up to the batch size) without
   * waiting for more; handles them as one batch (deliverBatch: concurrently by orderKey) and acks them
   * together, so a busy log costs one round of acks per batch instead of one round trip per event.
   */
  private async loop(): Promise<void> {
    const it = this.messages[Symbol.asyncIterator]();
    // The pending next() may reject (a terminal consumer error) while a batch is handled: handled where awaited.
    const pull = (): Promise<IteratorResult<JsMsg>> => {
      const p = it.next();
      p.catch(() => {});
      return p;
    };
    let next = pull();
    try {
      for (let ended = false; !ended; ) {
        const first = await next;
        if (first.done || this.stopped) return; // buffered, unacked: the server redelivers them after ackWaitMs
        const batch: JsMsg[] = [first.value];
        next = pull();
        while (batch.length < this.batchSize) {
          const r = await Promise.race([next, nextTurn()]);
          if (r === TURN) break;
          if (r.done) {
            ended = true;
            break;
          }
          batch.push(r.value);
          next = pull();
        }
        await this.handle(batch);
        if (this.killed) return;
      }
    } catch (e) {
      if (!this.killed) this.opts.onError?.(unavailable(this.log.url, e));
    }
  }

  /** Without ConsumeOptions.orderKey, one message after the other, each acked as it succeeds; with it, the batch at once. */
  private async handle(batch: JsMsg[]): Promise<void> {
    const delivery = (m: JsMsg) => ({ raw: m.string(), info: { position: String(m.seq), deliveries: m.info.deliveryCount, group: this.group, consumer: this.name } });
    if (!this.opts.orderKey) {
      for (const m of batch) {
        if (this.stopped) return; // unacked: the server redelivers them after ackWaitMs
        const [out] = await deliverBatch([delivery(m)], this.max, this.handler);
        if (this.killed) return;
        await this.settle(m, out);
      }
      return;
    }
    const outs = await deliverBatch(batch.map(delivery), this.max, this.handler, this.opts.orderKey);
    if (this.killed) return;
    // One flush for the batch's acks instead of a confirmed ack (a request) per message: the server has
    // read every ack once the flush's PONG is back; an ack lost before that only means a redelivery.
    await Promise.all(outs.map((out, i) => this.settle(batch[i], out, false)));
    try {
      await this.log.nc.flush();
    } catch (e) {
      if (!this.killed) this.opts.onError?.(unavailable(this.log.url, e));
    }
  }

  /** Acks a message (after publishing its dead letter when the outcome says so); a retry is left unacked. */
  private async settle(m: JsMsg, out: Outcome, confirm = true): Promise<void> {
    if (out.kind === 'retry') return; // not acked: redelivered after ackWaitMs
    try {
      if (out.kind === 'dead') await this.log.js.publish(this.log.deadSubject, enc.encode(encodeDeadLetter(out.letter)));
      if (confirm) await m.ackAck();
      else m.ack();
    } catch (e) {
      if (!this.killed) this.opts.onError?.(unavailable(this.log.url, e));
    }
  }
}

const TURN = Symbol('turn');
/** Resolves after the messages already received have been handed out (a macrotask later). */
const nextTurn = (): Promise<typeof TURN> => new Promise((r) => setImmediate(() => r(TURN)));
