/** The served OpenAPI document: security schemes, a summary and operationId per route, servers, limit's maximum, and a clean Redocly lint. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { worldApp } from './fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'pymk-openapi-'));
after(() => rm(dir, { recursive: true, force: true }));
const REDOCLY = join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

async function documentOf(overrides: Record<string, unknown>) {
  const a = await worldApp(overrides);
  const res = await a.inject({ url: '/openapi.json', headers: { authorization: 'Bearer dev-key-openapi' } });
  await a.close();
  assert.equal(res.statusCode, 200);
  return res.json();
}

test('the document declares the security schemes, operationIds and summaries, servers, and limit maximum = maxLimit', async () => {
  const doc = await documentOf({ maxLimit: 37, port: 9123, apiKeys: ['dev-key-openapi'] });
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'bearer']);
  assert.equal(doc.components.securitySchemes.bearer.type, 'http');
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key from `pymk keys create`' });
  assert.deepEqual(doc.security, [{ bearer: [] }, { apiKey: [] }]);
  assert.equal(doc.servers[0].url, 'http://127.0.0.1:9123');

  const ops = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; summary?: string; security?: unknown[] }>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, ...op })),
  );
  assert.ok(ops.length >= 5);
  for (const op of ops) {
    assert.ok(op.operationId, `${op.method} ${op.path} has no operationId`);
    assert.ok(op.summary, `${op.method} ${op.path} has no summary`);
  }
  assert.equal(new Set(ops.map((o) => o.operationId)).size, ops.length, 'operationIds are unique');
  const byId = Object.fromEntries(ops.map((o) => [o.operationId, o]));
  assert.deepEqual(byId.getHealth.security, []);
  assert.deepEqual(byId.getReadiness.security, []);

  const get = doc.paths['/v1/users/{id}/recommendations'].get;
  const limit = get.parameters.find((p: { name: string; in: string }) => p.name === 'limit' && p.in === 'query');
  assert.equal(limit.schema.maximum, 37);
  assert.equal(limit.schema.minimum, 1);
  assert.equal(limit.schema.type, 'integer');
  assert.ok(get.responses['4XX'] ?? get.responses['4xx']);
  // A different configured maximum shows in the document.
  assert.equal((await documentOf({ maxLimit: 200 })).paths['/v1/users/{id}/recommendations'].get.parameters.find((p: { name: string }) => p.name === 'limit').schema.maximum, 200);
});

test('Redocly lint (recommended rules): no errors and no warnings', { skip: existsSync(REDOCLY) ? false : '@redocly/cli not installed' }, async () => {
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(await documentOf({})));
  const out = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', '--format=json', file], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch((e: { stdout: string }) => e);
  const report = JSON.parse(out.stdout);
  assert.deepEqual(report.problems, []);
  assert.deepEqual({ errors: report.totals.errors, warnings: report.totals.warnings }, { errors: 0, warnings: 0 });
});
