/** Auth: hashed API keys from the keys file, development keys, JWTs (HS256, PEM public key, JWKS file), scopes. */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { createKey, revokeKey } from '../../src/serve/keys.js';
import { errorShape, worldApp } from './fixtures.js';

const dir = await mkdtemp(join(tmpdir(), 'pymk-auth-'));
after(() => rm(dir, { recursive: true, force: true }));
const REC = '/v1/users/ann/recommendations';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const ISS = 'https://issuer.test';
const AUD = 'pymk-api';
const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

async function hsToken(claims: Record<string, unknown>, exp: string | number = '5m', secret = SECRET) {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience(AUD).setSubject('svc-1').setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(secret));
}

test('keys file: no credential 401, wrong key 401, revoked 401, wrong scope 403, right scope 200; health open', async () => {
  const file = join(dir, 'keys-a.json');
  const reader = await createKey(file, ['recommendations:read'], 'reader');
  const writer = await createKey(file, ['events:write'], 'writer');
  const gone = await createKey(file, ['recommendations:read'], 'gone');
  await revokeKey(file, gone.info.id);
  const a = await worldApp({ keysFile: file });

  const none = await a.inject({ url: REC });
  assert.equal(none.statusCode, 401);
  assert.equal(errorShape(none.json()).code, 'PYMK_UNAUTHORIZED');
  // A well-formed key with a known id but the wrong secret, and a random string.
  const forged = reader.key.slice(0, -4) + (reader.key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  for (const k of [forged, 'not-a-key-at-all']) {
    const r = await a.inject({ url: REC, headers: bearer(k) });
    assert.equal(r.statusCode, 401, k);
    assert.equal(errorShape(r.json()).code, 'PYMK_UNAUTHORIZED');
  }
  const revoked = await a.inject({ url: REC, headers: bearer(gone.key) });
  assert.equal(revoked.statusCode, 401);
  assert.equal(revoked.json().code, 'PYMK_UNAUTHORIZED');
  const forbidden = await a.inject({ url: REC, headers: bearer(writer.key) });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(errorShape(forbidden.json()).code, 'PYMK_FORBIDDEN');
  assert.match(forbidden.json().message, /recommendations:read/);
  const ok = await a.inject({ url: REC, headers: bearer(reader.key) });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.json().user, 'ann');
  assert.equal((await a.inject({ url: REC, headers: { 'x-api-key': reader.key } })).statusCode, 200);
  assert.equal((await a.inject({ url: REC, headers: { authorization: `Basic ${reader.key}` } })).statusCode, 401);
  assert.equal((await a.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await a.inject({ url: '/readyz' })).statusCode, 200);
  assert.equal((await a.inject({ url: '/openapi.json' })).statusCode, 401);
  assert.equal((await a.inject({ url: '/openapi.json', headers: bearer(writer.key) })).statusCode, 200);
  await a.close();
});

test('a key revoked while serving stops working once the keys file is re-read', async () => {
  const file = join(dir, 'keys-b.json');
  const k = await createKey(file, ['recommendations:read'], 'soon-gone');
  const a = await worldApp({ keysFile: file });
  assert.equal((await a.inject({ url: REC, headers: bearer(k.key) })).statusCode, 200);
  await revokeKey(file, k.info.id);
  await new Promise((r) => setTimeout(r, 1100)); // the ring looks at the file at most once a second
  await a.inject({ url: REC, headers: bearer(k.key) }); // this request triggers the re-read
  const r = await a.inject({ url: REC, headers: bearer(k.key) });
  assert.equal(r.statusCode, 401);
  assert.equal(r.json().code, 'PYMK_UNAUTHORIZED');
  await a.close();
});

test('admin scope guards the admin route', async () => {
  const file = join(dir, 'keys-c.json');
  const reader = await createKey(file, ['recommendations:read'], 'reader');
  const admin = await createKey(file, ['admin'], 'ops');
  const a = await worldApp({ keysFile: file });
  const body = { users: ['ann'] };
  const denied = await a.inject({ method: 'POST', url: '/v1/admin/cache/evict', headers: bearer(reader.key), payload: body });
  assert.equal(denied.statusCode, 403);
  assert.equal(denied.json().code, 'PYMK_FORBIDDEN');
  await a.inject({ url: `${REC}?limit=2`, headers: bearer(reader.key) });
  const ok = await a.inject({ method: 'POST', url: '/v1/admin/cache/evict', headers: bearer(admin.key), payload: body });
  assert.equal(ok.statusCode, 200);
  assert.deepEqual(ok.json(), { evicted: 1 });
  assert.equal((await a.inject({ url: `${REC}?limit=2`, headers: bearer(reader.key) })).json().cached, false);
  await a.close();
});

test('development keys (PYMK_API_KEYS) still work and hold every scope', async () => {
  const a = await worldApp({ apiKeys: ['dev-key-123456'] });
  assert.equal((await a.inject({ url: REC, headers: bearer('dev-key-123456') })).statusCode, 200);
  assert.equal((await a.inject({ url: REC, headers: bearer('dev-key-1234567') })).statusCode, 401);
  assert.equal((await a.inject({ method: 'POST', url: '/v1/admin/cache/evict', headers: bearer('dev-key-123456'), payload: { users: ['x'] } })).statusCode, 200);
  await a.close();
});

test('auth is off when no key and no JWT is configured', async () => {
  const a = await worldApp();
  assert.equal((await a.inject({ url: REC })).statusCode, 200);
  assert.equal((await a.inject({ url: REC, headers: bearer('anything-at-all') })).statusCode, 200);
  await a.close();
});

test('JWT (HS256): a token with the scope 200, without it 403, expired 401, wrong issuer/audience/secret 401', async () => {
  const a = await worldApp({ jwtSecret: SECRET, jwtIssuer: ISS, jwtAudience: AUD });
  const good = await hsToken({ scope: 'events:write recommendations:read' });
  assert.equal((await a.inject({ url: REC, headers: bearer(good) })).statusCode, 200);
  const noScope = await a.inject({ url: REC, headers: bearer(await hsToken({ scope: 'events:write' })) });
  assert.equal(noScope.statusCode, 403);
  assert.equal(errorShape(noScope.json()).code, 'PYMK_FORBIDDEN');
  const expired = await a.inject({ url: REC, headers: bearer(await hsToken({ scope: 'recommendations:read' }, Math.floor(Date.now() / 1000) - 60)) });
  assert.equal(expired.statusCode, 401);
  assert.equal(errorShape(expired.json()).code, 'PYMK_UNAUTHORIZED');
  assert.match(expired.json().message, /expired/);
  const otherIss = await new SignJWT({ scope: 'recommendations:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://evil.test').setAudience(AUD).setSubject('x').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
  const otherAud = await new SignJWT({ scope: 'recommendations:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience('other').setSubject('x').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
  const otherKey = await hsToken({ scope: 'recommendations:read' }, '5m', 'another-secret-that-is-long-enough-too!!');
  for (const t of [otherIss, otherAud, otherKey, good.slice(0, -3)]) {
    const r = await a.inject({ url: REC, headers: bearer(t) });
    assert.equal(r.statusCode, 401);
    assert.equal(r.json().code, 'PYMK_UNAUTHORIZED');
  }
  await a.close();
});

test('JWT with a PEM public key (RS256): verified; an HS256 token signed with the PEM text is refused', async () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const pemFile = join(dir, 'jwt.pem');
  await writeFile(pemFile, pem);
  for (const source of [pem, pemFile]) {
    const a = await worldApp({ jwtPublicKey: source, jwtIssuer: ISS, jwtAudience: AUD });
    const t = await new SignJWT({ scope: 'recommendations:read' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(ISS).setAudience(AUD).setSubject('svc').setExpirationTime('5m').sign(privateKey);
    assert.equal((await a.inject({ url: REC, headers: bearer(t) })).statusCode, 200);
    const confused = await new SignJWT({ scope: 'recommendations:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISS).setAudience(AUD).setSubject('svc').setExpirationTime('5m').sign(new TextEncoder().encode(pem));
    assert.equal((await a.inject({ url: REC, headers: bearer(confused) })).statusCode, 401);
    await a.close();
  }
});

test('JWT with a JWKS file: the key is picked by kid; an unknown kid is 401', async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const file = join(dir, 'jwks.json');
  await writeFile(file, JSON.stringify({ keys: [jwk] }));
  const a = await worldApp({ jwks: file, jwtIssuer: ISS, jwtAudience: AUD });
  const sign = (kid: string, scope: string) => new SignJWT({ scope }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer(ISS).setAudience(AUD).setSubject('svc').setExpirationTime('5m').sign(privateKey);
  assert.equal((await a.inject({ url: REC, headers: bearer(await sign('k1', 'recommendations:read')) })).statusCode, 200);
  assert.equal((await a.inject({ url: REC, headers: bearer(await sign('k1', 'admin')) })).statusCode, 403);
  const unknown = await a.inject({ url: REC, headers: bearer(await sign('k2', 'recommendations:read')) });
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.json().code, 'PYMK_UNAUTHORIZED');
  assert.ok(await exportSPKI(publicKey)); // the key pair is a real one
  await a.close();
});

test('config: a JWT source needs issuer and audience; a missing keys file fails at start', async () => {
  const { loadConfig } = await import('../../src/core/config.js');
  assert.throws(() => loadConfig({ jwtSecret: SECRET }, {}), /PYMK_JWT_ISSUER/);
  assert.throws(() => loadConfig({}, { PYMK_JWT_SECRET: SECRET, PYMK_JWT_ISSUER: ISS }), /PYMK_JWT_ISSUER and PYMK_JWT_AUDIENCE/);
  const c = loadConfig({}, { PYMK_KEYS_FILE: '/x/keys.json', PYMK_JWKS: '/x/jwks.json', PYMK_JWT_ISSUER: ISS, PYMK_JWT_AUDIENCE: AUD });
  assert.equal(c.keysFile, '/x/keys.json');
  assert.equal(c.jwks, '/x/jwks.json');
  await assert.rejects(worldApp({ keysFile: join(dir, 'missing.json') }), /does not exist/);
});
