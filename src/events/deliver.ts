/**
 * What every implementation does with one delivery: decode the stored text, run the handler, and decide
 * ack, retry or dead letter. The logs differ in how they fetch, ack and redeliver; this part is shared so
 * the rule (maxDeliveries, reasons) has one implementation.
 */
import { PymkError } from '../core/errors.js';
import { decodeEvent, type PymkEvent } from './schema.js';
import type { DeadLetter, DeliveryInfo, EventHandler } from './types.js';

export type Outcome = { kind: 'ack' } | { kind: 'retry'; reason: string } | { kind: 'dead'; letter: DeadLetter };

/** The error as a dead letter's reason; a PymkError's code leads (`PYMK_STORE_INVALID: …`), so reasons can be matched on. */
const message = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('PYMK_') ? `${code}: ${e.message}` : e.message;
};

function dead(raw: string, event: PymkEvent | null, info: DeliveryInfo, reason: string): Outcome {
  return { kind: 'dead', letter: { event, raw, position: info.position, group: info.group, consumer: info.consumer, reason, deliveries: info.deliveries, at: Date.now() } };
}

/**
 * Runs `handler` on one delivery. An undecodable entry is dead-lettered at once; an entry delivered more
 * than `maxDeliveries` times (its earlier consumers stopped before acking) is dead-lettered without running
 * the handler again; a handler error retries until the `maxDeliveries`-th delivery, then dead-letters.
 */
export async function deliverOne(raw: string, info: DeliveryInfo, maxDeliveries: number, handler: EventHandler): Promise<Outcome> {
  let event: PymkEvent;
  try {
    event = decodeEvent(raw);
  } catch (e) {
    return dead(raw, null, info, `undecodable: ${message(e)}`);
  }
  if (info.deliveries > maxDeliveries) {
    return dead(raw, event, info, `delivered ${info.deliveries} times without an ack (max ${maxDeliveries})`);
  }
  try {
    await handler(event, info);
    return { kind: 'ack' };
  } catch (e) {
    const reason = message(e);
    return info.deliveries >= maxDeliveries ? dead(raw, event, info, reason) : { kind: 'retry', reason };
  }
}

/** One delivery of a fetched batch. */
export interface Delivery {
  raw: string;
  info: DeliveryInfo;
}

/**
 * Runs `handler` on a fetched batch. Without `orderKey`, one delivery after the other, in log order. With
 * it, deliveries whose keys (e.g. the users an event is about) overlap run in log order and the others
 * concurrently, so a store round trip of one event overlaps another's. The outcomes are in batch order.
 */
export async function deliverBatch(batch: readonly Delivery[], maxDeliveries: number, handler: EventHandler, orderKey?: (e: PymkEvent) => readonly string[]): Promise<Outcome[]> {
  if (!orderKey) {
    const out: Outcome[] = [];
    for (const d of batch) out.push(await deliverOne(d.raw, d.info, maxDeliveries, handler));
    return out;
  }
  const tails = new Map<string, Promise<unknown>>();
  return Promise.all(
    batch.map((d) => {
      let keys: readonly string[] = [];
      try {
        keys = orderKey(decodeEvent(d.raw));
      } catch {
        // undecodable: deliverOne dead-letters it, with no order to keep
      }
      const before = keys.map((k) => tails.get(k)).filter((p): p is Promise<unknown> => p !== undefined);
      const p = Promise.all(before).then(() => deliverOne(d.raw, d.info, maxDeliveries, handler));
      for (const k of keys) tails.set(k, p);
      return p;
    }),
  );
}

/** Dead letters travel as JSON text in the dead-letter streams. */
export function encodeDeadLetter(d: DeadLetter): string {
  return JSON.stringify(d);
}

export function decodeDeadLetter(text: string): DeadLetter {
  try {
    return JSON.parse(text) as DeadLetter;
  } catch {
    throw new PymkError('PYMK_EVENTS_UNAVAILABLE', 'dead letter: not JSON');
  }
}

/** A positive integer query parameter of an event log URL, or its default. */
export function intParam(url: string, params: URLSearchParams, name: string, fallback: number, min = 1): number {
  const s = params.get(name);
  if (s === null) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) throw new PymkError('PYMK_CONFIG', `event log URL '${url}': ${name} must be an integer >= ${min}`);
  return n;
}

/** A stream/topic/group name: letters, digits, '_' and '-' (valid as a Redis key part, NATS stream and Kafka topic). */
export function checkName(url: string, what: string, name: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) throw new PymkError('PYMK_CONFIG', `event log URL '${url}': ${what} '${name}' may hold only letters, digits, '_' and '-'`);
  return name;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Validation of consume options, shared. */
export function maxDeliveriesOf(n: number | undefined, fallback: number): number {
  const v = n ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new PymkError('PYMK_CONFIG', `maxDeliveries must be an integer >= 1, got ${v}`);
  return v;
}
