/**
 * The fuzz run: 10,000 seeded random requests (bench/lib/fuzz.ts, built from the server's own OpenAPI
 * document) against `pymk serve` in a child process, with API keys from a keys file, JWTs, and rate limits
 * on. Not one 5xx, every error answer in the error shape, no socket the server dropped. With PYMK_FUZZ_OUT
 * set (`npm run faults`) the counts are written there as fuzz.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { runFuzz } from '../../bench/lib/fuzz.js';
import { loadSnapshot } from '../../src/store/fromBundle.js';
import { startServe, worldBundle } from '../faults/harness.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const N = Number(process.env.PYMK_FUZZ_REQUESTS ?? 10_000);
const SEED = Number(process.env.PYMK_FUZZ_SEED ?? 1);
const SECRET = 'fuzz-secret-0123456789-abcdefghijklmnop';

function createKey(file: string, scopes: string): string {
  const out = execFileSync(process.execPath, [CLI, 'keys', 'create', '--scopes', scopes, '--file', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.trim();
}

async function jwt(secret: string, expiresAt: number): Promise<string> {
  return new SignJWT({ scope: 'recommendations:read events:write admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('fuzzer')
    .setIssuer('fuzz')
    .setAudience('pymk')
    .setIssuedAt(expiresAt - 3600)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

test(`${N} random requests against a real server: no 5xx, every error in the error shape`, async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-fuzz-'));
  try {
    const bundle = await worldBundle(root, 300, 21);
    const users = (await loadSnapshot(bundle)).ids.toArray().slice(0, 200);
    const keysFile = join(root, 'keys.json');
    const key = createKey(keysFile, 'recommendations:read,events:write,admin');
    const readOnlyKey = createKey(keysFile, 'recommendations:read');
    const now = Math.floor(Date.now() / 1000);
    const credentials = { key, readOnlyKey, jwt: await jwt(SECRET, now + 3600), expiredJwt: await jwt(SECRET, now - 60), forgedJwt: await jwt(`${SECRET}-other`, now + 3600) };
    const server = await startServe(['--bundle', bundle], {
      PYMK_KEYS_FILE: keysFile,
      PYMK_JWT_SECRET: SECRET,
      PYMK_JWT_ISSUER: 'fuzz',
      PYMK_JWT_AUDIENCE: 'pymk',
      PYMK_RATE_LIMIT: '400',
      PYMK_RATE_BURST: '200',
    });
    try {
      const r = await runFuzz({ base: server.base, users, credentials }, { n: N, concurrency: 8, seed: SEED });
      if (process.env.PYMK_FUZZ_OUT) {
        mkdirSync(process.env.PYMK_FUZZ_OUT, { recursive: true });
        writeFileSync(join(process.env.PYMK_FUZZ_OUT, 'fuzz.json'), `${JSON.stringify({ scenario: 'fuzz', seed: SEED, users: 300, ...r }, null, 2)}\n`);
      }
      const why = JSON.stringify(r.samples.slice(0, 5), null, 1);
      assert.equal(r.requests, N);
      assert.equal(r.fiveXx, 0, why);
      assert.equal(r.badShape, 0, why);
      assert.equal(r.transportErrors, 0, why);
      assert.ok((r.byStatus['413'] ?? 0) > r.closedOnLargeBody, 'most oversized bodies get their 413 before the socket closes');
      // The run reached the routes' own checks, not only the front door: each family of answers occurred.
      for (const status of ['200', '400', '401', '403', '404', '413', '415']) assert.ok((r.byStatus[status] ?? 0) > 0, `no ${status} among ${JSON.stringify(r.byStatus)}`);
      assert.ok(r.operations >= 8, `${r.operations} operations in the OpenAPI document`);
      assert.equal(server.proc.exitCode, null, 'the server is still up');
      assert.equal((await fetch(`${server.base}/readyz`)).status, 200);
    } finally {
      await server.stop();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
