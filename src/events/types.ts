/**
 * The event log: an append-only, durable sequence of validated events, read by consumer groups with
 * at-least-once delivery. One interface, implementations side by side (memory.ts, redisStreams.ts, nats.ts,
 * kafka.ts), opened by URL in index.ts. docs/events.md states the guarantees.
 */
import type { PymkEvent } from './schema.js';

/** What a handler learns about one delivery besides the event. */
export interface DeliveryInfo {
  /** The event's position in the log (stream id, sequence number or partition:offset), as a string. */
  position: string;
  /** 1 on the first delivery to the group, counting every redelivery since. */
  deliveries: number;
  group: string;
  consumer: string;
}

/**
 * Runs once per delivery. Resolving acks the event for the group; throwing leaves it unacked, to be delivered
 * again (up to `maxDeliveries`, then it goes to the dead letters with the error's message as its reason).
 * Delivery is at-least-once: the same event (same `id`) can arrive again after a crash, so handlers dedupe
 * by `event.id` or are idempotent.
 */
export type EventHandler = (event: PymkEvent, info: DeliveryInfo) => Promise<void> | void;

export interface ConsumeOptions {
  /** Deliveries of one event before it is dead-lettered (default 5). */
  maxDeliveries?: number;
  /** Events fetched per read (default 64). */
  batch?: number;
  /**
   * Told about failures of the log itself (connection lost, a command refused) while the consumer keeps
   * retrying; handler errors are not reported here (they lead to redelivery and dead letters).
   */
  onError?: (err: Error) => void;
  /**
   * The keys an event must be ordered by (e.g. the users it is about). When given, a log may handle the
   * events of a fetched batch concurrently, keeping log order among events whose keys overlap (Redis
   * Streams and NATS JetStream do; memory and Kafka handle one at a time). Without it, events are handled
   * one at a time.
   */
  orderKey?: (event: PymkEvent) => readonly string[];
}

/** A running consumer. */
export interface Consumer {
  /** Stops fetching; waits for the handler in progress, whose ack still goes out. */
  stop(): Promise<void>;
}

/** An event that was not acked after `maxDeliveries` deliveries, or that could not be decoded. */
export interface DeadLetter {
  /** The event, or null when what the log held was not a valid event (`raw` has it). */
  event: PymkEvent | null;
  raw: string;
  /** Where it was in the log. */
  position: string;
  group: string;
  consumer: string;
  reason: string;
  deliveries: number;
  /** When it was dead-lettered, epoch ms. */
  at: number;
}

export interface EventLog {
  readonly url: string;
  /**
   * Validates the whole batch first (parseEvents: one bad event rejects all, PYMK_BAD_EVENT) and resolves
   * with one log position per event, in order, only after the log acknowledged the write.
   */
  append(events: readonly unknown[]): Promise<string[]>;
  /**
   * Starts delivering to `handler` for `group` (created on first use, reading from the log's beginning).
   * Consumers of one group share its events; each group sees every event.
   */
  consume(group: string, consumer: string, handler: EventHandler, opts?: ConsumeOptions): Promise<Consumer>;
  /** Events appended and not yet acked by `group` (all of them for a group that never consumed). */
  lag(group: string): Promise<number>;
  /** The dead letters, oldest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /**
   * Stops every consumer of this handle at once, without waiting for handlers: an event whose handler has
   * not finished is not acked and is delivered again (to another consumer of the group, after the claim
   * timeout). Then disconnects.
   */
  close(): Promise<void>;
  /** Deletes the log, its groups and its dead letters (tests, maintenance), then closes. */
  drop(): Promise<void>;
}

export const DEFAULT_MAX_DELIVERIES = 5;
export const DEFAULT_BATCH = 64;
