/**
 * L1: an in-process LRU of recent answers per user, with a TTL. An answer is dropped by the LRU, by its TTL,
 * or when the version served moves on; `evict(user)` drops one user's answers but nothing in src/ calls it yet.
 */
import { LRUCache } from 'lru-cache';
import type { RecommendResult } from '../recommend/recommend.js';

export class ResultCache {
  private readonly lru: LRUCache<string, Map<number, RecommendResult>> | null;
  hits = 0;
  misses = 0;

  constructor(size: number, ttlSeconds: number) {
    this.lru = size > 0 && ttlSeconds > 0 ? new LRUCache({ max: size, ttl: ttlSeconds * 1000 }) : null;
  }

  get(user: string, limit: number, version: string): RecommendResult | undefined {
    const hit = this.lru?.get(user)?.get(limit);
    if (hit && hit.version === version) {
      this.hits++;
      return hit;
    }
    this.misses++;
    return undefined;
  }

  /** The last answer for a user even past its TTL or version (graceful degradation). */
  stale(user: string, limit: number): RecommendResult | undefined {
    return this.lru?.get(user, { allowStale: true })?.get(limit);
  }

  set(user: string, limit: number, result: RecommendResult): void {
    if (!this.lru) return;
    let byLimit = this.lru.get(user);
    if (!byLimit || [...byLimit.values()].some((r) => r.version !== result.version)) byLimit = new Map();
    byLimit.set(limit, result);
    this.lru.set(user, byLimit);
  }

  evict(user: string): void {
    this.lru?.delete(user);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
