/**
 * Node inputs of the encoder: a sparse row of (slot, value) pairs per user. A slot is a row of the first
 * layer's tables, so "hashed categorical embeddings" are simply the table rows of the hashed slots.
 *
 * Profile slots (ProfileSpec): each categorical field hashes its *string value* into its own bucket range
 * (so a model stays valid across bundles whose dictionaries number values differently, and a company never
 * seen in training still lands on a trained-or-empty row), plus one "missing" slot per field; seniority
 * (0..10) is one-hot; two numeric slots carry seniority/10 and the account age (log scale). The online path
 * (`profileRowInputs`) and the batch path (`profileInputs`) share `slotOf`, the one hashing rule.
 *
 * Given feature vectors (Cora bag-of-words) become `listInputs`: value 1/√nnz per listed feature.
 */
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS, type ProfileField, type ProfileTable } from '../core/tables.js';

/** Sparse inputs: node u's slots are index[offsets[u] .. offsets[u+1]) with weights in value. */
export interface NodeInputs {
  n: number;
  /** Number of slots (rows of the first-layer tables). */
  slots: number;
  offsets: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

/** How profile fields map to slots; saved with the model. */
export interface ProfileSpec {
  kind: 'profile';
  /** Hash buckets per categorical field. */
  buckets: Record<ProfileField, number>;
  /** Account age is measured at this time (epoch s): the newest joinedAt of the training data. */
  refTime: number;
}

/** Inputs given as feature lists (e.g. bag-of-words), `dim` distinct features. */
export interface ListSpec {
  kind: 'list';
  dim: number;
}

export type InputSpec = ProfileSpec | ListSpec;

/** A profile as the online path receives it (fields missing or null when unknown). */
export interface ProfileRow {
  company?: string | null;
  school?: string | null;
  location?: string | null;
  industry?: string | null;
  seniority?: number | null;
  joinedAt?: number | null;
}

export const DEFAULT_BUCKETS: Readonly<Record<ProfileField, number>> = Object.freeze({ company: 65536, school: 16384, location: 4096, industry: 512 });
const SENIORITY_LEVELS = 11;
/** Slots per profile: one per categorical field, seniority one-hot, two numeric. */
export const PROFILE_NNZ = PROFILE_FIELDS.length + 3;
const AGE_SCALE = Math.log1p(3650);

/** A ProfileSpec with default buckets and the newest joinedAt as the reference time. */
export function profileSpec(profiles: ProfileTable, buckets: Record<ProfileField, number> = DEFAULT_BUCKETS): ProfileSpec {
  let ref = 0;
  for (let u = 0; u < profiles.n; u++) if (profiles.joinedAt[u] > ref) ref = profiles.joinedAt[u];
  return { kind: 'profile', buckets: { ...buckets }, refTime: ref };
}

/** Total slots of a spec. */
export function slotCount(spec: InputSpec): number {
  if (spec.kind === 'list') return spec.dim;
  let s = 0;
  for (const f of PROFILE_FIELDS) s += spec.buckets[f] + 1;
  return s + SENIORITY_LEVELS + 1 + 2;
}

/** First slot of each part of a profile spec. */
function layout(spec: ProfileSpec): { field: Record<ProfileField, number>; seniority: number; numeric: number } {
  const field = {} as Record<ProfileField, number>;
  let s = 0;
  for (const f of PROFILE_FIELDS) {
    field[f] = s;
    s += spec.buckets[f] + 1;
  }
  return { field, seniority: s, numeric: s + SENIORITY_LEVELS + 1 };
}

/** The slot of a categorical value: its field's hash bucket, or the field's "missing" slot for null/''. */
export function slotOf(spec: ProfileSpec, field: ProfileField, value: string | null | undefined, base = layout(spec).field[field]): number {
  const b = spec.buckets[field];
  if (value == null || value === '') return base + b;
  return base + (hashString(value, FIELD_SALT[field]) % b);
}

const FIELD_SALT: Record<ProfileField, number> = { company: 0x1b873593, school: 0x85ebca6b, location: 0xc2b2ae35, industry: 0x27d4eb2f };

/** FNV-1a over UTF-16 code units, salted, with a murmur finaliser; unsigned. */
export function hashString(s: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Writes one profile's slots into index/value at `at`; returns the number written (always PROFILE_NNZ). */
function writeProfile(spec: ProfileSpec, lay: ReturnType<typeof layout>, cat: Record<ProfileField, number>, seniority: number, joinedAt: number, index: Int32Array, value: Float32Array, at: number): number {
  let k = at;
  for (const f of PROFILE_FIELDS) {
    index[k] = cat[f];
    value[k++] = 1;
  }
  const s = seniority >= 0 && seniority < SENIORITY_LEVELS ? seniority : SENIORITY_LEVELS;
  index[k] = lay.seniority + s;
  value[k++] = 1;
  index[k] = lay.numeric;
  value[k++] = s < SENIORITY_LEVELS ? s / 10 : 0;
  index[k] = lay.numeric + 1;
  const ageDays = joinedAt > 0 ? Math.max(0, spec.refTime - joinedAt) / 86400 : 0;
  value[k++] = Math.log1p(ageDays) / AGE_SCALE;
  return k - at;
}

/** Inputs for every user of a profile table (users past profiles.n get an all-missing profile). */
export function profileInputs(spec: ProfileSpec, profiles: ProfileTable, n = profiles.n): NodeInputs {
  const lay = layout(spec);
  // Hash each dictionary value once; users then only look up their codes.
  const codeSlots = {} as Record<ProfileField, Int32Array>;
  for (const f of PROFILE_FIELDS) {
    const values = profiles.dicts[f].toArray();
    codeSlots[f] = Int32Array.from(values, (v) => slotOf(spec, f, v, lay.field[f]));
  }
  const offsets = new Int32Array(n + 1);
  const index = new Int32Array(n * PROFILE_NNZ);
  const value = new Float32Array(n * PROFILE_NNZ);
  const cat = {} as Record<ProfileField, number>;
  for (let u = 0; u < n; u++) {
    const known = u < profiles.n;
    for (const f of PROFILE_FIELDS) {
      const c = known ? profiles.codes[f][u] : -1;
      cat[f] = c >= 0 ? codeSlots[f][c] : lay.field[f] + spec.buckets[f];
    }
    writeProfile(spec, lay, cat, known ? profiles.seniority[u] : -1, known ? profiles.joinedAt[u] : 0, index, value, u * PROFILE_NNZ);
    offsets[u + 1] = (u + 1) * PROFILE_NNZ;
  }
  return { n, slots: slotCount(spec), offsets, index, value };
}

/** The inputs of one profile given online (a new user): a one-row NodeInputs. */
export function profileRowInputs(spec: ProfileSpec, row: ProfileRow): NodeInputs {
  const lay = layout(spec);
  const cat = {} as Record<ProfileField, number>;
  for (const f of PROFILE_FIELDS) cat[f] = slotOf(spec, f, row[f], lay.field[f]);
  const index = new Int32Array(PROFILE_NNZ);
  const value = new Float32Array(PROFILE_NNZ);
  writeProfile(spec, lay, cat, row.seniority ?? -1, row.joinedAt ?? 0, index, value, 0);
  return { n: 1, slots: slotCount(spec), offsets: Int32Array.of(0, PROFILE_NNZ), index, value };
}

/** Inputs from feature lists (features[u] = indices in 0..dim-1), each weighted 1/√(list length). */
export function listInputs(features: ArrayLike<ArrayLike<number>>, dim: number): NodeInputs {
  const n = features.length;
  const offsets = new Int32Array(n + 1);
  for (let u = 0; u < n; u++) offsets[u + 1] = offsets[u] + features[u].length;
  const index = new Int32Array(offsets[n]);
  const value = new Float32Array(offsets[n]);
  for (let u = 0; u < n; u++) {
    const f = features[u];
    const w = f.length > 0 ? 1 / Math.sqrt(f.length) : 0;
    for (let i = 0; i < f.length; i++) {
      if (!(f[i] >= 0 && f[i] < dim)) throw new PymkError('PYMK_BAD_INPUT', `feature ${f[i]} of node ${u} outside 0..${dim - 1}`);
      index[offsets[u] + i] = f[i];
      value[offsets[u] + i] = w;
    }
  }
  return { n, slots: dim, offsets, index, value };
}

/** Inputs without any slots (structure-only data: the model then relies on identity embeddings). */
export function emptyInputs(n: number): NodeInputs {
  return { n, slots: 0, offsets: new Int32Array(n + 1), index: new Int32Array(0), value: new Float32Array(0) };
}
