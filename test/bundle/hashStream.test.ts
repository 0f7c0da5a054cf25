/**
 * The full verification a server runs before a swap hashes artifacts in streamed chunks: timers (requests)
 * keep running while a large artifact is hashed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../../src/bundle/hash.js';

test('sha256File of a 96 MiB file lets the event loop run between chunks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-hash-'));
  try {
    const path = join(dir, 'big.bin');
    const chunk = randomBytes(1 << 20);
    const bytes = Buffer.concat(Array.from({ length: 96 }, () => chunk));
    await writeFile(path, bytes);
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    let running = true;
    const tick = (): void => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
      if (running) setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
    const t0 = performance.now();
    const sum = await sha256File(path);
    running = false;
    const ms = performance.now() - t0;
    assert.equal(sum, createHash('sha256').update(bytes).digest('hex'));
    assert.ok(ticks >= 5, `timers ran ${ticks} times during ${ms.toFixed(0)} ms of hashing`);
    assert.ok(maxGap < Math.max(250, ms / 4), `the longest stall was ${maxGap.toFixed(0)} ms of ${ms.toFixed(0)} ms`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
