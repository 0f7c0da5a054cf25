/** Reads the id dictionary and the profile table of a bundle (or of a running stage's artifacts). */
import { CANDIDATES_PER_USER } from '../core/config.js';
import { Dictionary } from '../core/dictionary.js';
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS, type ProfileField, type ProfileTable } from '../core/tables.js';
import { ARTIFACTS, PROFILE_COLUMNS } from './artifacts.js';
import type { ColumnSpec, ColumnsOf } from './binary.js';

/** What the loader needs of a bundle: an opened Bundle or a running stage's context both fit. */
export interface ArtifactReader {
  has(name: string): boolean;
  readArrays<S extends ColumnSpec>(name: string, expect: S): Promise<ColumnsOf<S>>;
  readJson<T = unknown>(name: string): Promise<T>;
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

/** Candidates per user the bundle's candidates stage kept (its manifest schema), for live 2-hop answers. */
export function candidatesPerUser(manifest: { schema: unknown }): number {
  const topN = (manifest.schema as { candidates?: { topN?: unknown } } | null)?.candidates?.topN;
  return Number.isInteger(topN) && (topN as number) > 0 ? (topN as number) : CANDIDATES_PER_USER;
}
