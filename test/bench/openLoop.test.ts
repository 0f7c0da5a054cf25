import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { openLoop } from '../../bench/lib/openLoop.js';

async function serve(handler: (respond: () => void) => void): Promise<{ server: Server; port: number; arrivals: number[] }> {
  const arrivals: number[] = [];
  const server = createServer((_req, res) => {
    arrivals.push(performance.now());
    handler(() => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, arrivals };
}

test('openLoop spreads requests evenly over the run instead of bursting them', async () => {
  const { server, port, arrivals } = await serve((respond) => respond());
  try {
    const r = await openLoop({ port, rate: 200, seconds: 1, path: () => '/' });
    assert.equal(r.requests, 200);
    assert.equal(r.non2xx + r.errors, 0);
    // Evenly spaced: each tenth of the run gets about a tenth of the requests (a per-second burst puts them all in the first).
    const t0 = arrivals[0];
    const perTenth = Array.from({ length: 10 }, (_, i) => arrivals.filter((t) => t - t0 >= i * 100 && t - t0 < (i + 1) * 100).length);
    for (const n of perTenth) assert.ok(n >= 10 && n <= 30, `arrivals per 100 ms: ${perTenth.join(', ')}`);
  } finally {
    server.close();
  }
});

test('openLoop counts the wait of requests queued behind a slow answer (latency from the due time)', async () => {
  // One connection, 100 ms per answer, 20 req/s for 0.5 s: 10 requests due every 50 ms, answered every 100 ms,
  // so the last one (due at 450 ms) is answered at about 1,000 ms. Timed from sending, every one would take 100 ms.
  const { server, port } = await serve((respond) => setTimeout(respond, 100));
  try {
    const r = await openLoop({ port, rate: 20, seconds: 0.5, path: () => '/', connections: 1 });
    assert.equal(r.requests, 10);
    assert.ok(r.maxMs >= 450, `max ${r.maxMs} ms`);
    assert.ok(r.p50ms >= 250, `p50 ${r.p50ms} ms`);
  } finally {
    server.close();
  }
});
