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

/**
 * The codes a profile change sets: `set(field, code)` for each field present in `changes` (null = unknown,
 * -1; a name the version has no code for is unknown too). The one rule for profile rows, packs and the
 * memory store's edits.
 */
export function applyProfileChanges(set: (field: ProfileField | 'seniority', code: number) => void, changes: NewUserProfile, code: (field: ProfileField, value: string) => number): void {
  for (const f of PROFILE_FIELDS) {
    const v = changes[f];
    if (v !== undefined) set(f, v === null ? -1 : code(f, v));
  }
  if (changes.seniority !== undefined) set('seniority', changes.seniority ?? -1);
}
