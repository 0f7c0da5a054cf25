/**
 * The live side of a serving process, wired by the CLI because serve and events are peers: the event log
 * POST /v1/events appends to, the invalidation bus every process listens on (evicting its L1), the L2
 * answer cache every process shares, and, when
 * asked, the invalidator running in the process (consume the log → store writes → announce on the bus).
 * docs/events.md, "Freshness inside pymk serve".
 */
import { hostname } from 'node:os';
import cluster from 'node:cluster';
import { answerCacheUrl, invalidationBusUrl, type Config } from '../core/config.js';
import { openAnswerCache, type AnswerCache } from '../store/answerCache.js';
import { Invalidator, openEventLog, openInvalidationBus, type EventLog, type InvalidationBus } from '../events/index.js';
import type { Server } from '../serve/server.js';

export interface Freshness {
  log: EventLog;
  bus: InvalidationBus;
  /** L2, when its TTL is not 0. */
  answers: AnswerCache | null;
  /** The in-process invalidator, once startInvalidator ran with it on. */
  invalidator: Invalidator | null;
}

/**
 * Whether this process runs the invalidator: as configured (--invalidate, PYMK_INVALIDATE), and always for
 * the embedded memory:// log, which no other process can read (without it, posted events would change nothing).
 */
export function runsInvalidator(config: Config): boolean {
  return config.invalidate || /^memory:/i.test(config.eventLog);
}

/** Opens the configured event log and invalidation bus (before the server, which takes both). */
export async function openFreshness(config: Config): Promise<Freshness> {
  const log = await openEventLog(config.eventLog);
  let bus: InvalidationBus | null = null;
  try {
    bus = await openInvalidationBus(invalidationBusUrl(config));
    const answers = config.l2TtlSeconds > 0 ? await openAnswerCache(answerCacheUrl(config), { ttlMs: config.l2TtlSeconds * 1000 }) : null;
    return { log, bus, answers, invalidator: null };
  } catch (e) {
    await Promise.all([log.close(), bus?.close()]);
    throw e;
  }
}

/** Starts the invalidator on the server's store when this process runs one; a no-op otherwise. */
export async function startInvalidator(config: Config, server: Server, f: Freshness, onError: (e: Error) => void): Promise<void> {
  if (!runsInvalidator(config)) return;
  // A stable name per host and worker slot: a restarted process takes back what it had in flight.
  const consumer = `serve-${hostname()}-${cluster.worker?.id ?? 0}`;
  f.invalidator = await Invalidator.start(f.log, server.core().store, { bus: f.bus, answers: f.answers, consumer, onError });
}

/** Stops the invalidator (its event in progress is acked) and closes the log and the bus. */
export async function closeFreshness(f: Freshness): Promise<void> {
  await f.invalidator?.stop();
  await Promise.all([f.log.close(), f.bus.close(), f.answers?.close()]);
}
