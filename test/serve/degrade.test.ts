/**
 * The degradation chain (serve/degrade.ts) on a real memory store behind a switch that makes it fail or
 * hang: each fallback path, the reason it names, the breakers, and that a client's mistake is never masked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PymkError, isPymkError } from '../../src/core/errors.js';
import { FailureTracker } from '../../src/core/failures.js';
import { loadConfig } from '../../src/core/config.js';
import { ResultCache } from '../../src/serve/cache.js';
import { Breaker } from '../../src/serve/breakers.js';
import { recommendOrDegrade, type DegradeState, type ServingCore } from '../../src/serve/degrade.js';
import { localFallback } from '../../src/serve/local.js';
import { LiveExclusions } from '../../src/serve/liveExclusions.js';
import { EVERYONE } from '../../src/core/tables.js';
import { coreFor } from '../../src/recommend/recommend.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { OnlineStore } from '../../src/store/types.js';
import type { Scorer } from '../../src/rank/scorer.js';
import { world } from './fixtures.js';

/** ann's static list: [dan, eve]; the others have none. */
const withLists = {
  ...world,
  lists: { offsets: Int32Array.from([0, 2, 2, 2, 2, 2, 2]), cand: Int32Array.from([world.ids.lookup('dan'), world.ids.lookup('eve')]), score: Float32Array.from([0.9, 0.8]) },
};

type Mode = 'up' | 'down' | 'hang';

/** The memory store, failing (PYMK_STORE_UNAVAILABLE) or never answering while `mode` says so; counts calls. */
function switchable(inner: OnlineStore): { store: OnlineStore; set(m: Mode): void; calls(): number } {
  let mode: Mode = 'up';
  let calls = 0;
  const store = new Proxy(inner, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv) as unknown;
      if (typeof v !== 'function' || prop === 'version' || prop === 'fieldValue') return typeof v === 'function' ? v.bind(target) : v;
      return (...args: unknown[]) => {
        calls++;
        if (mode === 'down') return Promise.reject(new PymkError('PYMK_STORE_UNAVAILABLE', 'store down'));
        if (mode === 'hang') return new Promise(() => {});
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, set: (m) => void (mode = m), calls: () => calls };
}

function state(overrides: Partial<DegradeState> = {}): DegradeState & { seen: [string, string][] } {
  const seen: [string, string][] = [];
  return {
    inflight: 0,
    maxInflight: 0,
    underPressure: () => false,
    breakers: { store: new Breaker('store', { timeoutMs: 100, resetMs: 60_000, volume: 4 }), ranker: new Breaker('ranker', { timeoutMs: 50, resetMs: 60_000, volume: 4 }) },
    onDegraded: (path, reason) => void seen.push([path, reason]),
    degraded: 0,
    staticFailures: new FailureTracker('static-ranking fallback', { onError: () => {} }),
    ...overrides,
    seen,
  };
}

function setup(opts: { local?: boolean; scorer?: Scorer } = {}) {
  const config = loadConfig({}, {});
  const s = switchable(new MemoryStore(withLists));
  const core: ServingCore = { ...coreFor(s.store, config, opts.scorer), local: opts.local === false ? null : localFallback(withLists, 200) };
  return { core, s };
}

test('the full path answers with path full and no degraded reason', async () => {
  const { core } = setup();
  const st = state();
  const r = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(r.path, 'full');
  assert.equal(r.degraded, undefined);
  assert.deepEqual(st.seen, []);
});

test('a failing store: the local bundle answers (local-static, then local-2hop), each naming store-failed', async () => {
  const { core, s } = setup();
  s.set('down');
  const st = state();
  const a = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(a.path, 'local-static');
  assert.equal(a.degraded, 'store-failed');
  assert.deepEqual(a.recommendations.map((x) => x.id), ['dan', 'eve']);
  const b = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'bob', 5);
  assert.equal(b.path, 'local-2hop');
  assert.ok(b.recommendations.length > 0);
  assert.ok(!b.recommendations.some((x) => x.id === 'ann' || x.id === 'dan' || x.id === 'fay'), 'neighbours are excluded');
  assert.deepEqual(st.seen, [
    ['local-static', 'store-failed'],
    ['local-2hop', 'store-failed'],
  ]);
});

test('fallback answers leave out what events excluded since the bundle (blocks, dismissals, connections, bans), the full path reads the store', async () => {
  const { core, s } = setup();
  const exclusions = new LiveExclusions();
  const st = state({ exclusions });
  s.set('down');
  assert.deepEqual((await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5)).recommendations.map((x) => x.id), ['dan', 'eve']);
  exclusions.add([['ann', 'dan']]); // ann blocked or dismissed dan, or connected to him
  const a = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(a.path, 'local-static');
  assert.deepEqual(a.recommendations.map((x) => x.id), ['eve']);
  exclusions.add([[EVERYONE, 'eve']]); // eve banned: hidden from everyone
  assert.deepEqual((await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5)).recommendations.map((x) => x.id), []);
  const b = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'bob', 5);
  assert.equal(b.path, 'local-2hop');
  assert.ok(!b.recommendations.some((x) => x.id === 'eve'), 'the banned user is left out of live 2-hop fallbacks too');
  // A stale cached answer is filtered as well.
  const cache = new ResultCache(10, 60);
  cache.set('ann', 5, { user: 'ann', version: core.store.version(), source: 'stored', path: 'full', recommendations: [{ id: 'dan', score: 1, reasons: [] }, { id: 'fay', score: 0.5, reasons: [] }] });
  const { core: memOnly, s: s2 } = setup({ local: false });
  s2.set('down');
  const c = await recommendOrDegrade(memOnly, cache, st, 'ann', 5);
  assert.equal(c.path, 'stale-cache');
  assert.deepEqual(c.recommendations.map((x) => x.id), ['fay']);
});

test('a fallback answer is cut to the limit after the exclusions are filtered out, so it is not short by them', async () => {
  const { core, s } = setup();
  const exclusions = new LiveExclusions();
  const st = state({ exclusions });
  s.set('down');
  assert.deepEqual((await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 1)).recommendations.map((x) => x.id), ['dan']);
  exclusions.add([['ann', 'dan']]);
  assert.deepEqual((await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 1)).recommendations.map((x) => x.id), ['eve'], 'the next entry of the list fills the place');
  const { core: memOnly, s: s2 } = setup({ local: false });
  s2.set('up');
  const over = state({ exclusions, underPressure: () => true });
  const o = await recommendOrDegrade(memOnly, new ResultCache(10, 60), over, 'ann', 1);
  assert.equal(o.path, 'static');
  assert.deepEqual(o.recommendations.map((x) => x.id), ['eve']);
});

test('after enough failures the store breaker opens: answers come from the local bundle without calling the store', async () => {
  const { core, s } = setup();
  s.set('down');
  const st = state();
  for (let i = 0; i < 4; i++) await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(st.breakers.store.state(), 'open');
  const before = s.calls();
  const r = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(s.calls(), before, 'the open breaker kept the call away from the store');
  assert.equal(r.degraded, 'store-breaker-open');
  assert.equal(r.path, 'local-static');
});

test('a store that never answers: the deadline gives the answer to the local bundle (store-timeout)', async () => {
  const { core, s } = setup();
  s.set('hang');
  const t0 = Date.now();
  const r = await recommendOrDegrade(core, new ResultCache(10, 60), state(), 'ann', 5);
  assert.equal(r.degraded, 'store-timeout');
  assert.equal(r.path, 'local-static');
  assert.ok(Date.now() - t0 < 5000, 'answered, not hung');
});

test('a failing ranker: the same path ranked by the heuristic (path heuristic, ranker-unavailable)', async () => {
  const broken: Scorer = { name: 'model:broken', score: () => Promise.reject(new Error('onnx failed')) };
  const { core } = setup({ scorer: broken });
  const st = state();
  const r = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(r.path, 'heuristic');
  assert.equal(r.degraded, 'ranker-unavailable');
  assert.ok(r.recommendations.length > 0);
  assert.equal(st.breakers.store.state(), 'closed', 'a ranker failure is not counted against the store');
});

test('overload: the cheap path (the local list) without the full path', async () => {
  const { core, s } = setup();
  const st = state({ underPressure: () => true });
  const before = s.calls();
  const r = await recommendOrDegrade(core, new ResultCache(10, 60), st, 'ann', 5);
  assert.equal(r.path, 'local-static');
  assert.equal(r.degraded, 'overload');
  assert.equal(s.calls(), before);
});

test('without a local bundle (memory store), a failing store falls to the stale answer; the static failure is reported', async () => {
  const { core, s } = setup({ local: false });
  s.set('down');
  const cache = new ResultCache(10, 60);
  cache.set('ann', 5, { user: 'ann', version: 'v0', source: 'stored', path: 'full', recommendations: [] });
  const st = state();
  const r = await recommendOrDegrade(core, cache, st, 'ann', 5);
  assert.equal(r.path, 'stale-cache');
  assert.equal(r.source, 'stale-cache');
  assert.equal(st.staticFailures.stats().failures, 1);
});

test('nothing to fall back on: the store error, with its code', async () => {
  const { core, s } = setup({ local: false });
  s.set('down');
  await assert.rejects(recommendOrDegrade(core, new ResultCache(10, 60), state(), 'ann', 5), (e) => isPymkError(e) && e.code === 'PYMK_STORE_UNAVAILABLE');
});

test('an unknown user is a 404, on the full path and under overload, and is not counted as a failure', async () => {
  const { core } = setup();
  const st = state();
  await assert.rejects(recommendOrDegrade(core, new ResultCache(10, 60), st, 'nobody', 5), (e) => isPymkError(e) && e.code === 'PYMK_USER_NOT_FOUND');
  const shed = state({ underPressure: () => true });
  await assert.rejects(recommendOrDegrade(core, new ResultCache(10, 60), shed, 'nobody', 5), (e) => isPymkError(e) && e.code === 'PYMK_USER_NOT_FOUND');
  assert.equal(st.staticFailures.stats().failures + shed.staticFailures.stats().failures, 0);
  assert.equal(st.breakers.store.counts().failures, 0);
});
