/**
 * Liveness, readiness and the Prometheus metrics, open to anyone (`config.public`): load balancers and
 * scrapers call them without credentials.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { healthRoute, metricsRoute } from '../schemas.js';
import '../context.js';

/**
 * Why answers may come from a fallback now. A degraded server stays in the load balancer's rotation (200):
 * it still answers every request, from its fallbacks; /readyz is 503 only before a bundle is loaded and
 * while the server drains (docs/serving.md#readiness).
 */
export function degradedBecause(app: FastifyInstance): string[] {
  const why: string[] = [];
  const { breakers } = app.degrade;
  if (breakers.store.state() !== 'closed') why.push(`store breaker ${breakers.store.state()}`);
  if (breakers.ranker.state() !== 'closed') why.push(`ranker breaker ${breakers.ranker.state()}`);
  if (app.degrade.underPressure()) why.push('under pressure (event-loop delay past PYMK_MAX_EVENT_LOOP_DELAY_MS)');
  const core = app.recommendCore();
  const store = core?.store.health?.();
  if (store) why.push(store);
  if (core?.loaded && core.loaded !== core.store.version()) {
    why.push(`the store serves ${core.store.version()}; the model, ANN index and local fallback are those of ${core.loaded} (the bundle folder)`);
  }
  return why;
}

export const healthPlugin: FastifyPluginAsync = async (app) => {
  app.get('/healthz', { schema: { ...healthRoute, summary: 'Liveness: 200 while the process is up', operationId: 'getHealth' }, config: { public: true } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { ...healthRoute, summary: 'Readiness: 200 once a bundle is loaded (status degraded, with reasons, while answers may come from fallbacks), 503 before and while draining', operationId: 'getReadiness' }, config: { public: true } },
    async () => {
      if (app.leaving()) throw new PymkError('PYMK_NOT_READY', 'the server is shutting down: take it out of rotation (answers go on until it stops listening)');
      const core = app.recommendCore();
      if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
      const why = degradedBecause(app);
      return { status: why.length > 0 ? 'degraded' : 'ready', version: core.store.version(), degraded: why };
    },
  );
  app.get('/metrics', { schema: metricsRoute, config: { public: true } }, async (_req, reply) => {
    void reply.type(app.metrics.contentType);
    return app.metrics.text();
  });
};
