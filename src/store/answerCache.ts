/**
 * L2: answers already computed, shared by every serving process, read before the recommend path runs and
 * deleted for both users of every event by the invalidator. One small interface, chosen by URL like the
 * stores and the rate limiter:
 *
 * - `memory://` — the embedded default: in this process (useful beside the memory store, where every
 *   answer is computed here anyway; the interface is the same).
 * - `redis://…` / `redis-cluster://…` — one hash per user (`<prefix>:l2:<user>`, field = limit), written by
 *   lua/answer_set.lua with the hash's expiry renewed, so one DEL drops every limit of a user.
 *
 * An entry records the bundle version it was computed from and when (`computedAt`, epoch ms): a reader
 * uses it only for the version it serves and within the TTL (checked on read as well, since a hash that
 * keeps being written keeps living). Errors reach the caller (the HTTP tier counts them and computes).
 */
import { PymkError, unknownName } from '../core/errors.js';
import { openKvTarget } from './index.js';
import type { KvClient } from './kv.js';

export interface CachedAnswer {
  version: string;
  /** When it was computed, epoch ms. */
  computedAt: number;
  /** The answer as the HTTP tier serves it (opaque here). */
  body: unknown;
}

export interface AnswerCache {
  /** 'memory' or 'redis'. */
  readonly kind: string;
  readonly ttlMs: number;
  /** The answer for (user, limit) computed from `version` within the TTL, else null. */
  get(user: string, limit: number, version: string): Promise<CachedAnswer | null>;
  set(user: string, limit: number, answer: CachedAnswer): Promise<void>;
  /** Drops every answer of these users. */
  delete(users: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export interface AnswerCacheOptions {
  ttlMs: number;
  /** Milliseconds clock for the age check (tests; default Date.now). */
  clock?: () => number;
  /** Users the memory cache keeps at most (least recently used dropped beyond it). */
  maxUsers?: number;
}

function fresh(a: CachedAnswer | null | undefined, version: string, now: number, ttlMs: number): CachedAnswer | null {
  return a && a.version === version && now - a.computedAt < ttlMs && now >= a.computedAt - ttlMs ? a : null;
}

/** Answers in this process. */
export class MemoryAnswerCache implements AnswerCache {
  readonly kind = 'memory';
  readonly ttlMs: number;
  private readonly users = new Map<string, Map<number, CachedAnswer>>();
  private readonly clock: () => number;
  private readonly maxUsers: number;

  constructor(opts: AnswerCacheOptions) {
    this.ttlMs = opts.ttlMs;
    this.clock = opts.clock ?? Date.now;
    this.maxUsers = opts.maxUsers ?? 100_000;
  }

  async get(user: string, limit: number, version: string): Promise<CachedAnswer | null> {
    return fresh(this.users.get(user)?.get(limit), version, this.clock(), this.ttlMs);
  }

  async set(user: string, limit: number, answer: CachedAnswer): Promise<void> {
    const byLimit = this.users.get(user) ?? new Map<number, CachedAnswer>();
    byLimit.set(limit, structuredClone(answer));
    // Re-insert so the Map's order is least recently written first.
    this.users.delete(user);
    this.users.set(user, byLimit);
    if (this.users.size > this.maxUsers) this.users.delete(this.users.keys().next().value as string);
  }

  async delete(users: readonly string[]): Promise<void> {
    for (const u of users) this.users.delete(u);
  }

  async close(): Promise<void> {
    this.users.clear();
  }
}

/** Answers in Redis, shared by every process using the same Redis and prefix. */
export class RedisAnswerCache implements AnswerCache {
  readonly kind = 'redis';
  readonly ttlMs: number;
  private readonly clock: () => number;

  constructor(
    private readonly kv: KvClient,
    private readonly prefix: string,
    opts: AnswerCacheOptions,
  ) {
    this.ttlMs = opts.ttlMs;
    this.clock = opts.clock ?? Date.now;
  }

  async get(user: string, limit: number, version: string): Promise<CachedAnswer | null> {
    const raw = await this.kv.script('answerGet', [this.key(user)], [limit]);
    if (raw === null || raw === undefined) return null;
    let a: CachedAnswer;
    try {
      a = JSON.parse(String(raw)) as CachedAnswer;
    } catch {
      throw new PymkError('PYMK_STORE_INVALID', `${this.key(user)}[${limit}]: cached answer is not JSON`);
    }
    if (typeof a?.version !== 'string' || typeof a.computedAt !== 'number') throw new PymkError('PYMK_STORE_INVALID', `${this.key(user)}[${limit}]: not a cached answer`);
    return fresh(a, version, this.clock(), this.ttlMs);
  }

  async set(user: string, limit: number, answer: CachedAnswer): Promise<void> {
    await this.kv.script('answerSet', [this.key(user)], [limit, JSON.stringify(answer), this.ttlMs]);
  }

  async delete(users: readonly string[]): Promise<void> {
    await this.kv.del(users.map((u) => this.key(u)));
  }

  /** The user's hash; the id in braces keeps it in one slot on a cluster. */
  key(user: string): string {
    return `${this.prefix}:l2:{${user}}`;
  }

  close(): Promise<void> {
    return this.kv.close();
  }
}

const OPENERS: Record<string, (url: string, opts: AnswerCacheOptions) => Promise<AnswerCache>> = {
  'memory:': async (_url, opts) => new MemoryAnswerCache(opts),
  'redis:': openRedis,
  'redis-cluster:': openRedis,
};

async function openRedis(url: string, opts: AnswerCacheOptions): Promise<AnswerCache> {
  const t = await openKvTarget(url);
  return new RedisAnswerCache(t.kv, t.space.prefix, opts);
}

/** Opens an answer cache by URL scheme; an unknown scheme fails with the list of known ones. */
export async function openAnswerCache(url: string, opts: AnswerCacheOptions): Promise<AnswerCache> {
  if (!(opts.ttlMs > 0)) throw new PymkError('PYMK_CONFIG', `answer cache TTL must be > 0 ms, got ${opts.ttlMs}`);
  const m = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `answer cache '${url}' is not a URL (memory://, redis://127.0.0.1:6379?prefix=pymk)`);
  const open = OPENERS[m[1].toLowerCase()];
  if (!open) throw unknownName('answer cache scheme', m[1].toLowerCase(), Object.keys(OPENERS));
  return open(url, opts);
}
