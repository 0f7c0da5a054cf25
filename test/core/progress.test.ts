import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { progressFactory, resolveProgressMode } from '../../src/core/progress.js';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & { text: () => string };
  const chunks: Buffer[] = [];
  (s as unknown as PassThrough).on('data', (c: Buffer) => chunks.push(c));
  Object.assign(s, { isTTY, columns: 120, text: () => Buffer.concat(chunks).toString() });
  return s;
}

test('auto mode: silent under the test runner, else a bar on a TTY and log lines otherwise', () => {
  assert.ok(process.env.NODE_TEST_CONTEXT, 'these tests run under node --test');
  assert.equal(resolveProgressMode('auto', fakeStream(true)), 'silent');
  const saved = process.env.NODE_TEST_CONTEXT;
  delete process.env.NODE_TEST_CONTEXT;
  try {
    assert.equal(resolveProgressMode('auto', fakeStream(true)), 'bar');
    assert.equal(resolveProgressMode('auto', fakeStream(false)), 'log');
    assert.equal(resolveProgressMode(undefined, fakeStream(false)), 'log');
  } finally {
    process.env.NODE_TEST_CONTEXT = saved;
  }
  assert.equal(resolveProgressMode('bar', fakeStream(false)), 'bar');
});

test('log mode writes a line only when the interval has passed, with percent and eta, and a final line', () => {
  let now = 0;
  const lines: string[] = [];
  const make = progressFactory({ mode: 'log', log: (l) => lines.push(l), intervalMs: 5000, clock: () => now });
  const p = make('build', 1000);
  for (let i = 0; i < 400; i++) {
    now += 10; // 4 s in total: under the interval
    p.tick();
  }
  assert.deepEqual(lines, []);
  now += 1000; // 5 s
  p.tick(100); // 500 done
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^build: 50\.0% \(500\/1,000\) 5\.0s elapsed, eta 5\.0s$/);
  p.update(900);
  assert.equal(lines.length, 1, 'no second line within the interval');
  now += 5000;
  p.update(1000);
  assert.match(lines[1], /^build: 100\.0% \(1,000\/1,000\) 10\.0s elapsed, eta 0\.0s$/);
  p.done();
  p.done();
  assert.equal(lines.length, 3);
  assert.match(lines[2], /^build: done, 1,000 in 10\.0s$/);
});

test('log mode stays quiet for work shorter than the interval', () => {
  const lines: string[] = [];
  const p = progressFactory({ mode: 'log', log: (l) => lines.push(l), intervalMs: 60_000 })('quick', 10);
  for (let i = 0; i < 10; i++) p.tick();
  p.done();
  assert.deepEqual(lines, []);
});

test('bar mode draws a bar with the label and the final count on the stream', () => {
  const s = fakeStream(true);
  const p = progressFactory({ mode: 'bar', stream: s })('hashing', 2000);
  for (let i = 0; i < 2000; i++) p.tick();
  p.done();
  const text = s.text();
  assert.match(text, /hashing \[/);
  assert.match(text, /2,000\/2,000/);
});

test('silent mode writes nothing', () => {
  const s = fakeStream(true);
  const lines: string[] = [];
  const p = progressFactory({ mode: 'silent', stream: s, log: (l) => lines.push(l) })('x', 5);
  p.tick(5);
  p.done();
  assert.equal(s.text(), '');
  assert.deepEqual(lines, []);
});
