/**
 * The CLI end to end on Redis: a generated world → pipeline → `pymk publish` into the machine's Redis
 * (testRedisUrl(), unique prefix) → `pymk recommend` reading from Redis prints exactly what it prints from the embedded store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { defaultStages } from '../../src/pipeline/stages/index.js';
import { openKvTarget } from '../../src/store/index.js';
import { testRedis } from '../helpers/services.js';
import { QUICK_PARAMS } from '../helpers/quickBundle.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const redis = await testRedis();
const up = !redis.skip;
const PARAMS = QUICK_PARAMS;
const prefix = `pymktest-cli-${process.pid}-${randomBytes(3).toString('hex')}`;
const store = `${redis.url}?prefix=${prefix}`;
let root = '';

before(async () => {
  if (!up) return;
  root = await mkdtemp(join(tmpdir(), 'pymk-publish-cli-'));
  await generateWorld({ users: 400, seed: 9, out: join(root, 'data') });
  await runPipeline({ out: join(root, 'bundle'), stages: defaultStages(PARAMS), inputs: { data: join(root, 'data') }, params: PARAMS, progress: 'silent', log: () => {} });
});

after(async () => {
  if (!up) return;
  await rm(root, { recursive: true, force: true });
  const t = await openKvTarget(store);
  await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
  await t.kv.close();
});

test('pymk publish, then pymk recommend from Redis equals the embedded store', { skip: redis.skip }, async () => {
  const bundle = join(root, 'bundle');
  const first = JSON.parse((await run(process.execPath, [CLI, 'publish', '--bundle', bundle, '--store', store, '--no-progress'])).stdout);
  assert.equal(first.outcome, 'published');
  assert.equal(first.keysWritten, first.keysTotal);
  const again = JSON.parse((await run(process.execPath, [CLI, 'publish', '--bundle', bundle, '--store', store, '--no-progress'])).stdout);
  assert.equal(again.outcome, 'current');

  const users = join(root, 'users.txt');
  await writeFile(users, Array.from({ length: 40 }, (_, i) => `u${i * 9}`).join('\n'));
  const rec = async (env: Record<string, string>) => {
    const r = await run(process.execPath, [CLI, 'recommend', '--bundle', bundle, '--users', users, '--limit', '5'], { env: { ...process.env, ...env } }).catch((e: { stdout: string }) => e);
    return r.stdout;
  };
  const fromMemory = await rec({ PYMK_STORE: 'memory://' });
  const fromRedis = await rec({ PYMK_STORE: store });
  const lines = fromMemory.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { recommendations?: unknown[] });
  assert.equal(lines.length, 40);
  assert.ok(lines.filter((l) => (l.recommendations?.length ?? 0) > 0).length >= 30, 'most users get recommendations');
  assert.equal(fromRedis, fromMemory);
  // stderr names the scorer, so two runs with different --scorer can be told apart.
  const named = await run(process.execPath, [CLI, 'recommend', '--bundle', bundle, '--user', 'u0', '--scorer', 'aa'], { env: { ...process.env, PYMK_STORE: 'memory://' } });
  assert.match(named.stderr, /1 user, ranked by \S*aa/);
});
