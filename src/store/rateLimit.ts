/**
 * Rate limiting: one token bucket per client, behind one small interface, chosen by URL like the stores.
 *
 * - `memory://` — the embedded default: buckets in this process (each process limits on its own).
 * - `redis://…` / `redis-cluster://…` — buckets in Redis, taken atomically by a Lua script
 *   (lua/token_bucket.lua) on the Redis server's clock, so every process sharing the Redis shares each
 *   client's bucket: N servers do not allow N times the limit. Keys: `<prefix>:rl:<client>`, the prefix
 *   from the URL's `?prefix=` (default `pymk`).
 *
 * A bucket holds up to `burst` tokens and refills at `perSecond`; a request takes one. Errors of the Redis
 * limiter reach the caller (the HTTP tier decides to fail open and counts them).
 */
import { PymkError, unknownName } from '../core/errors.js';
import { openKvTarget } from './index.js';
import type { KvClient } from './kv.js';

export interface BucketRule {
  /** Tokens added per second (> 0). */
  perSecond: number;
  /** Bucket size: requests allowed at once after being idle (>= 1). */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** The bucket size (RateLimit-Limit). */
  limit: number;
  /** Whole tokens left after this request (RateLimit-Remaining). */
  remaining: number;
  /** Milliseconds until a token is there again; 0 when allowed (Retry-After). */
  retryAfterMs: number;
  /** Milliseconds until the bucket is full again (RateLimit-Reset). */
  resetMs: number;
}

export interface RateLimiter {
  /** 'memory' or 'redis'. */
  readonly kind: string;
  /** Takes one token from `client`'s bucket. */
  take(client: string, rule: BucketRule): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  /** Milliseconds clock of the memory limiter (tests). The Redis limiter uses the server's clock. */
  clock?: () => number;
  /** Buckets the memory limiter keeps at most (the least recently used beyond it are dropped: they refill). */
  maxClients?: number;
}

function checkRule(rule: BucketRule): void {
  if (!(rule.perSecond > 0) || !(rule.burst >= 1)) {
    throw new PymkError('PYMK_CONFIG', `rate limit needs perSecond > 0 and burst >= 1, got ${rule.perSecond}/${rule.burst}`);
  }
}

/** Buckets in this process. */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory';
  private readonly buckets = new Map<string, { tokens: number; ts: number }>();
  private readonly clock: () => number;
  private readonly maxClients: number;

  constructor(opts: RateLimiterOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.maxClients = opts.maxClients ?? 100_000;
  }

  async take(client: string, rule: BucketRule): Promise<RateDecision> {
    checkRule(rule);
    const now = this.clock();
    const b = this.buckets.get(client);
    let tokens = b ? Math.min(rule.burst, b.tokens + (Math.max(0, now - b.ts) * rule.perSecond) / 1000) : rule.burst;
    let allowed = false;
    let retryAfterMs = 0;
    if (tokens >= 1) {
      tokens -= 1;
      allowed = true;
    } else {
      retryAfterMs = Math.ceil(((1 - tokens) * 1000) / rule.perSecond);
    }
    // Re-insert so the Map's order is least recently used first.
    this.buckets.delete(client);
    this.buckets.set(client, { tokens, ts: now });
    if (this.buckets.size > this.maxClients) this.buckets.delete(this.buckets.keys().next().value as string);
    const resetMs = Math.ceil(((rule.burst - tokens) * 1000) / rule.perSecond);
    return { allowed, limit: rule.burst, remaining: Math.floor(tokens), retryAfterMs, resetMs };
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** Buckets in Redis, shared by every process using the same Redis and prefix. */
export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis';

  constructor(
    private readonly kv: KvClient,
    private readonly prefix: string,
  ) {}

  async take(client: string, rule: BucketRule): Promise<RateDecision> {
    checkRule(rule);
    const reply = await this.kv.script('tokenBucket', [this.key(client)], [rule.perSecond, rule.burst, 1]);
    if (!Array.isArray(reply) || reply.length !== 4) throw new PymkError('PYMK_STORE_INVALID', `token_bucket.lua answered ${JSON.stringify(reply)}`);
    const [allowed, remaining, retryAfterMs, resetMs] = reply.map(Number);
    return { allowed: allowed === 1, limit: rule.burst, remaining, retryAfterMs, resetMs };
  }

  /** The bucket's key. Client ids are short (a key id, an IP, a JWT subject) but are capped all the same. */
  key(client: string): string {
    return `${this.prefix}:rl:${client.slice(0, 200)}`;
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}

const OPENERS: Record<string, (url: string, opts: RateLimiterOptions) => Promise<RateLimiter>> = {
  'memory:': async (_url, opts) => new MemoryRateLimiter(opts),
  'redis:': openRedis,
  'redis-cluster:': openRedis,
};

async function openRedis(url: string): Promise<RateLimiter> {
  const t = await openKvTarget(url);
  return new RedisRateLimiter(t.kv, t.space.prefix);
}

/** Opens a rate limiter by URL scheme; an unknown scheme fails with the list of known ones. */
export async function openRateLimiter(url: string, opts: RateLimiterOptions = {}): Promise<RateLimiter> {
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `rate limit store '${url}' is not a URL (memory://, redis://127.0.0.1:6379)`);
  const open = OPENERS[m[1].toLowerCase()];
  if (!open) throw unknownName('rate limit store scheme', m[1].toLowerCase(), Object.keys(OPENERS));
  return open(url, opts);
}
