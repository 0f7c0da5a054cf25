/**
 * The hot-path metrics against prom-client's own: the same observations give the same exposition text and
 * the same JSON, and they aggregate across processes like prom-client's (AggregatorRegistry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from '../../src/serve/hotMetrics.js';
import { LATENCY_BUCKETS } from '../../src/serve/metrics.js';

function observations(n: number, seed: number): Array<{ route: string; status: string; v: number }> {
  let s = seed;
  const rand = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, () => ({ route: rand() < 0.7 ? '/a' : '/b/:id', status: rand() < 0.9 ? '200' : '404', v: rand() ** 3 * 3 }));
}

function both(seed: number): { hot: Registry; ref: Registry } {
  const hot = new Registry();
  const ref = new Registry();
  const h = new HotHistogram('t_seconds', 'help text', ['route', 'status'], LATENCY_BUCKETS, hot);
  const r = new Histogram({ name: 't_seconds', help: 'help text', labelNames: ['route', 'status'], buckets: LATENCY_BUCKETS, registers: [ref] });
  const c = new HotCounter('c_total', 'a counter', ['path'], hot);
  const rc = new Counter({ name: 'c_total', help: 'a counter', labelNames: ['path'], registers: [ref] });
  const bound = h.labels({ route: '/a', status: '200' });
  for (const o of observations(5000, seed)) {
    if (o.route === '/a' && o.status === '200') bound.observe(o.v);
    else h.observe({ route: o.route, status: o.status }, o.v);
    r.observe({ route: o.route, status: o.status }, o.v);
    c.labels({ path: o.status }).inc();
    rc.inc({ path: o.status });
  }
  c.inc({ path: 'x' }, 3);
  rc.inc({ path: 'x' }, 3);
  // Values exactly on a bucket bound fall in that bucket (le is inclusive), as in prom-client.
  for (const b of LATENCY_BUCKETS) {
    h.observe({ route: '/b/:id', status: '200' }, b);
    r.observe({ route: '/b/:id', status: '200' }, b);
  }
  return { hot, ref };
}

const sorted = (text: string): string[] => text.split('\n').filter((l) => l !== '').sort();

test('the hot histogram and counter expose what prom-client exposes for the same observations', async () => {
  const { hot, ref } = both(7);
  assert.deepEqual(sorted(await hot.metrics()), sorted(await ref.metrics()));
});

test('their JSON aggregates across processes like prom-client metrics', async () => {
  const a = both(1);
  const b = both(2);
  const merged = async (x: Registry, y: Registry): Promise<string[]> => sorted(await AggregatorRegistry.aggregate([await x.getMetricsAsJSON(), await y.getMetricsAsJSON()]).metrics());
  const hot = await merged(a.hot, b.hot);
  assert.deepEqual(hot, await merged(a.ref, b.ref));
  assert.ok(hot.some((l) => l.startsWith('t_seconds_count{route="/a",status="200"}')), 'the merged text has the counts');
});

test('reset empties them', async () => {
  const { hot } = both(3);
  hot.resetMetrics();
  assert.ok(!(await hot.metrics()).includes('t_seconds_bucket'));
});
