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
import { Invalidator, openEventLog, openInvalidationBus, type ApplyContext, type EventLog, type InvalidationBus, type InvalidatorCounts } from '../events/index.js';
import type { Server } from '../serve/server.js';
import { bundleEmbedder } from '../embed/profile.js';
import { readManifest } from '../bundle/bundle.js';
import { PipelineFileSchema } from '../pipeline/config.js';
import { CANDIDATE_DEFAULTS } from '../pipeline/stages/candidates.js';
import { Refresher, type RefreshParams } from '../recommend/refresh.js';
import type { OnlineStore } from '../store/types.js';

export interface Freshness {
  log: EventLog;
  bus: InvalidationBus;
  /** L2, when its TTL is not 0. */
  answers: AnswerCache | null;
  /** The in-process invalidator, once startInvalidator ran with it on. */
  invalidator: Invalidator | null;
  /** Its refresher (config.refresh). */
  refresher: Refresher | null;
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
    return { log, bus, answers, invalidator: null, refresher: null };
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
  const embed = config.bundle ? newUserEmbedder(config.bundle, onError) : undefined;
  const store = server.core().store;
  let inv: Invalidator | null = null;
  f.refresher = config.refresh ? await startRefresher(store, config.bundle, { answers: f.answers, bus: f.bus }, onError, () => inv?.busy() ?? false) : null;
  inv = await Invalidator.start(f.log, store, { bus: f.bus, answers: f.answers, consumer, onError, embedProfile: embed, refresher: f.refresher });
  f.invalidator = inv;
  exposeCounts(server, inv, f.refresher, onError);
}

/**
 * The candidates stage's parameters of the bundle in `dir` (its manifest's params), for refreshes that
 * compute what that stage computed; the stage's defaults without a bundle or when its manifest has none.
 */
export async function refreshParams(dir: string | undefined): Promise<RefreshParams> {
  const m = dir ? await readManifest(dir) : null;
  const given = PipelineFileSchema.pick({ candidates: true }).safeParse({ candidates: (m?.params as { candidates?: unknown } | null)?.candidates });
  return { ...CANDIDATE_DEFAULTS, ...(given.success ? (given.data.candidates as Partial<RefreshParams> | undefined) : undefined) };
}

/**
 * The refresher of an invalidator (config.refresh): a user's recomputed list is followed by the deletion of
 * their L2 answer and an announcement on the bus, as an event's writes are. docs/events.md, "Refresher".
 */
export async function startRefresher(
  store: OnlineStore,
  bundleDir: string | undefined,
  to: { answers: AnswerCache | null; bus: InvalidationBus | null },
  onError: (e: Error) => void,
  defer?: () => boolean,
): Promise<Refresher> {
  return new Refresher(store, {
    params: await refreshParams(bundleDir),
    defer,
    onRefreshed: async (ext) => {
      await to.answers?.delete([ext]);
      await to.bus?.publish([ext]);
    },
    report: { onError: (err, what) => onError(new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`)) },
  });
}

/**
 * The profile tower of the bundle in `dir` for user.created events (its account age counted from the
 * event's time). Used by the invalidator in `pymk serve` and by `pymk invalidate --bundle`.
 */
export function newUserEmbedder(dir: string, onError: (e: Error) => void): NonNullable<ApplyContext['embedProfile']> {
  const embed = bundleEmbedder(dir, (err) => onError(new Error(`new users' profile tower of ${dir} not loaded; they are created without an embedding: ${err instanceof Error ? err.message : String(err)}`)));
  return (version, profile, atMs) => embed(version, { ...profile, joinedAt: Math.floor(atMs / 1000) });
}

/** How often the invalidator's lag and dead letters are read for /metrics (a scrape never waits on the log). */
export const COUNTS_REFRESH_MS = 1000;

/** The invalidator's counts as gauges, read from the log every COUNTS_REFRESH_MS (the last reading is scraped). */
function exposeCounts(server: Server, inv: Invalidator, refresher: Refresher | null, onError: (e: Error) => void): void {
  let last: InvalidatorCounts | null = null;
  let failing = false;
  const read = (): void =>
    void inv.counts().then(
      (c) => {
        last = c;
        failing = false;
      },
      (e: unknown) => {
        if (!failing) onError(new Error(`reading the event log's lag: ${e instanceof Error ? e.message : String(e)}`));
        failing = true;
      },
    );
  read();
  const timer = setInterval(read, COUNTS_REFRESH_MS);
  timer.unref();
  server.app.addHook('onClose', async () => clearInterval(timer));
  const m = server.app.metrics;
  const skipped = (): number => Object.values(inv.tally().skipped).reduce((x, y) => x + y, 0);
  m.gauge('pymk_event_lag', "Events appended and not yet applied by this server's invalidator group (-1 until read)", () => last?.lag ?? -1);
  m.gauge('pymk_event_dead_letters', "Dead letters of the invalidator's group", () => last?.deadLettered ?? 0);
  // This process's own counts are read at scrape time; lag and dead letters need the log (refreshed above).
  m.gauge('pymk_events_applied', 'Events this process applied to the store', () => inv.tally().applied);
  m.gauge('pymk_events_skipped', 'Events this process skipped (unknown user, same user twice)', skipped);
  m.gauge('pymk_events_failed', 'Deliveries that failed here and were left for redelivery', () => inv.tally().failed);
  if (!refresher) return;
  m.gauge('pymk_refresh_queued', "Users waiting for (or in) a refresh of their candidate list", () => refresher.counts().queued);
  m.gauge('pymk_refresh_done', 'Candidate lists this process recomputed and wrote', () => refresher.counts().refreshed);
  m.gauge('pymk_refresh_failed', 'Candidate list refreshes that failed (the user keeps their list)', () => refresher.counts().failed);
  m.gauge('pymk_refresh_last_ms', "Milliseconds from a user's queueing to their list written, of the last refresh", () => refresher.counts().lastMs);
}

/** Stops the invalidator (its event in progress is acked) and its refresher (refreshes in flight finish), and closes the log and the bus. */
export async function closeFreshness(f: Freshness): Promise<void> {
  await f.invalidator?.stop();
  await f.refresher?.stop();
  await Promise.all([f.log.close(), f.bus.close(), f.answers?.close()]);
}
