/**
 * The bad-input matrix: every error answer has the shape { statusCode, code, error, message } with a PYMK
 * code and a 4xx status — unknown routes, bad `limit` values, bodies too large or of the wrong type, URLs
 * the router refuses, and, on a real socket, what Node's HTTP parser refuses (headers too large, garbage).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { errorCodes, type InjectOptions } from 'fastify';
import { ERRORS } from '../../src/core/errors.js';
import { toErrorBody } from '../../src/serve/errors.js';
import { errorShape, worldApp } from './fixtures.js';

const REC = '/v1/users/ann/recommendations';

test('limit accepts decimal integers only; above the maximum names the maximum', async () => {
  const a = await worldApp({ maxLimit: 50 });
  for (const q of ['0x10', '1e2', '%2B5', '+5', '%207', '7%20', '5.0', '', 'abc', '-1', '0', '00', '1_0', '１', 'Infinity', '99999999999999999999']) {
    const r = await a.inject({ url: `${REC}?limit=${q}` });
    assert.equal(r.statusCode, 400, `limit=${q}: ${r.body}`);
    assert.equal(errorShape(r.json()).code, 'PYMK_BAD_PARAM', q);
  }
  const twice = await a.inject({ url: `${REC}?limit=1&limit=2` });
  assert.equal(twice.statusCode, 400);
  assert.equal(errorShape(twice.json()).code, 'PYMK_BAD_PARAM');
  const over = await a.inject({ url: `${REC}?limit=51` });
  assert.equal(over.statusCode, 400);
  assert.equal(errorShape(over.json()).code, 'PYMK_BAD_PARAM');
  assert.match(over.json().message, /<= 50\b/);
  for (const q of ['1', '7', '050', '50']) assert.equal((await a.inject({ url: `${REC}?limit=${q}` })).statusCode, 200, q);
  assert.equal((await a.inject({ url: `${REC}?limit=3` })).json().recommendations.length, 3);
  await a.close();
});

test('routes, methods, URLs and bodies: each a 4xx with the shape and a PYMK code', async () => {
  const a = await worldApp();
  const big = { users: Array.from({ length: 1000 }, (_, i) => `user-${i}-${'x'.repeat(80)}`) };
  const cases: [string, InjectOptions, number, string][] = [
    ['unknown route', { url: '/v2/nothing' }, 404, 'PYMK_NOT_FOUND'],
    ['wrong method', { method: 'DELETE', url: REC }, 404, 'PYMK_NOT_FOUND'],
    ['unknown query parameter', { url: `${REC}?foo=1` }, 400, 'PYMK_BAD_PARAM'],
    ['URL that does not decode', { url: '/v1/users/%E0%A4%A/recommendations' }, 400, 'PYMK_BAD_INPUT'],
    ['id over the parameter limit', { url: `/v1/users/${'a'.repeat(300)}/recommendations` }, 414, 'PYMK_URI_TOO_LONG'],
    ['wrong content type', { method: 'POST', url: '/v1/admin/cache/evict', headers: { 'content-type': 'text/plain' }, payload: 'ann' }, 415, 'PYMK_UNSUPPORTED_MEDIA_TYPE'],
    ['unknown content type', { method: 'POST', url: '/v1/admin/cache/evict', headers: { 'content-type': 'application/x-whatever' }, payload: 'x' }, 415, 'PYMK_UNSUPPORTED_MEDIA_TYPE'],
    ['body too large', { method: 'POST', url: '/v1/admin/cache/evict', payload: big }, 413, 'PYMK_PAYLOAD_TOO_LARGE'],
    ['body not JSON', { method: 'POST', url: '/v1/admin/cache/evict', headers: { 'content-type': 'application/json' }, payload: '{"users": [' }, 400, 'PYMK_BAD_INPUT'],
    ['empty JSON body', { method: 'POST', url: '/v1/admin/cache/evict', headers: { 'content-type': 'application/json' }, payload: '' }, 400, 'PYMK_BAD_INPUT'],
    ['body against the schema', { method: 'POST', url: '/v1/admin/cache/evict', payload: { users: 'ann' } }, 400, 'PYMK_BAD_PARAM'],
    ['unknown body field', { method: 'POST', url: '/v1/admin/cache/evict', payload: { users: ['ann'], all: true } }, 400, 'PYMK_BAD_PARAM'],
    ['unknown user', { url: '/v1/users/nobody/recommendations' }, 404, 'PYMK_USER_NOT_FOUND'],
  ];
  for (const [what, req, status, code] of cases) {
    const r = await a.inject(req);
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    const b = errorShape(r.json());
    assert.equal(b.code, code, what);
    assert.equal(b.statusCode, status, what);
    assert.match(String(r.headers['content-type']), /application\/json/, what);
    assert.ok(b.message.length <= 301, `${what}: a message of ${b.message.length} characters`);
  }
  // The messages say what was wrong and what is accepted.
  const tooBig = (await a.inject({ method: 'POST', url: '/v1/admin/cache/evict', payload: big })).json();
  assert.match(tooBig.message, /larger than this route accepts \(\d+ bytes\)/);
  const badType = (await a.inject({ method: 'POST', url: '/v1/admin/cache/evict', headers: { 'content-type': 'text/plain' }, payload: 'ann' })).json();
  assert.equal(badType.message, "content type 'text/plain' is not accepted: send application/json");
  await a.close();
});

test('every fastify error code maps to a PYMK code; 4xx keep their status, the rest are PYMK_INTERNAL', () => {
  const codes = Object.entries(errorCodes as unknown as Record<string, new (...a: unknown[]) => Error & { statusCode?: number }>);
  assert.ok(codes.length > 50, `only ${codes.length} fastify error codes`);
  for (const [name, E] of codes) {
    const err = new E('x', 'y', 'z');
    const b = errorShape(toErrorBody(err));
    assert.ok(b.code in ERRORS, `${name} → ${b.code}`);
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) assert.equal(b.statusCode, status, name);
    else assert.equal(b.code, 'PYMK_INTERNAL', name);
  }
  const body = toErrorBody(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  assert.deepEqual(body, { statusCode: 413, code: 'PYMK_PAYLOAD_TOO_LARGE', error: 'Payload Too Large', message: 'Request body is too large' });
  assert.deepEqual(toErrorBody(new Error('secret detail')), { statusCode: 500, code: 'PYMK_INTERNAL', error: 'Internal Server Error', message: 'internal error' });
  assert.equal(toErrorBody(null).code, 'PYMK_INTERNAL');
});

/** Sends raw bytes and reads the whole answer until the server closes the socket. */
function raw(port: number, bytes: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (data += d));
    s.on('error', () => {}); // the server destroys the socket after answering
    s.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(data.slice(0, 200))}`));
      resolve({ status: Number(m[1]), headers: head, body: rest.join('\r\n\r\n') });
    });
    s.write(bytes);
  });
}

test('what the HTTP parser refuses (real socket): 431 for oversized headers, 400 for garbage, with the shape', async () => {
  const a = await worldApp();
  await a.listen({ host: '127.0.0.1', port: 0 });
  const port = (a.server.address() as { port: number }).port;
  try {
    const huge = await raw(port, `GET ${REC} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(huge.status, 431);
    assert.equal(errorShape(JSON.parse(huge.body)).code, 'PYMK_HEADERS_TOO_LARGE');
    assert.equal(JSON.parse(huge.body).statusCode, 431);
    assert.match(huge.headers, /content-type: application\/json/i);
    for (const garbage of ['NOT HTTP AT ALL\r\n\r\n', `GET ${REC} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`, `POST ${REC} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzzzzz`]) {
      const r = await raw(port, garbage);
      assert.equal(r.status, 400, garbage);
      const b = errorShape(JSON.parse(r.body));
      assert.equal(b.code, 'PYMK_BAD_INPUT');
      assert.equal(b.statusCode, 400);
    }
    // The same server still answers well-formed requests.
    const ok = await fetch(`http://127.0.0.1:${port}${REC}?limit=2`);
    assert.equal(ok.status, 200);
    const badUrl = await fetch(`http://127.0.0.1:${port}/v1/users/%E0%A4%A/recommendations`);
    assert.equal(badUrl.status, 400);
    assert.equal(errorShape(await badUrl.json()).code, 'PYMK_BAD_INPUT');
  } finally {
    await a.close();
  }
});

test('with auth on, an unknown route without a credential is 401 (routes are not disclosed); with one, 404', async () => {
  const a = await worldApp({ apiKeys: ['dev-key-abcdef'] });
  const anon = await a.inject({ url: '/v2/nothing' });
  assert.equal(anon.statusCode, 401);
  assert.equal(errorShape(anon.json()).code, 'PYMK_UNAUTHORIZED');
  const known = await a.inject({ url: '/v2/nothing', headers: { authorization: 'Bearer dev-key-abcdef' } });
  assert.equal(known.statusCode, 404);
  assert.equal(errorShape(known.json()).code, 'PYMK_NOT_FOUND');
  await a.close();
});
