/** Admin routes (scope admin). POST /v1/admin/cache/evict drops users' answers from this process's L1 cache. */
import type { FastifyPluginAsync } from 'fastify';
import { ADMIN_BODY_LIMIT, evictRoute } from '../schemas.js';
import '../context.js';

export const adminPlugin: FastifyPluginAsync = async (app) => {
  app.post<{ Body: { users: string[] } }>(
    '/v1/admin/cache/evict',
    { schema: evictRoute, config: { scope: 'admin' }, bodyLimit: ADMIN_BODY_LIMIT },
    async (req) => {
      const before = app.resultCache.size;
      for (const u of req.body.users) app.resultCache.evict(u);
      return { evicted: before - app.resultCache.size };
    },
  );
};
