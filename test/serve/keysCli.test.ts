/** `pymk keys create|list|revoke` end to end: the key is printed once, the file holds only its hash. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errorShape, worldApp } from './fixtures.js';

const run = promisify(execFile);
const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const dir = await mkdtemp(join(tmpdir(), 'pymk-keys-cli-'));
after(() => rm(dir, { recursive: true, force: true }));
const pymk = (args: string[], env: Record<string, string> = {}) => run(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });

test('keys create prints the key once; the file has its hash, never the key; list shows no key; revoke', async () => {
  const file = join(dir, 'keys.json');
  const created = await pymk(['keys', 'create', '--scopes', 'recommendations:read,admin', '--name', 'ci', '--file', file]);
  const key = created.stdout.trim();
  assert.match(key, /^pymk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  assert.equal(created.stdout, `${key}\n`); // stdout holds the key and nothing else
  assert.ok(!created.stderr.includes(key));
  const id = key.slice(5, 17);

  const text = await readFile(file, 'utf8');
  assert.ok(!text.includes(key), 'the keys file must not contain the key');
  assert.ok(!text.includes(key.slice(18)), 'nor its secret part');
  const stored = JSON.parse(text).keys[0];
  assert.equal(stored.hash, `sha256:${createHash('sha256').update(key).digest('hex')}`);
  assert.deepEqual({ id: stored.id, name: stored.name, scopes: stored.scopes }, { id, name: 'ci', scopes: ['recommendations:read', 'admin'] });
  assert.ok(!Number.isNaN(Date.parse(stored.createdAt)));

  // A second key, through PYMK_KEYS_FILE.
  const second = (await pymk(['keys', 'create', '--scopes', 'events:write'], { PYMK_KEYS_FILE: file })).stdout.trim();
  assert.notEqual(second, key);

  const list = await pymk(['keys', 'list', '--json', '--file', file]);
  assert.ok(!list.stdout.includes(key) && !list.stdout.includes(second));
  const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(rows.map((r) => [r.id, r.scopes.join(','), r.revokedAt]), [
    [id, 'recommendations:read,admin', undefined],
    [second.slice(5, 17), 'events:write', undefined],
  ]);
  assert.ok(rows.every((r) => !('hash' in r)));
  const table = await pymk(['keys', 'list', '--file', file]);
  assert.match(table.stdout, new RegExp(`^${id}\\tci\\trecommendations:read,admin\\t\\S+\\tactive$`, 'm'));

  // The server accepts the printed key until it is revoked.
  const before = await worldApp({ keysFile: file });
  assert.equal((await before.inject({ url: '/v1/users/ann/recommendations', headers: { authorization: `Bearer ${key}` } })).statusCode, 200);
  await before.close();
  await pymk(['keys', 'revoke', id, '--file', file]);
  const revokedRow = JSON.parse((await pymk(['keys', 'list', '--json', '--file', file])).stdout.split('\n')[0]);
  assert.ok(revokedRow.revokedAt);
  const afterRevoke = await worldApp({ keysFile: file });
  const r = await afterRevoke.inject({ url: '/v1/users/ann/recommendations', headers: { authorization: `Bearer ${key}` } });
  assert.equal(r.statusCode, 401);
  assert.equal(errorShape(r.json()).code, 'PYMK_UNAUTHORIZED');
  await afterRevoke.close();
});

test('keys: unknown scope, unknown id and no file fail with PYMK codes', async () => {
  const file = join(dir, 'keys2.json');
  await assert.rejects(pymk(['keys', 'create', '--scopes', 'root', '--file', file]), (e: { stderr: string }) => /PYMK_BAD_PARAM: unknown scope 'root'/.test(e.stderr));
  await assert.rejects(pymk(['keys', 'revoke', 'abcdefabcdef', '--file', file]), (e: { stderr: string }) => /PYMK_NOT_FOUND/.test(e.stderr));
  const env = { ...process.env };
  delete env.PYMK_KEYS_FILE;
  await assert.rejects(run(process.execPath, [CLI, 'keys', 'list'], { env }), (e: { stderr: string }) => /PYMK_CONFIG: no keys file/.test(e.stderr));
});
