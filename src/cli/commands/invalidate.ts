/**
 * `pymk invalidate --events URL --store URL [--group NAME] [--bus URL]`: runs the invalidator (src/events)
 * until SIGINT/SIGTERM: applies every event of the group to the online store and announces the changed
 * users on the invalidation bus. On a signal it stops fetching, lets the event in progress finish (and be
 * acked), prints the counts as JSON on stdout and exits.
 */
import type { Command } from 'commander';
import { answerCacheUrl, invalidationBusUrl, loadConfig } from '../../core/config.js';
import { openAnswerCache, type AnswerCache } from '../../store/answerCache.js';
import { PymkError } from '../../core/errors.js';
import { DEFAULT_INVALIDATOR_GROUP, Invalidator, openEventLog, openInvalidationBus, type InvalidationBus } from '../../events/index.js';
import { openStore } from '../../store/index.js';
import { intOption, type CommandModule } from '../command.js';
import { newUserEmbedder, startRefresher } from '../freshness.js';
import type { Refresher } from '../../recommend/refresh.js';

interface Flags {
  events: string;
  store?: string;
  group: string;
  consumer?: string;
  bus?: string;
  maxDeliveries: number;
  batch: number;
  statsEvery: number;
  l2: boolean;
  refresh: boolean;
  bundle?: string;
}

export const invalidateCommand: CommandModule = {
  register(program: Command) {
    program
      .command('invalidate')
      .description('apply live events to the online store and announce the changed users to the servers; runs until Ctrl-C / SIGTERM')
      .requiredOption('--events <url>', 'event log: redis-streams://host:6379?stream=events, nats://host:4222, kafka://broker:9092')
      .option('--store <url>', 'online store written: redis://host:6379?prefix=pymk or redis-cluster://… (env PYMK_STORE)')
      .option('--group <name>', 'consumer group; a new group starts at the beginning of the log', DEFAULT_INVALIDATOR_GROUP)
      .option('--consumer <name>', 'consumer name, stable across restarts (default invalidator-<hostname>); give each process on one host its own')
      .option('--bundle <dir>', "the published bundle's folder: its profile tower embeds users created by user.created events (without it they get no embedding and are served by profile cold start)")
      .option('--bus <url>', "where changed users are announced, so every server drops them from its L1: redis://host:6379?channel=NAME (default: PYMK_INVALIDATION_BUS, else the store's Redis on channel <prefix>:invalidate, where pymk serve listens by default)")
      .option('--max-deliveries <n>', 'deliveries of a failing event before it goes to the dead letters', intOption('--max-deliveries', 1), 5)
      .option('--batch <n>', 'events fetched per read', intOption('--batch', 1), 64)
      .option('--no-refresh', "do not recompute the users' candidate lists after connection.created/removed and unblock (default: recomputed on the live graph with the --bundle's candidate parameters, so new friends-of-friends are offered within seconds)")
      .option('--no-l2', 'do not delete the users\' L2 answers (default: deleted in PYMK_L2_STORE, else the store\'s Redis)')
      .option('--stats-every <ms>', 'print the counts to stderr every <ms> ms (0 = only at exit)', intOption('--stats-every', 0), 0)
      .addHelpText(
        'after',
        `
Each event is acked only after its store write and its announcement succeeded; a failing event is retried and,
after --max-deliveries, dead-lettered with the error as reason (see pymk events tail). Events naming users that
are not in the published bundle are skipped and counted. user.created makes the user in the store (with the
--bundle's profile-tower embedding), user.updated changes their profile (and re-embeds a user created
online); impression is acked and counted as not applied yet
(docs/events.md, "Invalidator"). After a connection made or removed, or an unblock, both users' candidate
lists are recomputed off the event path (docs/events.md, "Refresher"); the counts at exit include them.

Example:
  pymk publish --bundle out/bundle --store 'redis://127.0.0.1:6379?prefix=pymk'
  pymk invalidate --events 'redis-streams://127.0.0.1:6379?stream=events' \\
    --store 'redis://127.0.0.1:6379?prefix=pymk' --bus 'redis://127.0.0.1:6379?channel=pymk:invalidate' \\
    --bundle out/bundle`,
      )
      .action(async (o: Flags) => {
        const config = loadConfig({ store: o.store });
        const storeUrl = config.store;
        if (storeUrl.startsWith('memory:')) {
          throw new PymkError('PYMK_CONFIG', 'pass --store redis://… or redis-cluster://… (or set PYMK_STORE): a memory store lives inside the server process');
        }
        const log = await openEventLog(o.events);
        let bus: InvalidationBus | null = null;
        let store: Awaited<ReturnType<typeof openStore>> | null = null;
        let answers: AnswerCache | null = null;
        let refresher: Refresher | null = null;
        let inv: Invalidator | null = null;
        const onError = (e: Error): void => console.error(`pymk invalidate: ${e.message}`);
        try {
          store = await openStore(storeUrl, { onError: (e) => console.error(`pymk invalidate: ${e instanceof Error ? e.message : String(e)}`) });
          bus = await openInvalidationBus(o.bus ?? invalidationBusUrl(config));
          if (o.l2 && config.l2TtlSeconds > 0) answers = await openAnswerCache(answerCacheUrl(config), { ttlMs: config.l2TtlSeconds * 1000 });
          if (o.refresh) refresher = await startRefresher(store, o.bundle, { answers, bus }, onError, () => inv?.busy() ?? false);
        } catch (e) {
          await Promise.all([log.close(), store?.close(), bus?.close()]);
          throw e;
        }
        inv = await Invalidator.start(log, store, {
          group: o.group,
          consumer: o.consumer,
          bus,
          answers,
          maxDeliveries: o.maxDeliveries,
          batch: o.batch,
          onError,
          embedProfile: o.bundle ? newUserEmbedder(o.bundle, onError) : undefined,
          refresher,
        });
        console.error(`pymk invalidate: group ${inv.group} (consumer ${inv.consumerName}) of ${o.events} → ${storeUrl}${answers ? ', deleting L2 answers' : ''}${bus ? `, announcing on ${bus.url}` : ''}${refresher ? ', refreshing candidate lists' : ''} (pid ${process.pid})`);
        const counts = async (): Promise<unknown> => ({ ...(await inv.counts()), ...(refresher && { refresh: refresher.counts() }) });
        const timer = o.statsEvery > 0 ? setInterval(() => void counts().then((c) => console.error(JSON.stringify(c)), () => {}), o.statsEvery) : null;
        let stopping = false;
        const stop = async (): Promise<void> => {
          if (stopping) return;
          stopping = true;
          if (timer) clearInterval(timer);
          await inv.stop();
          await refresher?.stop();
          process.stdout.write(`${JSON.stringify(await counts().catch(() => null))}\n`);
          await Promise.all([log.close(), store.close(), bus?.close(), answers?.close()]);
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      });
  },
};
