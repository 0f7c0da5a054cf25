/**
 * Rate limits per client: one token bucket per principal (API key id or JWT subject), else per IP, in the
 * configured limiter (store/rateLimit.ts: memory:// per process, redis:// shared by every process). Every
 * limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (IETF
 * draft-ietf-httpapi-ratelimit-headers; Reset in seconds until the bucket is full); a refusal is 429
 * PYMK_RATE_LIMITED with `Retry-After`. Public routes (health) are not limited.
 *
 * If the limiter fails (its Redis is down), the request is served — fail open — and counted in
 * `app.limitStats.failures`: the limiter being down never turns into a 5xx.
 */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import type { BucketRule, RateLimiter } from '../../store/rateLimit.js';
import '../context.js';

export interface LimitsOptions {
  /** null: rate limiting off. */
  limiter: RateLimiter | null;
  rule: BucketRule;
}

const limits: FastifyPluginAsync<LimitsOptions> = async (app, { limiter, rule }) => {
  app.decorate('limitStats', { limited: 0, failures: 0 });
  if (!limiter) return;
  let lastWarn = 0;

  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.public) return;
    const client = req.principal?.id ?? `ip:${req.ip}`;
    let d;
    try {
      d = await limiter.take(client, rule);
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
