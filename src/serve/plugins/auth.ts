/**
 * Authentication and scopes. A credential is `authorization: Bearer <token>` (an API key or a JWT) or
 * `x-api-key: <key>`. Tokens shaped like a JWT go to the JWT verifier when one is configured; anything else
 * is looked up as an API key. Every route that is not `config.public` needs a valid credential (401
 * PYMK_UNAUTHORIZED otherwise); a route's `config.scope` must be among the credential's scopes (403
 * PYMK_FORBIDDEN otherwise). Auth is off when no key and no JWT verifier is configured (local default).
 *
 * Identification runs onRequest, before the rate limiter (which keys its buckets by the principal, else the
 * IP, so guessing keys is rate limited too); the refusal is raised in preParsing, after it.
 */
import fp from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { PymkError } from '../../core/errors.js';
import { looksLikeJwt, type JwtVerifier } from '../jwt.js';
import type { KeyRing } from '../keys.js';
import '../context.js';

export interface AuthOptions {
  keys: KeyRing;
  jwt: JwtVerifier | null;
}

/** The presented credential, or undefined. */
function credential(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h !== undefined) {
    const m = /^Bearer +(\S+) *$/i.exec(h);
    return m ? m[1] : '';
  }
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k.trim() : undefined;
}

const auth: FastifyPluginAsync<AuthOptions> = async (app, { keys, jwt }) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('authError', null);
  if (!keys.configured && !jwt) return;
  await keys.reload(true);

  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.config.public) return;
    const token = credential(req);
    if (token === undefined) {
      req.authError = new PymkError('PYMK_UNAUTHORIZED', 'missing credential: send authorization: Bearer <API key or JWT>, or x-api-key: <key>');
      return;
    }
    if (jwt && looksLikeJwt(token)) {
      try {
        req.principal = await jwt.verify(token);
      } catch (e) {
        req.authError = e instanceof PymkError ? e : new PymkError('PYMK_UNAUTHORIZED', 'invalid token');
      }
      return;
    }
    await keys.refresh();
    req.principal = token === '' ? null : keys.verify(token);
    if (!req.principal) req.authError = new PymkError('PYMK_UNAUTHORIZED', 'invalid, unknown or revoked API key');
  });

  app.addHook('preParsing', async (req) => {
    if (req.routeOptions.config.public) return;
    if (req.authError) throw req.authError;
    const scope = req.routeOptions.config.scope;
    if (scope && !req.principal?.scopes.has(scope)) {
      throw new PymkError('PYMK_FORBIDDEN', `this credential lacks the scope '${scope}' that ${req.method} ${req.routeOptions.url} needs`);
    }
  });
};

export const authPlugin = fp(auth, { name: 'pymk-auth', fastify: '5.x' });
