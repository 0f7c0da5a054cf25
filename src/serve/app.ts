/**
 * The HTTP tier: `buildApp(deps)` assembles fastify plugins and routes; `listen` is the caller's business, and
 * tests use `app.inject()`. Every error body is `{ statusCode, code, error, message }`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { rateLimitStoreUrl, type Config } from '../core/config.js';
import { PymkError, isPymkError } from '../core/errors.js';
import { FailureTracker } from '../core/failures.js';
import { openRateLimiter, type RateLimiter } from '../store/rateLimit.js';
import { ResultCache } from './cache.js';
import { Answers } from './answers.js';
import type { AnswerCache } from '../store/answerCache.js';
import type { DegradeState, ServingCore } from './degrade.js';
import { LiveExclusions } from './liveExclusions.js';
import underPressure from '@fastify/under-pressure';
import { Breaker } from './breakers.js';
import { clientErrorHandler, frameworkErrors, requestErrorBody } from './errors.js';
import { jwtVerifierFrom, type JwtVerifier } from './jwt.js';
import { KeyRing } from './keys.js';
import { Metrics } from './metrics.js';
import { adminPlugin } from './plugins/admin.js';
import { adminViewsPlugin } from './plugins/adminViews.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { authPlugin } from './plugins/auth.js';
import { eventsPlugin } from './plugins/events.js';
import { healthPlugin } from './plugins/health.js';
import { limitsPlugin } from './plugins/limits.js';
import { openapiPlugin } from './plugins/openapi.js';
import { recommendationsPlugin } from './plugins/recommendations.js';
import { REQUEST_ID_HEADER, requestIdOf } from './requestId.js';
import { MAX_ID_LENGTH } from './schemas.js';
import type { EventSink, InvalidationFeed } from './context.js';

export { toErrorBody } from './errors.js';

/** Shares of the request budget (deadlineMs): the full path's (the store breaker's timeout), the ranker's, L2's. */
export const FULL_PATH_SHARE = 0.7;
export const RANKER_SHARE = 0.35;
/** The L2 read's share: a cache lookup that takes longer than this is not worth waiting for. */
export const L2_SHARE = 0.2;

/** Where pino writes its JSON lines. */
export interface LogStream {
  write(line: string): void;
}

export interface AppDeps {
  config: Config;
  /** The current recommend dependencies; null while no bundle is loaded (readyz answers 503). */
  core: () => ServingCore | null;
  cache?: ResultCache;
  /** Request and server logs: true = pino lines on stdout; a stream = pino lines written there (tests). */
  logger?: boolean | LogStream;
  /** Concurrent full-path requests above which answers come from the static ranking (0 = never). */
  maxInflight?: number;
  /** The rate limiter (default: opened from the config, rateLimitStoreUrl, and closed with the app). */
  rateLimiter?: RateLimiter;
  /** The JWT verifier (default: from the config, jwtVerifierFrom). */
  jwt?: JwtVerifier | null;
  /** The Prometheus metrics (default: a new registry with the process metrics). */
  metrics?: Metrics;
  /** Where POST /v1/events appends (the CLI opens the configured event log); none: that route answers 503. */
  events?: EventSink | null;
  /** Announcements of changed users: each is evicted from this app's caches as it arrives (unsubscribed on close). */
  invalidations?: InvalidationFeed | null;
  /** L2: answers shared by every serving process (the CLI opens it from the config); none = L1 only. */
  answerCache?: AnswerCache | null;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: deps.logger ? { level: config.logLevel, ...(typeof deps.logger === 'object' ? { stream: deps.logger } : {}) } : false,
    requestIdHeader: false, // requestIdOf reads the header itself, and keeps only ids safe to log
    genReqId: requestIdOf,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false } },
    // The ids' schemas allow MAX_ID_LENGTH characters; the router's cap is the same (longer: 414).
    routerOptions: { maxParamLength: MAX_ID_LENGTH },
    // Requests arriving while the server drains get the stable 503 body (the hook below), not fastify's own.
    return503OnClosing: false,
    clientErrorHandler,
    frameworkErrors,
  });
  // JSON is the only body type any route takes: anything else is 415 (fastify would parse text/plain too).
  app.removeContentTypeParser('text/plain');
  app.decorate('pymkConfig', config);
  app.decorate('recommendCore', deps.core);
  app.decorate('resultCache', deps.cache ?? new ResultCache(config.l1Size, config.l1TtlSeconds));
  const metrics = deps.metrics ?? new Metrics();
  app.decorate('metrics', metrics);
  app.decorate('eventSink', deps.events ?? null);
  const l2Failures = new FailureTracker('L2 answer cache', {
    onError: (err, what) => app.log.error({ err }, what),
    onRecover: (what) => app.log.info(what),
  });
  const l2Breaker = new Breaker('l2', { timeoutMs: Math.max(5, Math.round(config.deadlineMs * L2_SHARE)), resetMs: config.breakerResetMs });
  app.addHook('onClose', async () => l2Breaker.shutdown());
  app.decorate('answers', new Answers(app.resultCache, deps.answerCache ?? null, metrics, l2Failures, Date.now, l2Breaker, () => deps.core()?.ann?.insertedAt ?? 0));
  const exclusions = new LiveExclusions();
  if (deps.invalidations) {
    const unsubscribe = await deps.invalidations.subscribe((users, excluded) => {
      exclusions.add(excluded);
      void app.answers.invalidate(users);
    });
    app.addHook('onClose', () => unsubscribe());
  }
  metrics.gauge('pymk_live_exclusions', 'Pairs excluded by events since the bundle, applied to fallback answers', () => exclusions.size);
  metrics.gauge('pymk_l1_entries', 'Users with answers in this process\'s L1 cache', () => app.resultCache.size);
  metrics.gauge('pymk_ann_search_failures', 'ANN searches that failed (those users got no ANN candidates), since the index was loaded', () => deps.core()?.ann?.failures ?? 0);
  const staticFailures = new FailureTracker('static-ranking fallback', {
    onError: (err, what) => app.log.error({ err }, what),
    onRecover: (what) => app.log.info(what),
  });
  // Load shedding: past maxEventLoopDelayMs the recommend route takes the cheap path (degrade.ts); nothing is refused.
  await app.register(underPressure, { maxEventLoopDelay: config.maxEventLoopDelayMs, pressureHandler: () => undefined });
  const breakers = {
    store: new Breaker('store', { timeoutMs: Math.round(config.deadlineMs * FULL_PATH_SHARE), resetMs: config.breakerResetMs }),
    ranker: new Breaker('ranker', { timeoutMs: Math.round(config.deadlineMs * RANKER_SHARE), resetMs: config.breakerResetMs }),
  };
  app.addHook('onClose', async () => {
    breakers.store.shutdown();
    breakers.ranker.shutdown();
  });
  for (const [name, b] of Object.entries(breakers)) metrics.gauge(`pymk_breaker_open_${name}`, `1 while the ${name} circuit breaker is open or half-open`, () => (b.state() === 'closed' ? 0 : 1));
  metrics.gauge('pymk_under_pressure', '1 while the event-loop delay is past PYMK_MAX_EVENT_LOOP_DELAY_MS (requests take the cheap path)', () => (app.isUnderPressure() ? 1 : 0));
  app.decorate('degrade', {
    inflight: 0,
    maxInflight: deps.maxInflight ?? config.maxInflight,
    underPressure: () => app.isUnderPressure(),
    breakers,
    onDegraded: (path, reason) => metrics.fallbacks.inc({ path, reason }),
    degraded: 0,
    staticFailures,
    exclusions,
  } satisfies DegradeState);

  // Every request: its id in the answer; while draining, the stable 503 (callback-style hooks: the hot path
  // pays no promise per hook).
  let draining = false;
  // Leaving (announceShutdown, before close): answers go on, each with `connection: close` so keep-alive
  // clients reconnect elsewhere, and /readyz answers 503 so the load balancer takes this server out.
  let leaving = false;
  app.decorate('leaving', () => leaving);
  app.decorate('announceShutdown', () => {
    leaving = true;
  });
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, req.id);
    if (leaving || draining) void reply.header('connection', 'close');
    if (!draining) return done();
    done(new PymkError('PYMK_NOT_READY', 'the server is shutting down'));
  });
  // The request histogram's children by route, method and status, bound once (label hashing per request is
  // a measurable share of an L1 hit).
  const timers = new Map<string, { observe(seconds: number): void }>();
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown';
    const key = `${route} ${req.method} ${reply.statusCode}`;
    let t = timers.get(key);
    if (!t) timers.set(key, (t = metrics.requests.labels({ route, method: req.method, status: String(reply.statusCode) })));
    t.observe(reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler((err, req, reply) => {
    const body = requestErrorBody(err, req);
    metrics.errors.inc({ code: body.code });
    // A 503 the server means (not ready yet, or draining: what /readyz is for) is its state, not a failure.
    if (body.code === 'PYMK_NOT_READY') req.log.info({ code: body.code }, body.message);
    else if (body.statusCode >= 500) req.log.error({ err }, 'request failed');
    void reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    metrics.errors.inc({ code: 'PYMK_NOT_FOUND' });
    void reply.status(404).send(new PymkError('PYMK_NOT_FOUND', `route ${req.method} ${req.url} not found`).toBody());
  });
  const limiter = config.rateLimitPerSecond > 0 ? (deps.rateLimiter ?? (await openLimiter(config))) : null;
  if (limiter && !deps.rateLimiter) app.addHook('onClose', () => limiter.close());
  const jwt = deps.jwt !== undefined ? deps.jwt : await jwtVerifierFrom(config);

  await app.register(openapiPlugin);
  const rereads = new FailureTracker(`re-reading the keys file ${config.keysFile ?? ''}`, {
    onError: (err, what) => app.log.error({ err }, what),
    onRecover: (what) => app.log.info(what),
  });
  await app.register(authPlugin, { keys: new KeyRing(config.keysFile, config.apiKeys, undefined, rereads), jwt });
  await app.register(limitsPlugin, { limiter, rule: { perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst } });
  await app.register(healthPlugin);
  await app.register(recommendationsPlugin);
  await app.register(adminPlugin);
  await app.register(adminViewsPlugin);
  await app.register(dashboardPlugin);
  await app.register(eventsPlugin);
  return app;
}

/** The configured rate limiter; a failure to open it says it is the limiter's store (PYMK_RATE_LIMIT_STORE). */
async function openLimiter(config: Config): Promise<RateLimiter> {
  const url = rateLimitStoreUrl(config);
  try {
    return await openRateLimiter(url);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const from = config.rateLimitStore ? 'PYMK_RATE_LIMIT_STORE' : 'PYMK_RATE_LIMIT_STORE unset: the store URL';
    throw new PymkError(isPymkError(e) && e.code === 'PYMK_CONFIG' ? 'PYMK_CONFIG' : 'PYMK_STORE_UNAVAILABLE', `the rate limiter's store (${from}) could not be opened: ${why}`);
  }
}
