/**
 * GET /v1/users/:id/recommendations (scope recommendations:read): L1, L2, then the recommend core with
 * graceful degradation (answers.ts, degrade.ts). `limit` is a decimal integer in 1..maxLimit: the raw value is
 * checked before ajv's coercion, which would otherwise read `0x10` as 16, `1e2` as 100 or ` 7` as 7.
 */
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { recommendOrDegrade } from '../degrade.js';
import { recommendationsRoute } from '../schemas.js';
import '../context.js';

const DECIMAL = /^[0-9]{1,9}$/;

export const recommendationsPlugin: FastifyPluginAsync = async (app) => {
  const config = app.pymkConfig;
  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/users/:id/recommendations',
    {
      schema: recommendationsRoute(config.maxLimit),
      config: { scope: 'recommendations:read' },
      preValidation: async (req) => {
        const raw = (req.query as Record<string, unknown>).limit;
        if (raw === undefined) return;
        if (typeof raw !== 'string' || !DECIMAL.test(raw)) {
          throw new PymkError('PYMK_BAD_PARAM', `querystring/limit must be a decimal integer between 1 and ${config.maxLimit}, got ${JSON.stringify(raw)}`);
        }
        if (Number(raw) > config.maxLimit) throw new PymkError('PYMK_BAD_PARAM', `querystring/limit must be <= ${config.maxLimit} (the maximum), got ${raw}`);
      },
    },
    async (req) => {
      const core = app.recommendCore();
      if (!core) throw new PymkError('PYMK_NOT_READY', 'no bundle loaded yet');
      const limit = req.query.limit ?? config.defaultLimit;
      const user = req.params.id;
      const version = core.store.version();
      const a = await app.answers.get(user, limit, version, () => recommendOrDegrade(core, app.resultCache, app.degrade, user, limit));
      app.metrics.answers.inc({ path: a.layer === 'computed' ? a.result.source : a.layer });
      return { ...a.result, cached: a.layer !== 'computed', cache: a.layer, computedAt: new Date(a.computedAt).toISOString() };
    },
  );
};
