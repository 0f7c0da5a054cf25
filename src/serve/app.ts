/**
 * The HTTP tier: `buildApp(deps)` registers the swagger and rate-limit plugins, the API-key hook and the
 * routes (defined inline here); `listen` is the caller's business, and tests use `app.inject()`. Every error body is `{ statusCode, code, error, message }`.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Config } from '../core/config.js';
import { ERRORS, PymkError, isPymkError } from '../core/errors.js';
import { FailureTracker } from '../core/failures.js';
import { ResultCache } from './cache.js';
import { recommendOrDegrade, type DegradeState } from './degrade.js';
import type { RecommendDeps } from '../recommend/recommend.js';
import { healthRoute, recommendationsRoute } from './schemas.js';

export interface AppDeps {
  config: Config;
  /** The current recommend dependencies; null while no bundle is loaded (readyz answers 503). */
  core: () => RecommendDeps | null;
  cache?: ResultCache;
  logger?: boolean;
  /** Concurrent full-path requests above which answers come from the static ranking (0 = never). */
  maxInflight?: number;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const cache = deps.cache ?? new ResultCache(config.l1Size, config.l1TtlSeconds);
  const app = Fastify({ logger: deps.logger ? { level: config.logLevel } : false, ajv: { customOptions: { coerceTypes: true, removeAdditional: false } } });
  const staticFailures = new FailureTracker('static-ranking fallback', {
    onError: (err, what) => app.log.error({ err }, what),
    onRecover: (what) => app.log.info(what),
  });
  const degrade: DegradeState = { inflight: 0, maxInflight: deps.maxInflight ?? 0, degraded: 0, staticFailures };

  await app.register(swagger, {
    openapi: { info: { title: 'pymk', description: 'People You May Know', version: '0.1.0' } },
  });

  app.setErrorHandler((err, req, reply) => {
    const body = toErrorBody(err);
    if (body.statusCode >= 500) req.log.error({ err }, 'request failed');
    void reply.status(body.statusCode).send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(new PymkError('PYMK_NOT_FOUND', `route ${req.method} ${req.url} not found`).toBody());
  });

  if (config.rateLimitPerSecond > 0) {
    await app.register(rateLimit, {
      max: config.rateLimitBurst,
      timeWindow: Math.max(1, Math.round((config.rateLimitBurst / config.rateLimitPerSecond) * 1000)),
      keyGenerator: (req) => apiKey(req) ?? req.ip,
      errorResponseBuilder: (_req, ctx) =>
        new PymkError('PYMK_RATE_LIMITED', `rate limit exceeded: ${ctx.max} requests per ${ctx.after}`).toBody(),
      allowList: (req) => req.url === '/healthz' || req.url === '/readyz',
    });
  }

  if (config.apiKeys.length > 0) {
    const keys = new Set(config.apiKeys);
    app.addHook('onRequest', async (req) => {
      if (req.url === '/healthz' || req.url === '/readyz') return;
      const key = apiKey(req);
      if (!key || !keys.has(key)) throw new PymkError('PYMK_UNAUTHORIZED', 'missing or invalid API key (authorization: Bearer <key>)');
    });
  }

  app.get('/healthz', { schema: healthRoute }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: healthRoute }, async () => {
    const core = deps.core();
    if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
    return { status: 'ready', version: core.store.version() };
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/users/:id/recommendations',
    { schema: recommendationsRoute },
    async (req) => {
      const core = deps.core();
      if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
      const limit = req.query.limit ?? config.defaultLimit;
      if (limit > config.maxLimit) {
        throw new PymkError('PYMK_BAD_PARAM', `querystring/limit must be <= ${config.maxLimit}, got ${limit}`);
      }
      const user = req.params.id;
      const version = core.store.version();
      const hit = cache.get(user, limit, version);
      if (hit) return { ...hit, cached: true };
      const result = await recommendOrDegrade(core, cache, degrade, user, limit);
      // Degraded answers are not cached, nor are empty ones (cheap to recompute, and an ANN search that failed
      // must not pin "no candidates" for the cache's TTL).
      if (result.source !== 'static' && result.source !== 'stale-cache' && result.source !== 'none') cache.set(user, limit, result);
      return { ...result, cached: false };
    },
  );

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

function apiKey(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

/** Maps any thrown value to the stable error body; client mistakes never become 5xx. */
export function toErrorBody(err: unknown): { statusCode: number; code: string; error: string; message: string } {
  if (isPymkError(err)) return err.toBody();
  const e = err as { validation?: unknown; statusCode?: number; message?: string; code?: string };
  if (e.validation) return new PymkError('PYMK_BAD_PARAM', e.message ?? 'invalid request').toBody();
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code = e.statusCode === 429 ? 'PYMK_RATE_LIMITED' : 'PYMK_BAD_INPUT';
    return { statusCode: e.statusCode, code, error: ERRORS[code].title, message: e.message ?? 'bad request' };
  }
  return new PymkError('PYMK_INTERNAL', 'internal error').toBody();
}
