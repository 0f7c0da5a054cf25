import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureTracker } from '../../src/core/failures.js';

test('FailureTracker reports the first failure of a run and the first success after it', () => {
  const log: string[] = [];
  const t = new FailureTracker('poll', { onError: (err, what) => log.push(`error ${(err as Error).message}: ${what}`), onRecover: (what) => log.push(what) });
  t.ok();
  t.fail(new Error('a'), 'keeping the old one');
  t.fail(new Error('b'), 'keeping the old one');
  assert.deepEqual(t.stats(), { failures: 2, consecutive: 2, lastError: new Error('b') });
  t.ok();
  t.ok();
  t.fail(new Error('c'), 'again');
  assert.deepEqual(log, ['error a: poll failed; keeping the old one', 'poll recovered after 2 failures', 'error c: poll failed; again']);
  assert.equal(t.stats().failures, 3);
  assert.equal(t.stats().consecutive, 1);
});
