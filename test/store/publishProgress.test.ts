/** A progress record the publisher cannot use is logged, and the publish starts over (on the machine's Redis). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishSnapshot } from '../../src/store/publish.js';
import { redisAnswers } from '../helpers/redisCluster.js';
import { randomSnapshot } from './fixtures.js';
import { kvHarness } from './kvHarness.js';

const URL = process.env.PYMK_TEST_REDIS ?? 'redis://127.0.0.1:6379';
const up = await redisAnswers(Number(new globalThis.URL(URL).port || 6379), new globalThis.URL(URL).hostname);

test('an unusable progress record is logged, not silently ignored', { skip: up ? false : `no Redis answers at ${URL} (set PYMK_TEST_REDIS)` }, async () => {
  const h = kvHarness(URL);
  try {
    const url = h.freshUrl();
    const t = await h.target(url);
    const snap = randomSnapshot({ users: 30, seed: 3 });
    const key = t.space.publishing(snap.version);
    for (const bad of ['{"gen": 1, "ne', '{"gen": "one"}']) {
      await t.kv.set([{ key, value: bad, px: 60_000 }]);
      const lines: string[] = [];
      const r = await publishSnapshot(t.kv, t.space, snap, { chunkUsers: 16, force: true, log: (l) => lines.push(l) });
      assert.equal(r.resumedAt, 0, 'started over');
      assert.equal(lines.length, 1, bad);
      assert.match(lines[0], new RegExp(`progress record ${key} is not one this publisher wrote.*starting over`));
    }
  } finally {
    await h.cleanup();
  }
});
