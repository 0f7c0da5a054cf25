/**
 * Shutdown of a real `pymk serve` process: on SIGTERM it announces its exit for PYMK_SHUTDOWN_DELAY_MS —
 * /readyz 503 PYMK_NOT_READY so a load balancer takes it out, answers still 200 but with `connection: close`
 * so keep-alive clients reconnect elsewhere — then stops listening and exits 0. SIGINT stops at once.
 * (Draining of requests in flight at close: drain.test.ts.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, worldBundle } from '../faults/harness.js';

let root = '';
let bundle = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-shutdown-'));
  bundle = await worldBundle(root, 300);
});
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

function get(base: string, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent }, (res) => {
      let raw = '';
      res.on('data', (c: Buffer) => void (raw += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: JSON.parse(raw) as { code?: string } }));
    });
    req.on('error', reject);
    req.end();
  });
}

const exited = (proc: { exitCode: number | null; once(e: 'exit', f: (code: number | null) => void): unknown }): Promise<{ code: number | null; at: number }> =>
  new Promise((resolve) => (proc.exitCode !== null ? resolve({ code: proc.exitCode, at: performance.now() }) : proc.once('exit', (code) => resolve({ code, at: performance.now() }))));

for (const workers of [1, 2]) {
  test(`SIGTERM with --workers ${workers}: readyz 503 and answers with connection: close for the delay, then exit 0`, async () => {
    const delay = 1500;
    const server = await startServe(['--bundle', bundle, '--watch', '0', '--workers', String(workers)], { PYMK_SHUTDOWN_DELAY_MS: String(delay), PYMK_LOG_LEVEL: 'info' });
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const warm = await get(server.base, '/v1/users/u1/recommendations', agent);
      assert.equal(warm.status, 200);
      assert.notEqual(warm.connection, 'close');
      if (workers > 1) await new Promise((r) => setTimeout(r, 500)); // every process listening
      const exit = exited(server.proc);
      const t0 = performance.now();
      server.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const ready = await get(server.base, '/readyz', agent);
      assert.equal(ready.status, 503);
      assert.equal(ready.body.code, 'PYMK_NOT_READY');
      const answer = await get(server.base, '/v1/users/u2/recommendations', agent);
      assert.equal(answer.status, 200, 'still answering while announcing the exit');
      assert.equal(answer.connection, 'close');
      const { code, at } = await exit;
      assert.equal(code, 0, server.log());
      assert.ok(at - t0 >= delay, `exited ${Math.round(at - t0)} ms after SIGTERM, before the ${delay} ms announcement ended`);
      assert.match(server.log(), /shutting down in 1500 ms/);
    } finally {
      agent.destroy();
      await server.stop();
    }
  });
}

test('SIGINT stops at once, without the announcement', async () => {
  const server = await startServe(['--bundle', bundle, '--watch', '0'], { PYMK_SHUTDOWN_DELAY_MS: '30000' });
  try {
    const exit = exited(server.proc);
    const t0 = performance.now();
    server.proc.kill('SIGINT');
    const { code, at } = await exit;
    assert.equal(code, 0);
    assert.ok(at - t0 < 10_000, `${Math.round(at - t0)} ms`);
  } finally {
    await server.stop();
  }
});
