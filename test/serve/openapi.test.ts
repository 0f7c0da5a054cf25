/**
 * The served OpenAPI document: security schemes, a summary, operationId and security per route, servers,
 * tags; what it declares is what the server enforces (who may call each route, every parameter bound,
 * body limits); and a clean Redocly lint.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { worldApp } from './fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'pymk-openapi-'));
after(() => rm(dir, { recursive: true, force: true }));
const REDOCLY = join(process.cwd(), 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const KEY = 'dev-key-openapi';
const OPEN = ['getHealth', 'getMetrics', 'getReadiness'];

interface Schema {
  type?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
  properties?: Record<string, Schema & { minItems?: number; maxItems?: number }>;
}
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  path: string;
  method: string;
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown> }>;
  'x-body-limit-bytes'?: number;
}

async function documentOf(a: FastifyInstance) {
  const res = await a.inject({ url: '/openapi.json', headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(res.statusCode, 200);
  return res.json();
}

async function documentFor(overrides: Record<string, unknown>) {
  const a = await worldApp(overrides);
  try {
    return await documentOf(a);
  } finally {
    await a.close();
  }
}

function operations(doc: { paths: Record<string, Record<string, Omit<Operation, 'path' | 'method'>>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, ...op })));
}

/** A URL for an operation: path parameters filled with a user of the world, required query parameters too. */
function urlOf(op: Operation, params: Record<string, string> = {}): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? 'ann'));
  const query = (op.parameters ?? []).filter((p) => p.in === 'query' && (p.required || p.name in params)).map((p) => `${p.name}=${encodeURIComponent(params[p.name] ?? 'ann')}`);
  return query.length ? `${path}?${query.join('&')}` : path;
}

test('the document declares the security schemes, servers, tags, and per operation a summary, operationId and security', async () => {
  const doc = await documentFor({ maxLimit: 37, port: 9123, apiKeys: [KEY] });
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKey', 'bearer']);
  assert.equal(doc.components.securitySchemes.bearer.type, 'http');
  assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
  assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key from `pymk keys create`' });
  assert.deepEqual(doc.security, [{ bearer: [] }, { apiKey: [] }]);
  assert.equal(doc.servers[0].url, 'http://127.0.0.1:9123');

  const ops = operations(doc);
  assert.ok(ops.length >= 11, `only ${ops.length} operations`);
  const tags = new Set((doc.tags as Array<{ name: string }>).map((t) => t.name));
  for (const op of ops) {
    const what = `${op.method} ${op.path}`;
    assert.ok(op.operationId, `${what} has no operationId`);
    assert.ok(op.summary, `${what} has no summary`);
    assert.ok(Array.isArray(op.security), `${what} declares no security`);
    for (const t of op.tags ?? []) assert.ok(tags.has(t), `${what}: tag ${t} is not in the document's tags`);
    if (op.security.length > 0) {
      assert.deepEqual(op.security, [{ bearer: [] }, { apiKey: [] }], what);
      assert.ok(op.responses['429']?.headers?.['retry-after'], `${what} declares no 429 with Retry-After`);
    }
  }
  assert.equal(new Set(ops.map((o) => o.operationId)).size, ops.length, 'operationIds are unique');
  assert.deepEqual(ops.filter((o) => o.security?.length === 0).map((o) => o.operationId).sort(), OPEN);

  const get = doc.paths['/v1/users/{id}/recommendations'].get as Operation;
  const limit = get.parameters!.find((p) => p.name === 'limit' && p.in === 'query')!;
  assert.deepEqual([limit.schema.type, limit.schema.minimum, limit.schema.maximum, limit.schema.default], ['integer', 1, 37, 10]);
  assert.ok(get.responses['4XX'] && get.responses['5XX']);
  // A different configured maximum shows in the document.
  const other = operations(await documentFor({ maxLimit: 200 })).find((o) => o.operationId === 'getRecommendations')!;
  assert.equal(other.parameters!.find((p) => p.name === 'limit')!.schema.maximum, 200);
});

test('the declared security is the enforced one: without a credential, 401 on every secured operation and never on the open ones', async () => {
  const a = await worldApp({ apiKeys: [KEY] });
  try {
    for (const op of operations(await documentOf(a))) {
      const res = await a.inject({ method: op.method.toUpperCase() as 'GET', url: urlOf(op), ...(op.requestBody ? { payload: {} } : {}) });
      if (op.security!.length === 0) assert.notEqual(res.statusCode, 401, `${op.operationId} is declared open`);
      else assert.deepEqual([res.statusCode, res.json().code], [401, 'PYMK_UNAUTHORIZED'], `${op.operationId} is declared secured`);
    }
  } finally {
    await a.close();
  }
});

test('every declared parameter bound is the enforced one: at the bound answered, one past it 400 (path ids 414)', async () => {
  const a = await worldApp({ maxLimit: 37, defaultLimit: 1 });
  try {
    const ops = operations(await documentOf(a));
    const status = async (op: Operation, params: Record<string, string>) => (await a.inject({ method: 'GET', url: urlOf(op, params) })).statusCode;
    let checked = 0;
    for (const op of ops.filter((o) => o.method === 'get')) {
      for (const p of op.parameters ?? []) {
        const s = p.schema;
        const what = `${op.operationId} ${p.in} ${p.name}`;
        if (s.type === 'integer') {
          assert.ok(s.minimum !== undefined && s.maximum !== undefined, `${what}: an integer without both bounds`);
          for (const ok of [s.minimum, s.maximum]) assert.equal(await status(op, { [p.name]: String(ok) }), 200, `${what}=${ok}`);
          for (const bad of [s.minimum - 1, s.maximum + 1]) assert.equal(await status(op, { [p.name]: String(bad) }), 400, `${what}=${bad}`);
          checked++;
        }
        if (s.type === 'string') {
          assert.ok(s.minLength === 1 && s.maxLength !== undefined, `${what}: a string without its length bounds`);
          const atMax = await status(op, { [p.name]: 'x'.repeat(s.maxLength) });
          assert.ok(atMax === 200 || atMax === 404, `${what} of ${s.maxLength} characters: ${atMax}`);
          assert.equal(await status(op, { [p.name]: 'x'.repeat(s.maxLength + 1) }), p.in === 'path' ? 414 : 400, `${what} of ${s.maxLength + 1} characters`);
          checked++;
        }
      }
    }
    assert.ok(checked >= 5, `only ${checked} bounded parameters`);
    // The request limit = max + 1 is refused and names the maximum; the declared default is what an answer without limit gets.
    const rec = ops.find((o) => o.operationId === 'getRecommendations')!;
    const over = await a.inject({ url: urlOf(rec, { limit: '38' }) });
    assert.deepEqual([over.statusCode, over.json().code], [400, 'PYMK_BAD_PARAM']);
    assert.match(over.json().message, /<= 37/);
    assert.equal(rec.parameters!.find((p) => p.name === 'limit')!.schema.default, 1);
    assert.equal((await a.inject({ url: urlOf(rec) })).json().recommendations.length, 1);
    // An unknown query parameter is refused (the declared parameters are all there is).
    assert.equal((await a.inject({ url: urlOf(rec, { limit: '1' }) + '&lmit=2' })).statusCode, 400);
    // The evict body's list bounds.
    const evict = ops.find((o) => o.operationId === 'evictCachedAnswers')!;
    const users = evict.requestBody!.content['application/json'].schema.properties!.users;
    const post = async (n: number) => (await a.inject({ method: 'POST', url: evict.path, payload: { users: Array(n).fill('ann') } })).statusCode;
    assert.deepEqual([await post(users.minItems!), await post(users.maxItems!), await post(users.minItems! - 1), await post(users.maxItems! + 1)], [200, 200, 400, 400]);
  } finally {
    await a.close();
  }
});

test('every declared body limit is the enforced one: a body of that many bytes is read, one byte more is 413', async () => {
  const a = await worldApp({});
  try {
    const withBody = operations(await documentOf(a)).filter((o) => o.requestBody);
    assert.deepEqual(withBody.map((o) => o.operationId).sort(), ['evictCachedAnswers', 'postEvents']);
    for (const op of withBody) {
      const bytes = op['x-body-limit-bytes'];
      assert.ok(Number.isInteger(bytes), `${op.operationId} declares no body limit`);
      assert.ok(op.responses['413'].description.includes(`${bytes} bytes`), `${op.operationId}: 413 does not name the limit`);
      const body = (n: number) => JSON.stringify({ users: ['ann'] }).padEnd(n, ' ');
      const send = (n: number) => a.inject({ method: 'POST', url: op.path, headers: { 'content-type': 'application/json' }, payload: body(n) });
      assert.notEqual((await send(bytes!)).statusCode, 413, `${op.operationId}: ${bytes} bytes`);
      const over = await send(bytes! + 1);
      assert.deepEqual([over.statusCode, over.json().code], [413, 'PYMK_PAYLOAD_TOO_LARGE'], `${op.operationId}: ${bytes! + 1} bytes`);
    }
  } finally {
    await a.close();
  }
});

test('Redocly lint (recommended rules): no errors and no warnings', { skip: existsSync(REDOCLY) ? false : '@redocly/cli not installed' }, async () => {
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(await documentFor({})));
  const out = await promisify(execFile)(process.execPath, [REDOCLY, 'lint', '--format=json', file], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).catch((e: { stdout: string }) => e);
  const report = JSON.parse(out.stdout);
  assert.deepEqual(report.problems, []);
  assert.deepEqual({ errors: report.totals.errors, warnings: report.totals.warnings }, { errors: 0, warnings: 0 });
});
