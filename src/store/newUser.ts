/**
 * A user created online (StoreWriter.createUser), as both stores write it: the profile's names coded with
 * the served version's dictionaries (an unseen value is unknown, -1), degree 0, no flags.
 */
import { PROFILE_FIELDS, type ProfileField } from '../core/tables.js';
import type { ProfileRow } from './codec.js';
import type { NewUserProfile } from './types.js';

/** The profile row of a new user; `code` gives a value's dictionary code, or -1 when the version has none for it. */
export function newUserRow(profile: NewUserProfile, code: (field: ProfileField, value: string) => number): ProfileRow {
  const coded = {} as Record<ProfileField, number>;
  for (const f of PROFILE_FIELDS) {
    const v = profile[f];
    coded[f] = v === null || v === undefined ? -1 : code(f, v);
  }
  return { ...coded, seniority: profile.seniority ?? -1, flags: 0, degree: 0 };
}

/** Row i of `cols` with the fields present in `changes` replaced (null = unknown, -1). */
export function applyProfileChanges(cols: Record<ProfileField | 'seniority', { [i: number]: number }>, i: number, changes: NewUserProfile, code: (field: ProfileField, value: string) => number): void {
  for (const f of PROFILE_FIELDS) {
    if (!(f in changes) || changes[f] === undefined) continue;
    const v = changes[f];
    cols[f][i] = v === null ? -1 : code(f, v);
  }
  if ('seniority' in changes && changes.seniority !== undefined) cols.seniority[i] = changes.seniority ?? -1;
}

/** A profile row with the fields present in `changes` replaced. */
export function changedRow(row: ProfileRow, changes: NewUserProfile, code: (field: ProfileField, value: string) => number): ProfileRow {
  const cols = { company: [row.company], school: [row.school], location: [row.location], industry: [row.industry], seniority: [row.seniority] };
  applyProfileChanges(cols, 0, changes, code);
  return { ...row, company: cols.company[0], school: cols.school[0], location: cols.location[0], industry: cols.industry[0], seniority: cols.seniority[0] };
}
