/**
 * Liveness, readiness and the Prometheus metrics, open to anyone (`config.public`): load balancers and
 * scrapers call them without credentials.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { healthRoute, metricsRoute } from '../schemas.js';
import '../context.js';

export const healthPlugin: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { ...healthRoute, summary: 'Liveness: 200 while the process is up', operationId: 'getHealth' }, config: { public: true } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { ...healthRoute, summary: 'Readiness: 200 with the bundle version once one is loaded, 503 before', operationId: 'getReadiness' }, config: { public: true } },
    async () => {
      const core = app.recommendCore();
      if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
      return { status: 'ready', version: core.store.version() };
    },
  );
  app.get('/metrics', { schema: metricsRoute, config: { public: true } }, async (_req, reply) => {
    void reply.type(app.metrics.contentType);
    return app.metrics.text();
  });
};
