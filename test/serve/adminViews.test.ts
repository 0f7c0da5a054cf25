/** The dashboard's admin views: a user's profile, the status from the server's own metrics, the pipeline runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages } from '../../src/pipeline/stages/index.js';
import { createServer } from '../../src/serve/server.js';
import { quantile, windowBetween, type Snapshot } from '../../src/serve/history.js';
import { errorShape, worldApp } from './fixtures.js';

test('GET /v1/admin/users/:id: profile fields, flags, connection count and sample; unknown user 404; scope admin', async () => {
  const a = await worldApp();
  const r = await a.inject({ url: '/v1/admin/users/ann' });
  assert.equal(r.statusCode, 200, r.body);
  const u = r.json();
  assert.deepEqual(u.profile, { company: 'Acme', school: 'MIT', location: 'Berlin', industry: null, seniority: null });
  assert.deepEqual(u.flags, { deactivated: false, banned: false });
  assert.equal(u.connections, 2);
  assert.deepEqual(u.connectionSample.sort(), ['bob', 'cat']);
  assert.equal(u.candidateSource, 'stored');
  const none = await a.inject({ url: '/v1/admin/users/nobody' });
  assert.equal(none.statusCode, 404);
  assert.equal(errorShape(none.json()).code, 'PYMK_USER_NOT_FOUND');
  await a.close();
  const keyed = await worldApp({ apiKeys: ['dev-key-admin-views'] });
  assert.equal((await keyed.inject({ url: '/v1/admin/status' })).statusCode, 401);
  await keyed.close();
});

test('quantile: interpolated inside the bucket, null without observations', () => {
  // 10 observations: 5 in (0, 0.01], 5 in (0.01, 0.1].
  assert.equal(quantile([0.01, 0.1], [5, 10], 10, 0.5), 10);
  assert.equal(quantile([0.01, 0.1], [5, 10], 10, 0.75), 55);
  assert.equal(quantile([0.01, 0.1], [0, 0], 0, 0.5), null);
  const at = (t: number, n: number, hits: number): Snapshot => ({
    t, requests: n, byClass: { '2xx': n }, rec: { count: n, buckets: [n, n] }, bounds: [0.01, 0.1], cache: { 'l1:hit': hits, 'l1:miss': n - hits }, answers: {}, errors: {}, plain: {},
  });
  const w = windowBetween(at(0, 10, 2), at(10_000, 30, 12));
  assert.equal(w.requestsPerSecond, 2);
  assert.equal(w.cacheHitRate.l1, 0.5);
  assert.equal(w.cacheHitRate.l2, null);
});

test('status and runs over real bundles: version, manifest stages, request counts and rates, cache hit rates; runs side by side', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-admin-views-'));
  try {
    const data = join(root, 'data');
    await generateWorld({ users: 200, seed: 4, out: data });
    const params = { ...PIPELINE_DEFAULTS, embed: false as const, rank: false as const };
    const quiet = { progress: 'silent' as const, log: () => {} };
    await runPipeline({ out: join(root, 'bundles', 'older'), stages: defaultStages(params), inputs: { data }, params, ...quiet });
    const bundle = join(root, 'bundles', 'current');
    await runPipeline({ out: bundle, stages: defaultStages(params), inputs: { data }, params, ...quiet });
    await mkdir(join(root, 'bundles', 'broken'));
    await writeFile(join(root, 'bundles', 'broken', 'manifest.json'), '{ not json');
    const server = await createServer(loadConfig({ bundle, annCandidates: 0, scorer: 'stored' }, {}));
    try {
      const app = server.app;
      for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url: '/v1/users/u1/recommendations' })).statusCode, 200);
      const s = (await app.inject({ url: '/v1/admin/status' })).json();
      assert.equal(s.version, (await server.reload()));
      assert.equal(s.bundle.manifest.version, s.version);
      assert.deepEqual(s.bundle.manifest.stages.map((x: { name: string }) => x.name), ['ingest', 'graph', 'candidates', 'pair-features', 'lists']);
      assert.ok(s.requests.total >= 5, `requests counted: ${s.requests.total}`);
      assert.equal(s.requests.window.recommendations.count, 5);
      assert.ok(s.requests.window.recommendations.p50 > 0);
      assert.equal(s.caches.l1.hits, 4, 'the first request missed, the next four hit L1');
      assert.equal(s.caches.l1.hitRate, 0.8);
      assert.equal(s.index.present, false);
      assert.equal(s.scorer, 'stored');
      assert.equal(s.fallbacks.degraded, 0);
      const runs = (await app.inject({ url: '/v1/admin/runs' })).json();
      assert.equal(runs.served, s.version);
      assert.deepEqual(runs.runs.map((r: { name: string }) => r.name).sort(), ['broken', 'current', 'older']);
      const current = runs.runs.find((r: { name: string }) => r.name === 'current');
      assert.equal(current.status, 'complete');
      assert.ok(current.totalMs > 0);
      assert.equal(runs.runs.find((r: { name: string }) => r.name === 'broken').status, 'unreadable');
    } finally {
      await server.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('MetricsHistory: keeps the newest snapshots; a window starts at the oldest snapshot inside it', async () => {
  const { MetricsHistory } = await import('../../src/serve/history.js');
  const { Metrics } = await import('../../src/serve/metrics.js');
  const m = new Metrics({ defaults: false });
  let now = 0;
  const h = new MetricsHistory(m, () => now, 3);
  for (let i = 0; i < 5; i++) {
    m.requests.observe({ route: '/v1/users/:id/recommendations', method: 'GET', status: '200' }, 0.004);
    await h.take();
    now += 10_000;
  }
  assert.deepEqual(h.snapshots().map((s) => s.t), [20_000, 30_000, 40_000], 'the newest 3 kept');
  assert.deepEqual(h.snapshots().map((s) => s.requests), [3, 4, 5]);
  // now = 50 s; 25 s back reaches the snapshot at 30 s (4 requests): 1 request in 20 s.
  const w = await h.window(25);
  assert.equal(w.window.requests, 1);
  assert.equal(w.window.seconds, 20);
  assert.equal(w.window.recommendations.count, 1);
  assert.ok(w.window.recommendations.p50! > 2.5 && w.window.recommendations.p50! <= 5, `p50 inside the (2.5, 5] ms bucket: ${w.window.recommendations.p50}`);
  assert.equal(w.series.length, 3, 'one step between each kept snapshot and now');
  // A window longer than the history starts at the oldest kept.
  assert.equal((await h.window(600)).window.requests, 2);
});
