/**
 * `pymk serve --workers 2` as a real process: /metrics answered by either process shows both, each series
 * labelled with its worker (event-loop delay per process), and the request counts add up to what was sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, worldBundle } from '../faults/harness.js';

test('--workers 2: /metrics gathers both processes, labelled worker="1" and worker="2"; counts add up', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pymk-workers-'));
  const bundle = await worldBundle(root, 300);
  const serve = await startServe(['--bundle', bundle, '--workers', '2', '--watch', '0'], { PYMK_L1_SIZE: '0' });
  try {
    const sent = 120;
    for (let i = 0; i < sent; i++) {
      const r = await fetch(`${serve.base}/v1/users/u${i % 300}/recommendations`, { headers: { connection: 'close' } }); // new connections: both processes get some
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    for (let scrape = 0; scrape < 4; scrape++) {
      const text = await (await fetch(`${serve.base}/metrics`, { headers: { connection: 'close' } })).text();
      const lag = text.split('\n').filter((l) => l.startsWith('nodejs_eventloop_lag_p99_seconds{'));
      assert.deepEqual(lag.map((l) => /worker="(\d+)"/.exec(l)?.[1]).sort(), ['1', '2'], `one event-loop delay per process:\n${lag.join('\n')}`);
      const counts = text.split('\n').filter((l) => l.startsWith('pymk_http_request_duration_seconds_count{') && l.includes('route="/v1/users/:id/recommendations"'));
      const byWorker = new Map(counts.map((l) => [/worker="(\d+)"/.exec(l)?.[1], Number(l.slice(l.lastIndexOf(' ') + 1))]));
      assert.equal([...byWorker.values()].reduce((a, b) => a + b, 0), sent, counts.join('\n'));
      assert.equal(byWorker.size, 2, `both processes served requests: ${counts.join('\n')}`);
    }
  } finally {
    await serve.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
