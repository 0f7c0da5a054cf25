/**
 * Rate limits per client: one token bucket per principal (API key id or JWT subject), else per IP, in the
 * configured limiter (store/rateLimit.ts: memory:// per process, redis:// shared by every process). Every
 * limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF
 * draft-ietf-httpapi-ratelimit-headers; Reset in seconds until the bucket is full); a refusal is 429
 * PYMK_RATE_LIMITED with `Retry-After`. Public routes (health) are not limited.
 *
 * If the limiter fails (its Redis is down) or is slow, the request is served — fail open — and counted in
 * `app.limitStats.failures`: the limiter being down never turns into a 5xx. Its calls go through a circuit
 * breaker (breakers.ts) with a timeout of LIMITER_SHARE of the request budget: a slow Redis costs a request
 * at most that, and nothing while the breaker is open (requests are served unlimited until a trial call
 * succeeds).
 */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import type { BucketRule, RateLimiter } from '../../store/rateLimit.js';
import { Breaker } from '../breakers.js';
import '../context.js';

/**
 * The limiter's share of the request budget (deadlineMs): a bucket check slower than this is skipped. A third
 * (50 ms of the default 150): a bucket check is one Redis round trip, well under a millisecond when Redis is
 * well; a tighter timeout fired on a busy 2-core machine's first calls (a script's first load) and let
 * requests through unlimited for nothing.
 */
export const LIMITER_SHARE = 1 / 3;

export interface LimitsOptions {
  /** null: rate limiting off. */
  limiter: RateLimiter | null;
  rule: BucketRule;
}

const limits: FastifyPluginAsync<LimitsOptions> = async (app, { limiter, rule }) => {
  app.decorate('limitStats', { limited: 0, failures: 0 });
  if (!limiter) return;
  let lastWarn = 0;
  const config = app.pymkConfig;
  const breaker = new Breaker('limiter', { timeoutMs: Math.max(5, Math.round(config.deadlineMs * LIMITER_SHARE)), resetMs: config.breakerResetMs });
  app.addHook('onClose', async () => breaker.shutdown());
  app.metrics.gauge('pymk_breaker_open_limiter', '1 while the rate limiter\'s circuit breaker is open or half-open (requests are served unlimited)', () => (breaker.state() === 'closed' ? 0 : 1));

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.public) return;
    const client = req.principal?.id ?? `ip:${req.ip}`;
    let d;
    try {
      d = await breaker.run(() => limiter.take(client, rule));
    } catch (err) {
      app.limitStats.failures++;
      app.metrics.limiterFailures.inc();
      if (Date.now() - lastWarn > 10_000) {
        lastWarn = Date.now();
        req.log.warn({ err, failures: app.limitStats.failures }, 'rate limiter unavailable; serving without a limit');
      }
      return;
    }
    void reply.header('ratelimit-limit', d.limit);
    void reply.header('ratelimit-remaining', d.remaining);
    void reply.header('ratelimit-reset', Math.ceil(d.resetMs / 1000));
    if (!d.allowed) {
      app.limitStats.limited++;
      app.metrics.rateLimited.inc();
      const retry = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
      void reply.header('retry-after', retry);
      throw new PymkError('PYMK_RATE_LIMITED', `rate limit exceeded: ${rule.burst} requests at once, ${rule.perSecond} per second; retry in ${retry} s`);
    }
  });
};

export const limitsPlugin = fp(limits, { name: 'pymk-limits', fastify: '5.x', dependencies: ['pymk-auth'] });
