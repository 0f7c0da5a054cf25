/** Loads a complete, validated bundle into a serving Snapshot (the memory store's data). */
import { ARTIFACTS, CANDIDATE_COLUMNS, EXCLUSION_COLUMNS, GRAPH_COLUMNS, LIST_COLUMNS, PAIR_EXTRA_COLUMNS } from '../bundle/artifacts.js';
import { openBundle } from '../bundle/bundle.js';
import { readIds, readProfiles, type ArtifactReader } from '../bundle/read.js';
import { PymkError } from '../core/errors.js';
import { Graph } from '../graph/csr.js';
import { completePairFeatures, type Snapshot } from './snapshot.js';

export async function loadSnapshot(dir: string): Promise<Snapshot> {
  const b = await openBundle(dir);
  return snapshotFrom(b, b.version);
}

/** Assembles a Snapshot from the artifacts; `lists` are optional (the stage that builds them reads the rest). */
export async function snapshotFrom(b: ArtifactReader, version: string): Promise<Snapshot> {
  const ids = await readIds(b);
  const profiles = await readProfiles(b, ids.size);
  const g = await b.readArrays(ARTIFACTS.graph, GRAPH_COLUMNS);
  if (g.offsets.length !== ids.size + 1) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${ARTIFACTS.graph}: ${g.offsets.length - 1} rows for ${ids.size} users`);
  }
  const x = await b.readArrays(ARTIFACTS.exclusions, EXCLUSION_COLUMNS);
  const c = await b.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
  // Log-derived pair features (the pair-features stage), zero when the bundle has none.
  const extra = b.has(ARTIFACTS.pairExtra) ? await b.readArrays(ARTIFACTS.pairExtra, PAIR_EXTRA_COLUMNS) : null;
  if (extra && extra.source.length !== c.cand.length) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${ARTIFACTS.pairExtra}: ${extra.source.length} rows for ${c.cand.length} candidates`);
  }
  const lists = b.has(ARTIFACTS.lists) ? await b.readArrays(ARTIFACTS.lists, LIST_COLUMNS) : null;
  return {
    version,
    ids,
    profiles,
    graph: new Graph(ids.size, g.offsets, g.targets, g.times),
    blocked: { offsets: x.blockedOffsets, targets: x.blockedTargets },
    dismissed: { offsets: x.dismissedOffsets, targets: x.dismissedTargets },
    candidates: {
      offsets: c.offsets,
      cand: c.cand,
      score: c.score,
      features: completePairFeatures({ cn: c.cn, aa: c.aa, ra: c.ra, jaccard: c.jaccard, pa: c.pa, ...(extra ?? {}) }, c.cand.length),
    },
    lists,
  };
}
