/**
 * Who must not be shown to whom since the bundle was built, learnt from the invalidation announcements:
 * the pairs of connection.created and block (both ways) and dismiss (actor → target), and the users
 * deactivated or banned (hidden from everyone). The full path reads the pairs from the store; the
 * fallbacks (the precomputed static lists, the bundle on disk, the last cached answer) were computed before
 * the events, so their answers are filtered by all of them: a degraded answer never shows a blocked,
 * dismissed, connected or banned user either (docs/serving.md, "Degradation"). Bans reach other users'
 * stored lists on Redis only at the next publish (set_flags.lua changes the user's own rows), so every
 * answer served — full path and cache hits too — is filtered by the banned users (`withoutHidden`).
 *
 * Exclusions are kept, oldest dropped first, up to `max` pairs per process. They are never lifted: an
 * unblock or a removed connection only lets the pair back into full-path answers.
 */
import { EVERYONE } from '../core/tables.js';
import type { RecommendResult } from '../recommend/recommend.js';

/** A viewer and a user never to show them; viewer EVERYONE hides the user from everyone. */
export type ExcludedPair = readonly [viewer: string, hidden: string];



export class LiveExclusions {
  private readonly pairs = new Set<string>();
  /** Pairs with viewer EVERYONE among them (so an answer is not scanned while there are none). */
  private hidden = 0;

  constructor(private readonly max = 1_000_000) {}

  get size(): number {
    return this.pairs.size;
  }

  add(pairs: readonly ExcludedPair[]): void {
    for (const [viewer, hidden] of pairs) {
      const k = key(viewer, hidden);
      if (this.pairs.delete(k)) this.count(k, -1); // re-added: now the newest
      this.pairs.add(k);
      this.count(k, 1);
    }
    for (const k of this.pairs) {
      if (this.pairs.size <= this.max) break;
      this.pairs.delete(k);
      this.count(k, -1);
    }
  }

  private count(k: string, by: number): void {
    if (k.startsWith(EVERYONE)) this.hidden += by;
  }

  /** The answer without the users hidden from everyone (bans) since the bundle (the same object when none are). */
  withoutHidden(r: RecommendResult): RecommendResult {
    if (this.hidden === 0) return r;
    const keep = r.recommendations.filter((x) => !this.pairs.has(key(EVERYONE, x.id)));
    return keep.length === r.recommendations.length ? r : { ...r, recommendations: keep };
  }

  /** The answer without the users excluded for its user since the bundle was built (the same object when none are). */
  filter(r: RecommendResult): RecommendResult {
    if (this.pairs.size === 0) return r;
    const keep = r.recommendations.filter((x) => !this.pairs.has(key(r.user, x.id)) && !this.pairs.has(key(EVERYONE, x.id)));
    return keep.length === r.recommendations.length ? r : { ...r, recommendations: keep };
  }
}

const key = (viewer: string, hidden: string): string => `${viewer}\u0000${hidden}`;
