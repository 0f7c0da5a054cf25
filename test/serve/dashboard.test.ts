/** The dashboard's static files at /dashboard/: built by npm run build, open without a credential, hidden from OpenAPI. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { DASHBOARD_DIR, dashboardPlugin } from '../../src/serve/plugins/dashboard.js';
import { errorShape, worldApp } from './fixtures.js';

test('/dashboard/ serves the built page and its assets without a credential, even with auth on', async () => {
  assert.ok(existsSync(join(DASHBOARD_DIR, 'index.html')), `the dashboard is built by npm run build into ${DASHBOARD_DIR}`);
  const a = await worldApp({ apiKeys: ['dev-key-dashboard'] });
  const page = await a.inject({ url: '/dashboard/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /text\/html/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(page.body, /<title>pymk dashboard<\/title>/);
  assert.doesNotMatch(page.body, /https?:\/\//, 'no CDN: the page loads nothing from another origin');
  const script = /src="(\/dashboard\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
  assert.ok(script, 'the page loads its bundled script');
  const js = await a.inject({ url: script });
  assert.equal(js.statusCode, 200);
  assert.match(String(js.headers['content-type']), /javascript/);
  assert.match(String(js.headers['cache-control']), /immutable/);
  assert.equal(readdirSync(join(DASHBOARD_DIR, 'assets')).some((f) => f.endsWith('.css')), true);
  const redirect = await a.inject({ url: '/dashboard' });
  assert.equal(redirect.statusCode, 302);
  assert.equal(redirect.headers.location, '/dashboard/');
  const missing = await a.inject({ url: '/dashboard/nope.js' });
  assert.equal(missing.statusCode, 404);
  assert.equal(errorShape(missing.json()).code, 'PYMK_NOT_FOUND');
  // The API behind it still needs the credential.
  assert.equal((await a.inject({ url: '/v1/admin/status' })).statusCode, 401);
  const doc = (await a.inject({ url: '/openapi.json', headers: { 'x-api-key': 'dev-key-dashboard' } })).json();
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/dashboard')), 'the static routes are not in the OpenAPI document');
  assert.ok(doc.paths['/v1/admin/status'], 'the admin views are');
  await a.close();
});

test('a server without a built dashboard answers 404 saying how to build it', async () => {
  const app = Fastify();
  await app.register(dashboardPlugin, { dir: '/nonexistent/pymk-dashboard/' });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => void reply.status(err.statusCode ?? 500).send({ message: err.message }));
  const r = await app.inject({ url: '/dashboard/' });
  assert.equal(r.statusCode, 404);
  assert.match(r.json().message, /npm run build/);
  await app.close();
});
