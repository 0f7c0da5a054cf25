/**
 * JWT bearer tokens (jose): verified with one configured source — a PEM public key (PYMK_JWT_PUBLIC_KEY,
 * the PEM text or a path to it), an HS256 secret (PYMK_JWT_SECRET) or a JWKS (PYMK_JWKS, a file or an
 * http(s) URL) — and the configured issuer and audience. The algorithms accepted follow from the key (an
 * RSA key never accepts HS256: no algorithm confusion). Scopes come from the `scope` claim, space-separated;
 * the principal is the `sub` claim.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../core/config.js';
import { PymkError } from '../core/errors.js';
import type { Principal } from './keys.js';

export interface JwtVerifier {
  /** The principal of a valid token; throws PYMK_UNAUTHORIZED (saying why) otherwise. */
  verify(token: string): Promise<Principal>;
}

const ASYMMETRIC_ALGS: Record<string, string[]> = {
  rsa: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'rsa-pss': ['PS256', 'PS384', 'PS512'],
  ec: ['ES256', 'ES384', 'ES512'],
  ed25519: ['EdDSA', 'Ed25519'],
};
const JWKS_ALGS = [...new Set(Object.values(ASYMMETRIC_ALGS).flat())];

/** True when a bearer token has the shape of a JWS (three base64url parts), so it is verified as a JWT. */
export function looksLikeJwt(token: string): boolean {
  return /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** The verifier the config asks for, or null when no JWT source is configured. */
export async function jwtVerifierFrom(config: Config): Promise<JwtVerifier | null> {
  const { jwtPublicKey, jwtSecret, jwks, jwtIssuer, jwtAudience } = config;
  if (!jwtPublicKey && !jwtSecret && !jwks) return null;
  let key: KeyObject | Uint8Array | JWTVerifyGetKey;
  let algorithms: string[];
  if (jwtSecret) {
    key = new TextEncoder().encode(jwtSecret);
    algorithms = ['HS256'];
  } else if (jwtPublicKey) {
    const pem = jwtPublicKey.includes('-----BEGIN') ? jwtPublicKey : await readText(jwtPublicKey, 'PYMK_JWT_PUBLIC_KEY');
    let k: KeyObject;
    try {
      k = createPublicKey(pem);
    } catch (e) {
      throw new PymkError('PYMK_CONFIG', `PYMK_JWT_PUBLIC_KEY is not a PEM public key: ${(e as Error).message}`);
    }
    algorithms = ASYMMETRIC_ALGS[k.asymmetricKeyType ?? ''] ?? [];
    if (algorithms.length === 0) throw new PymkError('PYMK_CONFIG', `PYMK_JWT_PUBLIC_KEY: unsupported key type '${k.asymmetricKeyType}'`);
    key = k;
  } else {
    const src = jwks as string;
    algorithms = JWKS_ALGS;
    if (/^https?:\/\//i.test(src)) {
      key = createRemoteJWKSet(new URL(src));
    } else {
      try {
        key = createLocalJWKSet(JSON.parse(await readText(src, 'PYMK_JWKS')));
      } catch (e) {
        if (e instanceof PymkError) throw e;
        throw new PymkError('PYMK_CONFIG', `PYMK_JWKS ${src} is not a JSON Web Key Set: ${(e as Error).message}`);
      }
    }
  }
  const options = { issuer: jwtIssuer, audience: jwtAudience, algorithms };
  return {
    async verify(token) {
      try {
        const { payload } =
          typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key as KeyObject | Uint8Array, options);
        if (typeof payload.sub !== 'string' || payload.sub === '') throw new PymkError('PYMK_UNAUTHORIZED', 'token has no sub claim');
        const scope = typeof payload.scope === 'string' ? payload.scope : '';
        return { id: `jwt:${payload.sub}`, scopes: new Set(scope.split(' ').filter(Boolean)) };
      } catch (e) {
        throw unauthorized(e);
      }
    },
  };
}

function unauthorized(e: unknown): PymkError {
  if (e instanceof PymkError) return e;
  if (e instanceof joseErrors.JWTExpired) return new PymkError('PYMK_UNAUTHORIZED', 'token expired');
  if (e instanceof joseErrors.JWTClaimValidationFailed) return new PymkError('PYMK_UNAUTHORIZED', `token rejected: ${e.message}`);
  if (e instanceof joseErrors.JOSEError) return new PymkError('PYMK_UNAUTHORIZED', `invalid token (${e.code})`);
  return new PymkError('PYMK_UNAUTHORIZED', 'invalid token');
}

async function readText(path: string, what: string): Promise<string> {
  if (!existsSync(path)) throw new PymkError('PYMK_CONFIG', `${what}: ${path} does not exist`);
  return readFile(path, 'utf8');
}
