/** answers.ts: L1 → L2 → compute, single-flight, and the guard against caching what an invalidation overtook. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureTracker } from '../../src/core/failures.js';
import { Answers } from '../../src/serve/answers.js';
import { ResultCache } from '../../src/serve/cache.js';
import { Metrics } from '../../src/serve/metrics.js';
import { MemoryAnswerCache } from '../../src/store/answerCache.js';
import type { RecommendResult } from '../../src/recommend/recommend.js';

const result = (user: string, tag: string, source: RecommendResult['source'] = 'stored'): RecommendResult => ({
  user,
  version: 'v1',
  source,
  recommendations: [{ id: tag, score: 1, reasons: [] }],
});

function setup() {
  const l2 = new MemoryAnswerCache({ ttlMs: 3_600_000 });
  const failures = new FailureTracker('L2', { onError: () => {}, onRecover: () => {} });
  const metrics = new Metrics({ defaults: false });
  return { l2, metrics, answers: new Answers(new ResultCache(100, 300), l2, metrics, failures) };
}

/** A computation that resolves when told to, counting its calls. */
function gate(value: RecommendResult) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let calls = 0;
  return {
    compute: async () => {
      calls++;
      await opened;
      return value;
    },
    open: () => open(),
    calls: () => calls,
  };
}

test('concurrent misses for one user and limit compute once; others share the answer', async () => {
  const { answers } = setup();
  const g = gate(result('u', 'x'));
  const all = Array.from({ length: 20 }, () => answers.get('u', 10, 'v1', g.compute));
  g.open();
  const got = await Promise.all(all);
  assert.equal(g.calls(), 1);
  assert.ok(got.every((a) => a.result.recommendations[0].id === 'x'));
  assert.equal((await answers.get('u', 10, 'v1', g.compute)).layer, 'l1');
  const other = gate(result('u', 'y'));
  other.open();
  assert.equal((await answers.get('u', 20, 'v1', other.compute)).layer, 'computed', 'another limit computes');
});

test('an answer computed while an invalidation arrived is served but cached nowhere', async () => {
  const { answers, l2 } = setup();
  const g = gate(result('u', 'stale'));
  const p = answers.get('u', 10, 'v1', g.compute);
  await answers.invalidate(['u']);
  g.open();
  assert.equal((await p).result.recommendations[0].id, 'stale');
  assert.equal(answers.l1.get('u', 10, 'v1'), undefined, 'not in L1');
  assert.equal(await l2.get('u', 10, 'v1'), null, 'not in L2');
  const next = gate(result('u', 'fresh'));
  next.open();
  const a = await answers.get('u', 10, 'v1', next.compute);
  assert.equal(a.layer, 'computed');
  assert.equal(a.result.recommendations[0].id, 'fresh');
});

test('an invalidation deletes from L2 what this process wrote just before it; L2 serves another process', async () => {
  const { answers, l2 } = setup();
  const g = gate(result('u', 'x'));
  g.open();
  await answers.get('u', 10, 'v1', g.compute);
  await new Promise((r) => setImmediate(r)); // the L2 write is not awaited by get()
  assert.ok(await l2.get('u', 10, 'v1'), 'written to L2');
  // Another process (its own L1) reads it from L2.
  const other = new Answers(new ResultCache(100, 300), l2, new Metrics({ defaults: false }), new FailureTracker('L2', { onError: () => {} }));
  const never = async (): Promise<RecommendResult> => assert.fail('must come from L2');
  assert.equal((await other.get('u', 10, 'v1', never)).layer, 'l2');
  await answers.invalidate(['u']);
  assert.equal(await l2.get('u', 10, 'v1'), null, 'deleted again');
});

test("an L2 entry computed before this process heard its user invalidated is not served, whoever wrote it", async () => {
  const { l2 } = setup();
  const t0 = Date.now(); // L2 entries are used while younger than their TTL, on the real clock
  let now = t0;
  const clock = () => now;
  const b = new Answers(new ResultCache(100, 300), l2, new Metrics({ defaults: false }), new FailureTracker('L2', { onError: () => {} }), clock);
  // Another process started computing at t0 (before the event), and wrote its answer to L2 after the
  // invalidator's delete; this process heard the invalidation at t0 + 1 s.
  now = t0 + 1000;
  await b.invalidate(['u']);
  await l2.set('u', 10, { version: 'v1', computedAt: t0, body: result('u', 'stale') });
  assert.ok(await l2.get('u', 10, 'v1'), 'fixture: the stale entry is in L2');
  now = t0 + 1500;
  const fresh = await b.get('u', 10, 'v1', async () => result('u', 'fresh'));
  assert.equal(fresh.layer, 'computed');
  assert.equal(fresh.result.recommendations[0].id, 'fresh');
  // An entry computed after the invalidation is served from L2.
  const c = new Answers(new ResultCache(100, 300), l2, new Metrics({ defaults: false }), new FailureTracker('L2', { onError: () => {} }), clock);
  await new Promise((r) => setImmediate(r)); // b's L2 write of the fresh answer
  const again = await c.get('u', 10, 'v1', async () => assert.fail('must come from L2'));
  assert.equal(again.layer, 'l2');
  assert.equal(again.result.recommendations[0].id, 'fresh');
  assert.equal(again.computedAt, t0 + 1500, 'computedAt is when the computation started');
});

test('degraded and empty answers are not cached; an L2 that fails is counted and the answer computed', async () => {
  const { answers, l2, metrics } = setup();
  for (const source of ['static', 'stale-cache', 'none'] as const) {
    const g = gate(result(`d-${source}`, 'x', source));
    g.open();
    await answers.get(`d-${source}`, 10, 'v1', g.compute);
    assert.equal(answers.l1.get(`d-${source}`, 10, 'v1'), undefined, source);
    assert.equal(await l2.get(`d-${source}`, 10, 'v1'), null, source);
  }
  const errors: string[] = [];
  const broken = Object.assign(Object.create(l2), { get: async () => Promise.reject(new Error('redis down')), set: async () => Promise.reject(new Error('redis down')) });
  const a = new Answers(new ResultCache(100, 300), broken, metrics, new FailureTracker('L2', { onError: (e) => errors.push(String(e)) }));
  const g = gate(result('b', 'ok'));
  g.open();
  assert.equal((await a.get('b', 10, 'v1', g.compute)).result.recommendations[0].id, 'ok');
  assert.ok(errors.some((e) => /redis down/.test(e)), errors.join());
});

test('an ANN answer cached before the index took in new users is computed again; other answers stay cached', async () => {
  let changedAt = 0;
  let now = 1000;
  const l2 = new MemoryAnswerCache({ ttlMs: 3_600_000 });
  const answers = new Answers(new ResultCache(100, 300), l2, new Metrics({ defaults: false }), new FailureTracker('L2', { onError: () => {} }), () => now, null, () => changedAt);
  let calls = 0;
  const compute = (source: RecommendResult['source']) => async () => result('u', `r${++calls}`, source);
  assert.equal((await answers.get('cold', 5, 'v1', compute('ann'))).layer, 'computed');
  assert.equal((await answers.get('warm', 5, 'v1', compute('stored'))).layer, 'computed');
  assert.equal((await answers.get('cold', 5, 'v1', compute('ann'))).layer, 'l1');
  now = 2000;
  changedAt = 1500; // new users inserted after both answers were computed
  const again = await answers.get('cold', 5, 'v1', compute('ann'));
  assert.equal(again.layer, 'computed', 'neither L1 nor L2 serves the outdated ANN answer');
  assert.equal(again.result.recommendations[0].id, 'r3');
  assert.equal((await answers.get('warm', 5, 'v1', compute('stored'))).layer, 'l1', 'a stored-list answer is not affected');
  assert.equal((await answers.get('cold', 5, 'v1', compute('ann'))).layer, 'l1', 'the recomputed answer is cached again');
});
