/**
 * The event log on Kafka (kafkajs). URL: `kafka://broker:port[,broker:port…]?topic=events&partitions=1&clientId=pymk`.
 * Compiled and type-checked everywhere, exercised only where a broker runs (test/events/kafka.test.ts needs
 * KAFKA_BROKERS; none can be installed on the development machine).
 *
 * - Topic `topic` (created with `partitions`, default 1) and dead letters in `<topic>-dead`.
 * - append: one produce request, acks from all in-sync replicas, idempotent producer. Each event is keyed
 *   by its primary user (a / actor / user) into a partition chosen here, so one user's events keep their
 *   order; with one partition the whole log is ordered and a batch is one record batch (all or nothing);
 *   with more, a batch spans partitions and is not atomic across them. Positions are `partition:offset`.
 * - consume: a consumer group per group, offsets committed by hand after the handler succeeded (ack), read
 *   from the beginning for a new group. Kafka has no per-message redelivery, so two things are emulated:
 *   a failed event is appended again to its partition with a `pymk-deliveries` header one higher and its
 *   offset committed (later events are not held up; the retried event moves behind them), and after
 *   `maxDeliveries` it goes to the dead-letter topic instead. A consumer that dies before committing has its
 *   events delivered again from the last committed offset, but the count in the header does not grow for
 *   that (Redis and NATS count those deliveries too).
 * - deadLetters reads the dead-letter topic with a throw-away consumer group (slow: a group join).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer as KConsumer, type IHeaders, type Producer } from 'kafkajs';
import { PymkError, isPymkError } from '../core/errors.js';
import { checkName, decodeDeadLetter, deliverOne, encodeDeadLetter, intParam, maxDeliveriesOf } from './deliver.js';
import { encodeEvent, parseEvents, type PymkEvent } from './schema.js';
import { DEFAULT_MAX_DELIVERIES, type ConsumeOptions, type Consumer, type DeadLetter, type EventHandler, type EventLog } from './types.js';

const DELIVERIES = 'pymk-deliveries';

function unavailable(url: string, err: unknown): PymkError {
  if (isPymkError(err)) return err;
  return new PymkError('PYMK_EVENTS_UNAVAILABLE', `${url}: ${err instanceof Error ? err.message : String(err)}`);
}

function primaryUser(e: PymkEvent): string {
  return 'a' in e ? e.a : 'actor' in e ? e.actor : e.user;
}

/** FNV-1a, 32 bits: the partition of a key. */
function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  return v === undefined ? undefined : Array.isArray(v) ? String(v[0]) : String(v);
}

export class KafkaEventLog implements EventLog {
  /** Running consumers, each with its kill (close(): disconnect without waiting, commit nothing more). */
  private readonly running = new Map<KConsumer, () => void>();

  private constructor(
    readonly url: string,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly partitions: number,
  ) {}

  static async open(url: string): Promise<KafkaEventLog> {
    const m = /^kafka:\/\/([^/?]+)\/?(?:\?(.*))?$/i.exec(url);
    if (!m) throw new PymkError('PYMK_CONFIG', `event log URL '${url}': expected kafka://broker:port[,broker:port…][?topic=NAME]`);
    const params = new URLSearchParams(m[2] ?? '');
    const topic = checkName(url, 'topic', params.get('topic') ?? 'events');
    const partitions = intParam(url, params, 'partitions', 1);
    const kafka = new Kafka({ clientId: params.get('clientId') ?? 'pymk', brokers: m[1].split(','), logLevel: logLevel.NOTHING, connectionTimeout: 3000 });
    const admin = kafka.admin();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await admin.connect();
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions }, { topic: `${topic}-dead`, numPartitions: 1 }] });
      await producer.connect();
    } catch (e) {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
      throw unavailable(url, e);
    }
    return new KafkaEventLog(url, kafka, admin, producer, topic, partitions);
  }

  private get deadTopic(): string {
    return `${this.topic}-dead`;
  }

  async append(events: readonly unknown[]): Promise<string[]> {
    const valid = parseEvents(events);
    if (valid.length === 0) return [];
    const parts = valid.map((e) => partitionOf(primaryUser(e), this.partitions));
    try {
      const meta = await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: valid.map((e, i) => ({ key: primaryUser(e), value: encodeEvent(e), partition: parts[i], headers: { [DELIVERIES]: '1' } })),
      });
      // Within a partition the batch's messages take consecutive offsets from baseOffset, in send order.
      const next = new Map(meta.map((r) => [r.partition, BigInt(r.baseOffset ?? '0')]));
      return parts.map((p) => {
        const off = next.get(p) ?? 0n;
        next.set(p, off + 1n);
        return `${p}:${off}`;
      });
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async consume(group: string, consumer: string, handler: EventHandler, opts: ConsumeOptions = {}): Promise<Consumer> {
    checkName(this.url, 'group', group);
    const max = maxDeliveriesOf(opts.maxDeliveries, DEFAULT_MAX_DELIVERIES);
    const c = this.kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    let killed = false;
    const kill = (): void => {
      killed = true;
      void c.disconnect().catch(() => {});
    };
    try {
      await c.connect();
      await c.subscribe({ topic: this.topic, fromBeginning: true });
      await c.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const raw = message.value?.toString('utf8') ?? '';
          const deliveries = Number(header(message.headers, DELIVERIES) ?? 1);
          const info = { position: `${partition}:${message.offset}`, deliveries, group, consumer };
          const out = await deliverOne(raw, info, max, handler);
          if (killed) return; // not committed: delivered again from the last committed offset
          if (out.kind === 'retry') {
            const headers = { ...message.headers, [DELIVERIES]: String(deliveries + 1) };
            await this.producer.send({ topic: this.topic, acks: -1, messages: [{ key: message.key, value: message.value, partition, headers }] });
          } else if (out.kind === 'dead') {
            await this.producer.send({ topic: this.deadTopic, acks: -1, messages: [{ value: encodeDeadLetter(out.letter) }] });
          }
          await c.commitOffsets([{ topic: this.topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
        },
      });
    } catch (e) {
      await c.disconnect().catch(() => {});
      throw unavailable(this.url, e);
    }
    c.on(c.events.CRASH, (ev) => opts.onError?.(unavailable(this.url, ev.payload.error)));
    this.running.set(c, kill);
    return {
      stop: async () => {
        this.running.delete(c);
        await c.disconnect(); // waits for the handler in progress, whose commit still goes out
      },
    };
  }

  /** Sum over partitions of the high watermark minus the group's committed offset (the low one if none). */
  async lag(group: string): Promise<number> {
    try {
      const ends = await this.admin.fetchTopicOffsets(this.topic);
      const [mine] = await this.admin.fetchOffsets({ groupId: group, topics: [this.topic] });
      const committed = new Map((mine?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const p of ends) {
        const low = BigInt(p.low);
        const c = committed.get(p.partition) ?? -1n;
        lag += BigInt(p.high) - (c < low ? low : c);
      }
      return Number(lag);
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async deadLetters(limit = 1000): Promise<DeadLetter[]> {
    try {
      const ends = await this.admin.fetchTopicOffsets(this.deadTopic);
      const want = new Map(ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]));
      if (want.size === 0) return [];
      const groupId = `pymk-dead-reader-${randomUUID()}`;
      const reader = this.kafka.consumer({ groupId });
      const out: DeadLetter[] = [];
      await reader.connect();
      try {
        await reader.subscribe({ topic: this.deadTopic, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('timed out reading the dead letters')), 30_000);
          void reader.run({
            eachMessage: async ({ partition, message }) => {
              if (out.length < limit) out.push(decodeDeadLetter(message.value?.toString('utf8') ?? 'null'));
              if (BigInt(message.offset) + 1n >= (want.get(partition) ?? 0n)) want.delete(partition);
              if (want.size === 0 || out.length >= limit) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await reader.disconnect().catch(() => {});
        await this.admin.deleteGroups([groupId]).catch(() => {});
      }
      return out;
    } catch (e) {
      throw unavailable(this.url, e);
    }
  }

  async close(): Promise<void> {
    for (const kill of this.running.values()) kill();
    this.running.clear();
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  async drop(): Promise<void> {
    for (const kill of this.running.values()) kill();
    this.running.clear();
    await this.admin.deleteTopics({ topics: [this.topic, this.deadTopic] }).catch(() => {});
    await this.close();
  }
}
