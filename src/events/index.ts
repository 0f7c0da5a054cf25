/**
 * The event log component: the event schema and `openEventLog(url)`, chosen by URL scheme; the invalidator
 * (invalidator.ts, apply.ts) and its invalidation bus (bus.ts: memory://, redis:// pub/sub). Each backend
 * registers one opener; an unknown scheme fails with the list of known ones. The drivers (ioredis, nats,
 * kafkajs) are imported only when such a URL is opened, so the embedded default loads none of them.
 *
 * - `memory://[NAME][?claimMs=30000]` — in-process (the embedded default).
 * - `redis-streams://host:port[/db]?stream=events&prefix=pymk&claimMs=30000` — Redis Streams.
 * - `nats://host:port?stream=events&ackWaitMs=30000` — NATS JetStream.
 * - `kafka://broker[,broker…]?topic=events` — Kafka (kafkajs).
 */
import { PymkError, unknownName } from '../core/errors.js';
import { MemoryEventLog } from './memory.js';
import type { EventLog } from './types.js';
import { MemoryBus, type InvalidationBus } from './bus.js';

export type { EventLog, EventHandler, DeliveryInfo, ConsumeOptions, Consumer, DeadLetter } from './types.js';
export { DEFAULT_MAX_DELIVERIES, DEFAULT_BATCH } from './types.js';
export { parseEvent, parseEvents, EVENT_TYPES, EVENT_VERSION, MAX_IMPRESSION_TARGETS } from './schema.js';
export type { PymkEvent, EventType, EventOf, ProfileUpdate } from './schema.js';
export { applyEvent, APPLY, SKIP_REASONS, type ApplyContext, type ApplyResult, type SkipReason } from './apply.js';
export { MemoryBus, type InvalidationBus, type InvalidationHandler } from './bus.js';
export { Invalidator, DEFAULT_INVALIDATOR_GROUP, type InvalidatorOptions, type InvalidatorCounts } from './invalidator.js';

type Opener = (url: string) => Promise<EventLog>;

const OPENERS: Record<string, Opener> = {
  'memory:': async (url) => new MemoryEventLog(url),
  'redis-streams:': async (url) => (await import('./redisStreams.js')).RedisStreamsLog.open(url),
  'nats:': async (url) => (await import('./nats.js')).NatsEventLog.open(url),
  'kafka:': async (url) => (await import('./kafka.js')).KafkaEventLog.open(url),
};

export const EVENT_LOG_SCHEMES = Object.keys(OPENERS).map((s) => `${s}//`);

function schemeOf(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `event log URL '${url}' is not a URL (e.g. memory://, redis-streams://127.0.0.1:6379?stream=events)`);
  return m[1].toLowerCase();
}

export async function openEventLog(url = 'memory://'): Promise<EventLog> {
  const scheme = schemeOf(url);
  const open = OPENERS[scheme];
  if (!open) throw unknownName('event log scheme', scheme, Object.keys(OPENERS));
  return open(url);
}

const BUS_OPENERS: Record<string, (url: string) => Promise<InvalidationBus>> = {
  'memory:': async (url) => new MemoryBus(url),
  'redis:': async (url) => (await import('./redisBus.js')).RedisBus.open(url),
};

/** The invalidation bus by URL: `memory://[NAME]` (in the process) or `redis://host:port[/db]?channel=pymk:invalidate`. */
export async function openInvalidationBus(url = 'memory://'): Promise<InvalidationBus> {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `invalidation bus URL '${url}' is not a URL (e.g. memory://, redis://127.0.0.1:6379?channel=pymk:invalidate)`);
  const open = BUS_OPENERS[m[1].toLowerCase()];
  if (!open) throw unknownName('invalidation bus scheme', m[1].toLowerCase(), Object.keys(BUS_OPENERS));
  return open(url);
}
