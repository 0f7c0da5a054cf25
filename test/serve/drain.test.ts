/**
 * Graceful shutdown: close() lets the requests in flight finish with their answers, refuses what arrives
 * meanwhile with the documented 503, and resolves only after the last in-flight answer was sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { buildApp } from '../../src/serve/app.js';
import { loadConfig } from '../../src/core/config.js';
import { coreFor } from '../../src/recommend/recommend.js';
import { MemoryStore } from '../../src/store/memory.js';
import { world, errorShape } from './fixtures.js';

/** The world's memory store, with every fetchRankingInputs taking `ms` (a store round trip that takes a while). */
class SlowStore extends MemoryStore {
  constructor(private readonly ms: number) {
    super(world);
  }
  override async fetchRankingInputs(uid: number): ReturnType<MemoryStore['fetchRankingInputs']> {
    await new Promise((r) => setTimeout(r, this.ms));
    return super.fetchRankingInputs(uid);
  }
}

test('close() drains: in-flight requests answer 200, a request arriving meanwhile gets 503 PYMK_NOT_READY, close resolves after them', async () => {
  const config = loadConfig({ deadlineMs: 5000, l1Size: 0 }, {});
  const core = coreFor(new SlowStore(300), config);
  const app = await buildApp({ config, core: () => core });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = new URL(base);

  const inflight = ['ann', 'bob'].map((u) => fetch(`${base}/v1/users/${u}/recommendations`).then(async (r) => ({ status: r.status, at: Date.now(), body: (await r.json()) as { path: string } })));
  // A keep-alive connection busy with a slow request; the next request on it arrives after close() began.
  const sock = connect(Number(port), '127.0.0.1');
  let raw = '';
  sock.on('data', (c: Buffer) => void (raw += c.toString()));
  const ended = new Promise((r) => sock.once('close', r));
  sock.write('GET /v1/users/cat/recommendations HTTP/1.1\r\nhost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 100)); // all three are inside the store call
  const closing = app.close().then(() => Date.now());
  await new Promise((r) => setTimeout(r, 20));
  sock.write('GET /v1/users/dan/recommendations HTTP/1.1\r\nhost: x\r\n\r\n');

  const answers = await Promise.all(inflight);
  const closedAt = await closing;
  await ended;
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.equal(a.body.path, 'full'); // a real answer, not a fallback cut short
    assert.ok(a.at <= closedAt, 'close resolved before an in-flight answer was sent');
  }
  const [first, second] = raw.split(/(?=HTTP\/1\.1 )/);
  assert.match(first, /^HTTP\/1\.1 200 /, raw);
  assert.match(second ?? '', /^HTTP\/1\.1 503 /, raw);
  assert.match(second, /connection: close/i);
  assert.equal(errorShape(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).code, 'PYMK_NOT_READY');
});
