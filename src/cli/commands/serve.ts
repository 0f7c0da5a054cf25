import cluster from 'node:cluster';
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { BUNDLE_POLL_MS, createServer } from '../../serve/server.js';
import { gatherWorkerMetrics, shareWorkerMetrics } from '../../serve/clusterMetrics.js';
import { intOption, type CommandModule } from '../command.js';
import { closeFreshness, openFreshness, startInvalidator } from '../freshness.js';

interface Flags {
  bundle?: string;
  host?: string;
  port?: number;
  store?: string;
  scorer?: string;
  keysFile?: string;
  events?: string;
  invalidate?: boolean;
  watch: number;
  workers: number;
}

/** How long stopped server processes get to finish their requests and exit before the primary exits anyway. */
export const WORKERS_STOP_GRACE_MS = 2000;

export const serveCommand: CommandModule = {
  register(program: Command) {
    program
      .command('serve')
      .description('serve recommendations over HTTP from a bundle (GET /v1/users/:id/recommendations)')
      .option('--bundle <dir>', 'bundle folder to serve (env PYMK_BUNDLE)')
      .option('--host <host>', 'address to listen on (env PYMK_HOST)')
      .option('--port <port>', 'port to listen on (env PYMK_PORT)', intOption('--port'))
      .option('--store <url>', 'online store URL (env PYMK_STORE)')
      .option('--scorer <name>', "ranking: auto (the bundle's model, else the stored score), model, blend-int8, blend, mlp, mlp-int8, gbdt or a heuristic (env PYMK_SCORER)")
      .option('--keys-file <file>', 'API keys file (pymk keys create); auth is on when it is set (env PYMK_KEYS_FILE)')
      .option('--events <url>', 'event log POST /v1/events appends to: memory:// (default), redis-streams://host:6379?stream=events, nats://host:4222 (env PYMK_EVENT_LOG)')
      .option('--invalidate', 'run the invalidator in this process: apply the log\'s events to the store (env PYMK_INVALIDATE; always on for memory://)')
      .option('--watch <ms>', 'poll the bundle folder for a newer version every <ms> ms (0 = off)', intOption('--watch'), BUNDLE_POLL_MS)
      .option('--workers <n>', 'server processes sharing the port (node:cluster); each holds its own L1 cache', intOption('--workers', 1), 1)
      .addHelpText(
        'after',
        [
          '',
          'Everything else is set by environment variables (README "Configuration"; docs/serving.md), e.g.:',
          '  rate limits    PYMK_RATE_LIMIT (requests/s per client, 0 = off), PYMK_RATE_BURST, PYMK_RATE_LIMIT_STORE (redis://… to share across processes)',
          '  JWTs           PYMK_JWT_SECRET | PYMK_JWT_PUBLIC_KEY | PYMK_JWKS, with PYMK_JWT_ISSUER and PYMK_JWT_AUDIENCE',
          '  caches         PYMK_L1_SIZE, PYMK_L1_TTL, PYMK_L2_TTL, PYMK_L2_STORE',
          '  deadlines      PYMK_DEADLINE_MS (150), PYMK_MAX_EVENT_LOOP_DELAY_MS, PYMK_MAX_INFLIGHT',
          '  shutdown       PYMK_SHUTDOWN_DELAY_MS (SIGTERM: /readyz 503 for this long, then drain)',
          '  logs           PYMK_LOG_LEVEL (info logs every request; warn for load)',
        ].join('\n'),
      )
      .action(async (o: Flags) => {
        const config = loadConfig({
          bundle: o.bundle,
          host: o.host,
          port: o.port,
          store: o.store,
          scorer: o.scorer,
          keysFile: o.keysFile,
          eventLog: o.events,
          invalidate: o.invalidate,
        });
        if (o.workers > 1 && cluster.isPrimary) {
          superviseWorkers(o.workers, config.annLogWriter, config.shutdownDelayMs);
          return;
        }
        const fresh = await openFreshness(config);
        const server = await createServer(config, { logger: true, watchMs: o.watch, events: fresh.log, invalidations: fresh.bus, answerCache: fresh.answers });
        shareWorkerMetrics(server.app.metrics); // under --workers: /metrics shows every process, labelled
        await startInvalidator(config, server, fresh, (e) => server.app.log.error({ err: e }, 'invalidator'));
        const addr = await server.app.listen({ host: config.host, port: config.port });
        const live = `events ${fresh.log.url}${fresh.invalidator ? ', invalidator on' : ''}, invalidations ${fresh.bus.url}`;
        console.error(`pymk serving bundle ${config.bundle} at ${addr} (pid ${process.pid}; ${live})`);
        // SIGTERM (an orchestrator): announce the exit for shutdownDelayMs (readyz 503, answers close their
        // connections) so the load balancer moves traffic away, then stop listening and drain. SIGINT (Ctrl-C): at once.
        let stopping = false;
        const stop = async (announceMs: number): Promise<void> => {
          // Once: under --workers a Ctrl-C reaches every process from the terminal and from the primary.
          if (stopping) return;
          stopping = true;
          if (announceMs > 0) {
            server.app.announceShutdown();
            server.app.log.info(`shutting down in ${announceMs} ms: /readyz answers 503, answers close their connections`);
            await new Promise((r) => setTimeout(r, announceMs));
          }
          await server.close();
          await closeFreshness(fresh);
          process.exit(0);
        };
        process.on('SIGINT', () => void stop(0));
        process.on('SIGTERM', () => void stop(config.shutdownDelayMs));
      });
  },
};

/**
 * The primary process: forks N servers on the shared port, restarts one that dies, stops them on a signal.
 * At most one of them writes the ANN recent tier's log (PYMK_ANN_LOG_WRITER; none when the operator turned
 * it off), and the replacement of a dead process takes its role over.
 */
function superviseWorkers(n: number, logWriter: boolean, shutdownDelayMs: number): void {
  let stopping = false;
  const writes = new Map<number, boolean>();
  const fork = (writer: boolean): void => {
    const w = cluster.fork({ PYMK_ANN_LOG_WRITER: String(writer) });
    writes.set(w.id, writer);
  };
  gatherWorkerMetrics();
  for (let i = 0; i < n; i++) fork(logWriter && i === 0);
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`pymk: server process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    const writer = writes.get(worker.id) ?? false;
    writes.delete(worker.id);
    fork(writer);
  });
  // The signal is passed on as it came: SIGTERM announces the exit for shutdownDelayMs first, SIGINT does not.
  const stop = (signal: 'SIGINT' | 'SIGTERM'): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    setTimeout(() => process.exit(0), (signal === 'SIGTERM' ? shutdownDelayMs : 0) + WORKERS_STOP_GRACE_MS).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
