/**
 * Opens an online store by URL scheme. Each backend registers one opener; an unknown scheme fails with the
 * list of known ones.
 */
import { PymkError, unknownName } from '../core/errors.js';
import { twoHop, TwoHopScratch } from '../graph/twoHop.js';
import { MemoryStore, type LiveCandidates } from './memory.js';
import type { Snapshot } from './snapshot.js';
import type { OnlineStore } from './types.js';

export type { OnlineStore, RankingInputs, UserColumns, CandidateSource } from './types.js';
export type { Snapshot } from './snapshot.js';
export { MemoryStore } from './memory.js';

export interface OpenStoreOptions {
  /** The data to serve (required by memory://). */
  snapshot?: Snapshot;
  /** Candidates kept when computing a live 2-hop list for a user without a stored one. */
  liveTopN?: number;
}

type Opener = (url: URL, opts: OpenStoreOptions) => Promise<OnlineStore>;

const OPENERS: Record<string, Opener> = {
  'memory:': async (url, opts) => {
    if (!opts.snapshot) throw new PymkError('PYMK_CONFIG', 'memory:// store needs a bundle to serve (--bundle DIR)');
    return new MemoryStore(opts.snapshot, url.href, liveTwoHop(opts.liveTopN ?? 200));
  },
};

export async function openStore(url: string, opts: OpenStoreOptions = {}): Promise<OnlineStore> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PymkError('PYMK_CONFIG', `store URL '${url}' is not a URL (e.g. memory://)`);
  }
  const open = OPENERS[parsed.protocol];
  if (!open) throw unknownName('store scheme', parsed.protocol, Object.keys(OPENERS));
  return open(parsed, opts);
}

/** Live 2-hop candidates over the snapshot's graph, with one reusable scratch buffer per graph size. */
export function liveTwoHop(topN: number): LiveCandidates {
  let scratch: TwoHopScratch | null = null;
  return (snap, uid) => {
    if (uid >= snap.graph.n || snap.graph.degree(uid) === 0) return null;
    if (!scratch || scratch.n !== snap.graph.n) scratch = new TwoHopScratch(snap.graph.n, topN);
    const c = twoHop(snap.graph, uid, { topN }, scratch);
    return { ids: c.cand, score: c.score, features: c.features };
  };
}
