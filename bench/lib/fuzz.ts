/**
 * A seeded HTTP fuzzer for a running pymk server: random requests built from its own OpenAPI document
 * (every route and method it declares, their path and query parameters) mutated with what clients get
 * wrong — garbage and oversized ids, bad percent-encoding, unknown, repeated and out-of-range parameters,
 * wrong methods and routes, missing, invalid, expired, wrongly signed and under-scoped credentials, wrong
 * content types, bodies that are not JSON, do not fit the schema or exceed the limit — sent over real
 * sockets (node:http, raw paths, keep-alive). The result counts answers by status and code and keeps
 * samples of anything a client must never see: a 5xx, or an error answer without the
 * { statusCode, code: 'PYMK_…', error, message } shape.
 */
import { Agent, request } from 'node:http';
import { Rng } from '../../src/core/rng.js';

export interface FuzzCredentials {
  /** An API key with every scope. */
  key: string;
  /** An API key with recommendations:read only (403 on the rest). */
  readOnlyKey: string;
  /** A valid JWT with every scope, one past its expiry, and one signed with another secret. */
  jwt: string;
  expiredJwt: string;
  forgedJwt: string;
}

export interface FuzzTarget {
  base: string;
  /** External ids that exist in the served bundle. */
  users: string[];
  credentials: FuzzCredentials;
}

interface Operation {
  method: string;
  path: string;
  query: string[];
  hasBody: boolean;
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResult {
  requests: number;
  byStatus: Record<string, number>;
  byCode: Record<string, number>;
  /** Requests answered 5xx (any is a failure), and error answers without the error shape. */
  fiveXx: number;
  badShape: number;
  /** The requests the client could not complete (socket errors): counted, with samples. */
  transportErrors: number;
  /**
   * Bodies over every route's limit whose socket the server closed while the client was still writing
   * (EPIPE/ECONNRESET): the server answers 413 from the content-length and does not read the rest, as
   * HTTP allows; not failures, counted apart.
   */
  closedOnLargeBody: number;
  samples: { request: string; status: number; body: string }[];
  operations: number;
  seconds: number;
}

/** Above the largest body limit of any route (1 MiB, docs/serving.md#errors). */
const LARGEST_BODY_LIMIT = 1 << 20;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/json; charset=latin1', '*/*', 'garbage'];

/** The operations the server's OpenAPI document declares (GET /openapi.json), with their query parameter names. */
export async function operationsOf(base: string, key: string): Promise<Operation[]> {
  const r = await fetch(`${base}/openapi.json`, { headers: { 'x-api-key': key } });
  if (r.status !== 200) throw new Error(`GET /openapi.json answered ${r.status}: ${await r.text()}`);
  const doc = (await r.json()) as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; requestBody?: unknown }>> };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method.toUpperCase())) continue;
      ops.push({ method: method.toUpperCase(), path, query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name), hasBody: op.requestBody !== undefined });
    }
  }
  return ops;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** Code points (not UTF-16 units: a lone surrogate cannot be encoded). */
const ALPHABET = Array.from('abcXYZ019-_.~!$&\'()*+,;=:@/?#[]%"<>\\^`{|} é中😀\u0000\u001f');

function randomText(rng: Rng, max: number): string {
  const alphabet = ALPHABET;
  const n = rng.int(max + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

/** A path parameter: mostly a served user, else what a broken client sends. */
function idValue(rng: Rng, t: FuzzTarget): string {
  const r = rng.next();
  if (r < 0.45) return encodeURIComponent(pick(rng, t.users));
  const bad = [
    () => encodeURIComponent(randomText(rng, 30)),
    () => 'a'.repeat(1 + rng.int(3000)),
    () => '%E0%A4%A',
    () => '%00',
    () => '..',
    () => '%2e%2e%2f',
    () => String(rng.int(2 ** 31) * (rng.chance(0.5) ? -1 : 1)),
    () => '99999999999999999999999999',
    () => encodeURIComponent('😀'.repeat(1 + rng.int(100))),
    () => '',
    () => `${pick(rng, t.users)}%20`,
    () => 'unknown-user',
  ];
  return pick(rng, bad)();
}

function queryValue(rng: Rng): string {
  return pick(rng, [
    () => String(rng.int(60)),
    () => String(-rng.int(1000)),
    () => String(rng.next() * 100),
    () => '1e9',
    () => '0x10',
    () => '99999999999999999999',
    () => '',
    () => 'true',
    () => 'NaN',
    () => encodeURIComponent(randomText(rng, 20)),
    () => '%ZZ',
  ])();
}

function jsonValue(rng: Rng, depth: number): unknown {
  const r = rng.int(depth > 2 ? 5 : 8);
  if (r === 0) return null;
  if (r === 1) return rng.chance(0.5);
  if (r === 2) return rng.chance(0.5) ? rng.int(1e6) - 5e5 : rng.next() * 1e12;
  if (r === 3 || r === 4) return randomText(rng, 20);
  if (r === 5) return Array.from({ length: rng.int(5) }, () => jsonValue(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: rng.int(5) }, () => [pick(rng, ['type', 'user', 'target', 'users', 'events', 'ts', 'profile', 'x', randomText(rng, 8)]), jsonValue(rng, depth + 1)]));
}

/** A v1 event (docs/events.md), valid about half the time: a wrong type, field or value otherwise. */
function event(rng: Rng, u: () => string): Record<string, unknown> {
  const e: Record<string, unknown> = { id: `fz-${rng.int(1e9)}`, v: 1, at: Date.now() - rng.int(1e6), type: pick(rng, ['connection.created', 'connection.removed', 'block', 'unblock', 'dismiss', 'impression']), actor: u(), target: u() };
  if (e.type === 'impression') {
    delete e.target;
    e.targets = [u(), u()];
  }
  if (rng.chance(0.5)) {
    const field = pick(rng, ['id', 'v', 'at', 'type', 'actor', 'target', 'extra']);
    if (rng.chance(0.3)) delete e[field];
    else e[field] = jsonValue(rng, 2);
  }
  return e;
}

function body(rng: Rng, t: FuzzTarget): Buffer {
  const u = () => pick(rng, t.users);
  return pick(rng, [
    () => Buffer.from(JSON.stringify(event(rng, u))),
    () => Buffer.from(JSON.stringify({ events: Array.from({ length: rng.int(4) }, () => event(rng, u)) })),
    () => Buffer.from(JSON.stringify({ users: Array.from({ length: rng.int(5) }, u) })),
    () => Buffer.from(JSON.stringify(jsonValue(rng, 0))),
    () => Buffer.from('{"users": ['),
    () => Buffer.from(randomText(rng, 200)),
    () => Buffer.alloc(0),
    () => Buffer.from(JSON.stringify({ users: Array.from({ length: 20_000 }, (_, i) => `user-${i}-${'x'.repeat(60)}`) })),
  ])();
}

function authHeaders(rng: Rng, c: FuzzCredentials): Record<string, string> {
  return pick(rng, [
    () => ({}),
    () => ({ 'x-api-key': c.key }),
    () => ({ authorization: `Bearer ${c.key}` }),
    () => ({ 'x-api-key': c.readOnlyKey }),
    () => ({ authorization: `Bearer ${c.jwt}` }),
    () => ({ authorization: `Bearer ${c.expiredJwt}` }),
    () => ({ authorization: `Bearer ${c.forgedJwt}` }),
    () => ({ authorization: `Bearer ${c.jwt.slice(0, -5)}` }),
    () => ({ authorization: pick(rng, ['Bearer', 'Basic dXNlcjpwYXNz', 'Bearer a.b.c', `Token ${c.key}`, 'Bearer  ']) }),
    () => ({ 'x-api-key': encodeURIComponent(randomText(rng, 40)) || 'x' }),
  ])();
}

/** One random request; most are close to a declared operation, so they reach the route's own checks. */
export function fuzzRequest(rng: Rng, t: FuzzTarget, ops: readonly Operation[]): FuzzRequest {
  const op = pick(rng, ops);
  const method = rng.chance(0.8) ? op.method : pick(rng, METHODS);
  let path = rng.chance(0.9) ? op.path.replace(/\{[^}]+\}/g, () => idValue(rng, t)) : `/${encodeURIComponent(randomText(rng, 30))}`;
  const params: string[] = [];
  for (let i = rng.int(4); i > 0; i--) {
    const name = op.query.length > 0 && rng.chance(0.7) ? pick(rng, op.query) : pick(rng, ['foo', 'limit', 'user', 'debug', encodeURIComponent(randomText(rng, 6))]);
    params.push(rng.chance(0.1) ? name : `${name}=${queryValue(rng)}`);
  }
  if (params.length > 0) path += `?${params.join('&')}`;
  const headers: Record<string, string> = { ...authHeaders(rng, t.credentials) };
  const withBody = method !== 'GET' && method !== 'HEAD' && (op.hasBody || rng.chance(0.3));
  const req: FuzzRequest = { method, path, headers };
  if (withBody) {
    req.body = body(rng, t);
    if (rng.chance(0.85)) headers['content-type'] = rng.chance(0.7) ? 'application/json' : pick(rng, CONTENT_TYPES);
  }
  if (rng.chance(0.05)) headers['accept'] = pick(rng, ['text/html', 'application/xml', '*/*']);
  return req;
}

function send(agent: Agent, base: URL, r: FuzzRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) };
    const req = request({ host: base.hostname, port: base.port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** True when an error answer has the documented shape (docs/serving.md#errors). */
export function hasErrorShape(status: number, text: string, method: string): boolean {
  if (method === 'HEAD') return true;
  try {
    const b = JSON.parse(text) as { statusCode?: unknown; code?: unknown; error?: unknown; message?: unknown };
    return b.statusCode === status && typeof b.code === 'string' && b.code.startsWith('PYMK_') && typeof b.error === 'string' && typeof b.message === 'string';
  } catch {
    return false;
  }
}

/** Sends `n` random requests with `concurrency` in flight and counts what came back. */
export async function runFuzz(t: FuzzTarget, opts: { n: number; concurrency: number; seed: number }): Promise<FuzzResult> {
  const ops = await operationsOf(t.base, t.credentials.key);
  const rng = new Rng(opts.seed);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const base = new URL(t.base);
  const res: FuzzResult = { requests: 0, byStatus: {}, byCode: {}, fiveXx: 0, badShape: 0, transportErrors: 0, closedOnLargeBody: 0, samples: [], operations: ops.length, seconds: 0 };
  const keep = (r: FuzzRequest, status: number, text: string): void => {
    if (res.samples.length < 20) res.samples.push({ request: `${r.method} ${r.path.slice(0, 200)} ${JSON.stringify(r.headers).slice(0, 200)} body ${r.body?.length ?? 0} B`, status, body: text.slice(0, 300) });
  };
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.n) {
      next++;
      const r = fuzzRequest(rng, t, ops);
      res.requests++;
      try {
        const a = await send(agent, base, r);
        res.byStatus[a.status] = (res.byStatus[a.status] ?? 0) + 1;
        if (a.status >= 400 && r.method !== 'HEAD') {
          const code = /"code":"(PYMK_[A-Z_]+)"/.exec(a.body)?.[1] ?? 'none';
          res.byCode[code] = (res.byCode[code] ?? 0) + 1;
          if (!hasErrorShape(a.status, a.body, r.method)) {
            res.badShape++;
            keep(r, a.status, a.body);
          }
        }
        if (a.status >= 500) {
          res.fiveXx++;
          keep(r, a.status, a.body);
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((r.body?.length ?? 0) > LARGEST_BODY_LIMIT && (code === 'EPIPE' || code === 'ECONNRESET')) {
          res.closedOnLargeBody++;
        } else {
          res.transportErrors++;
          keep(r, 0, String(e));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  agent.destroy();
  res.seconds = Math.round((performance.now() - t0) / 10) / 100;
  return res;
}
