/**
 * The dashboard's static files (built by `npm run build` from dashboard/ with Vite into dist/dashboard/),
 * served at /dashboard/ by @fastify/static, open to anyone (`config.public`): the page holds no data, and
 * every call it makes to the API carries the credential the operator enters. Hashed assets are cached for a
 * year; index.html is revalidated. A server built without the dashboard answers 404 saying how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { PymkError } from '../../core/errors.js';
import '../context.js';

/** dist/dashboard, beside dist/src (this file is dist/src/serve/plugins/dashboard.js once compiled). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

const hidden = { hide: true } as const;

export const dashboardPlugin: FastifyPluginAsync<{ dir?: string }> = async (app, opts) => {
  const dir = opts.dir ?? DASHBOARD_DIR;
  const built = existsSync(`${dir}/index.html`);
  await app.register(fastifyStatic, { root: dir, serve: false, etag: true, lastModified: true });
  const notBuilt = () => new PymkError('PYMK_NOT_FOUND', `the dashboard is not built (no ${dir}index.html): run npm run build`);
  app.get('/dashboard', { schema: hidden, config: { public: true } }, async (_req, reply) => reply.redirect('/dashboard/'));
  app.get('/dashboard/', { schema: hidden, config: { public: true } }, async (_req, reply) => {
    if (!built) throw notBuilt();
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
  app.get<{ Params: { '*': string } }>('/dashboard/*', { schema: hidden, config: { public: true } }, async (req, reply) => {
    if (!built) throw notBuilt();
    const file = req.params['*'];
    return file.startsWith('assets/') ? reply.sendFile(file, { maxAge: '365d', immutable: true }) : reply.sendFile(file);
  });
};
