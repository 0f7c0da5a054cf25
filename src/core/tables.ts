/**
 * Columnar in-memory tables for users, connections and activity events. Ids are dense ints from an IdMap;
 * strings (company, school, …) are dictionary-coded so 1M users and 50M edges fit comfortably in memory.
 * Timestamps are epoch seconds in Uint32 (0 = unknown).
 */
import { Dictionary } from './dictionary.js';

export const PROFILE_FIELDS = ['company', 'school', 'location', 'industry'] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

export const FLAG_DEACTIVATED = 1;
export const FLAG_BANNED = 2;

/**
 * The viewer of an exclusion pair that hides a user from everyone (a ban, in the invalidation messages):
 * NUL, which no user id can contain (events/schema.ts forbids control characters).
 */
export const EVERYONE = '\u0000';

/** One user's profile as it appears in input files and API responses. */
export interface Profile {
  id: string;
  company: string | null;
  school: string | null;
  location: string | null;
  industry: string | null;
  seniority: number | null;
  joinedAt: number | null;
  deactivated: boolean;
  banned: boolean;
}

/** Profiles by dense user id. Categorical codes are -1 when missing. */
export interface ProfileTable {
  n: number;
  dicts: Record<ProfileField, Dictionary>;
  codes: Record<ProfileField, Int32Array>;
  /** 0..10, -1 when missing. */
  seniority: Int8Array;
  joinedAt: Uint32Array;
  /** Bit set of FLAG_DEACTIVATED | FLAG_BANNED. */
  flags: Uint8Array;
}

/** Undirected connections (or directed pairs, for data that is directed); ts 0 = unknown. */
export interface EdgeTable {
  count: number;
  src: Int32Array;
  dst: Int32Array;
  ts: Uint32Array;
}

export const EVENT_TYPES = [
  'impression',
  'profile_view',
  'invite_sent',
  'invite_accepted',
  'invite_ignored',
  'dismiss',
  'block',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_CODE: Record<EventType, number> = Object.fromEntries(EVENT_TYPES.map((t, i) => [t, i])) as Record<
  EventType,
  number
>;

/** Activity log: `actor` did `type` to `target` at `ts`. */
export interface EventTable {
  count: number;
  type: Uint8Array;
  actor: Int32Array;
  target: Int32Array;
  ts: Uint32Array;
}

export function emptyProfiles(n: number): ProfileTable {
  const dicts = {} as Record<ProfileField, Dictionary>;
  const codes = {} as Record<ProfileField, Int32Array>;
  for (const f of PROFILE_FIELDS) {
    dicts[f] = new Dictionary();
    codes[f] = new Int32Array(n).fill(-1);
  }
  return { n, dicts, codes, seniority: new Int8Array(n).fill(-1), joinedAt: new Uint32Array(n), flags: new Uint8Array(n) };
}

/** Grows a ProfileTable to hold at least n users (new rows are "missing"). */
export function growProfiles(t: ProfileTable, n: number): ProfileTable {
  if (n <= t.n) return t;
  const out = emptyProfiles(n);
  out.dicts = t.dicts;
  for (const f of PROFILE_FIELDS) out.codes[f].set(t.codes[f]);
  out.seniority.set(t.seniority);
  out.joinedAt.set(t.joinedAt);
  out.flags.set(t.flags);
  return out;
}

export function setProfile(t: ProfileTable, uid: number, p: Omit<Profile, 'id'>): void {
  for (const f of PROFILE_FIELDS) {
    const v = p[f];
    t.codes[f][uid] = v == null || v === '' ? -1 : t.dicts[f].code(v);
  }
  t.seniority[uid] = p.seniority == null ? -1 : p.seniority;
  t.joinedAt[uid] = p.joinedAt ?? 0;
  t.flags[uid] = (p.deactivated ? FLAG_DEACTIVATED : 0) | (p.banned ? FLAG_BANNED : 0);
}

export function getProfile(t: ProfileTable, uid: number, id: string): Profile {
  const get = (f: ProfileField): string | null => {
    const c = uid < t.n ? t.codes[f][uid] : -1;
    return c < 0 ? null : t.dicts[f].value(c);
  };
  const inRange = uid < t.n;
  return {
    id,
    company: get('company'),
    school: get('school'),
    location: get('location'),
    industry: get('industry'),
    seniority: inRange && t.seniority[uid] >= 0 ? t.seniority[uid] : null,
    joinedAt: inRange && t.joinedAt[uid] > 0 ? t.joinedAt[uid] : null,
    deactivated: inRange && (t.flags[uid] & FLAG_DEACTIVATED) !== 0,
    banned: inRange && (t.flags[uid] & FLAG_BANNED) !== 0,
  };
}

/** Append-only builder for EdgeTable / EventTable columns with amortised doubling. */
export class EdgeBuilder {
  private src = new Int32Array(1024);
  private dst = new Int32Array(1024);
  private ts = new Uint32Array(1024);
  count = 0;

  push(s: number, d: number, t: number): void {
    if (this.count === this.src.length) this.grow();
    this.src[this.count] = s;
    this.dst[this.count] = d;
    this.ts[this.count] = t;
    this.count++;
  }

  private grow(): void {
    const cap = this.src.length * 2;
    const g = <T extends Int32Array | Uint32Array>(a: T, C: new (n: number) => T): T => {
      const b = new C(cap);
      b.set(a);
      return b;
    };
    this.src = g(this.src, Int32Array);
    this.dst = g(this.dst, Int32Array);
    this.ts = g(this.ts, Uint32Array);
  }

  finish(): EdgeTable {
    return {
      count: this.count,
      src: this.src.slice(0, this.count),
      dst: this.dst.slice(0, this.count),
      ts: this.ts.slice(0, this.count),
    };
  }
}

export class EventBuilder {
  private type = new Uint8Array(1024);
  private actor = new Int32Array(1024);
  private target = new Int32Array(1024);
  private ts = new Uint32Array(1024);
  count = 0;

  push(type: number, actor: number, target: number, ts: number): void {
    if (this.count === this.type.length) this.grow();
    this.type[this.count] = type;
    this.actor[this.count] = actor;
    this.target[this.count] = target;
    this.ts[this.count] = ts;
    this.count++;
  }

  private grow(): void {
    const cap = this.type.length * 2;
    const t = new Uint8Array(cap);
    t.set(this.type);
    const a = new Int32Array(cap);
    a.set(this.actor);
    const g = new Int32Array(cap);
    g.set(this.target);
    const s = new Uint32Array(cap);
    s.set(this.ts);
    this.type = t;
    this.actor = a;
    this.target = g;
    this.ts = s;
  }

  finish(): EventTable {
    return {
      count: this.count,
      type: this.type.slice(0, this.count),
      actor: this.actor.slice(0, this.count),
      target: this.target.slice(0, this.count),
      ts: this.ts.slice(0, this.count),
    };
  }
}
