/** Loads a complete, validated bundle into a serving Snapshot (the memory store's data). */
import { Dictionary } from '../core/dictionary.js';
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS, type ProfileField, type ProfileTable } from '../core/tables.js';
import { Graph } from '../graph/csr.js';
import { completePairFeatures, type Snapshot } from '../store/snapshot.js';
import { ARTIFACTS, CANDIDATE_COLUMNS, EXCLUSION_COLUMNS, GRAPH_COLUMNS, LIST_COLUMNS, PAIR_EXTRA_COLUMNS, PROFILE_COLUMNS } from './artifacts.js';
import type { ColumnSpec, ColumnsOf } from './binary.js';
import { openBundle } from './bundle.js';

/** What the loader needs of a bundle: an opened Bundle or a running stage's context both fit. */
export interface ArtifactReader {
  has(name: string): boolean;
  readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  readJson<T = unknown>(name: string): Promise<T>;
}

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

export async function readIds(b: ArtifactReader): Promise<Dictionary> {
  const ids = await b.readJson<unknown>(ARTIFACTS.ids);
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${ARTIFACTS.ids}: expected a JSON array of strings`);
  }
  return Dictionary.from(ids as string[]);
}

export async function readProfiles(b: ArtifactReader, n: number): Promise<ProfileTable> {
  const cols = await b.readArrays(ARTIFACTS.profiles, PROFILE_COLUMNS);
  const dictJson = await b.readJson<Record<string, unknown>>(ARTIFACTS.dicts);
  const dicts = {} as Record<ProfileField, Dictionary>;
  for (const f of PROFILE_FIELDS) {
    const vals = dictJson[f];
    if (!Array.isArray(vals)) throw new PymkError('PYMK_BUNDLE_INVALID', `${ARTIFACTS.dicts}: missing dictionary '${f}'`);
    dicts[f] = Dictionary.from(vals as string[]);
  }
  if (cols.flags.length !== n) throw new PymkError('PYMK_BUNDLE_INVALID', `${ARTIFACTS.profiles}: ${cols.flags.length} rows for ${n} users`);
  return {
    n,
    dicts,
    codes: { company: cols.company, school: cols.school, location: cols.location, industry: cols.industry },
    seniority: cols.seniority,
    joinedAt: cols.joinedAt,
    flags: cols.flags,
  };
}
