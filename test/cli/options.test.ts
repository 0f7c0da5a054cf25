/** A bad option value is a usage error naming the option (exit 1, no stack trace), for every kind of parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const CLI = 'dist/src/cli/main.js';

const CASES: [string[], RegExp][] = [
  [['recommend', '--bundle', 'x', '--user', 'u', '--limit', '0'], /option '--limit <k>' argument '0' is invalid\. --limit must be an integer >= 1, got '0'/],
  [['serve', '--workers', '0'], /option '--workers <n>' argument '0' is invalid/],
  [['serve', '--port', 'abc'], /option '--port <port>' argument 'abc' is invalid/],
  [['generate', '--users', 'abc', '--out', '/nonexistent/x'], /option '--users <n>' argument 'abc' is invalid/],
  [['pipeline', '--candidates', '-5', '--data', 'x', '--out', 'y'], /option '--candidates <n>' argument '-5' is invalid/],
  [['eval', '--data', 'x', '--test-frac', '2'], /--test-frac must be a number in \(0, 1\), got '2'/],
];

for (const [args, message] of CASES) {
  test(`pymk ${args.join(' ')}: a usage error naming the option`, () => {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /unexpected error|    at /, 'no stack trace');
  });
}
