/**
 * The bundle on this server's disk as a local store, for the fallbacks of a server whose store is remote
 * (degrade.ts: local-static, local-2hop): ids, profiles, the graph, exclusions and the static lists, as
 * published. Candidate lists and embeddings are left out (they are most of a snapshot's memory): a user
 * without a static list gets live 2-hop over the local graph. Values never expire here.
 */
import { liveTwoHop, MemoryStore, type OnlineStore, type Snapshot } from '../store/index.js';
import { completePairFeatures, EMPTY } from '../store/snapshot.js';

export function localFallback(snap: Snapshot, liveTopN: number): OnlineStore {
  const lean: Snapshot = {
    ...snap,
    candidates: { offsets: new Int32Array(snap.ids.size + 1), cand: EMPTY, score: new Float32Array(0), features: completePairFeatures({}, 0) },
    embeddings: null,
  };
  return new MemoryStore(lean, { url: `bundle://${snap.version}`, live: liveTwoHop(liveTopN), ttl: null });
}
