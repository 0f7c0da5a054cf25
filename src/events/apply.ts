/**
 * What each event does to the online store: one entry per event type (a registry, no switch), used by the
 * invalidator and by anything that must replay events the same way (the acceptance tests replay into a
 * memory store through this same table). docs/events.md, "Invalidator", has the table in prose.
 *
 * An event naming a user the store does not know (not in the published bundle) is skipped with a reason,
 * not an error: retrying would not make the user appear. A store failure (unreachable, a malformed stored
 * value) throws, so the log retries the event and finally dead-letters it.
 */
import { EVERYONE, FLAG_BANNED, FLAG_DEACTIVATED } from '../core/tables.js';
import type { NewUserProfile, OnlineStore } from '../store/types.js';
import type { EventOf, EventType, PymkEvent } from './schema.js';

/** Why an event changed nothing, counted by the invalidator. */
export const SKIP_REASONS = ['unknown user', 'same user twice', 'user exists'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type ApplyResult =
  /**
   * The store was written; `users` (external ids, with their dense `uids`) may now get other answers;
   * `excluded`: the pairs (viewer, user never to show them; viewer EVERYONE, NUL, = everyone) the event made.
   */
  | { kind: 'applied'; users: string[]; uids: number[]; excluded?: [string, string][] }
  | { kind: 'skipped'; reason: SkipReason; detail: string }
  /** A valid event this version does not apply to the store yet (acknowledged and counted). */
  | { kind: 'not applied'; reason: string };

/** What applying events may need besides the store. */
export interface ApplyContext {
  /**
   * The profile-tower embedding of a new user (user.created), in the space of the version the store serves
   * (`version`); null when there is no tower for that version (the user is then served by profile cold start).
   */
  embedProfile?: (version: string, profile: NewUserProfile, atMs: number) => Promise<Float32Array | null>;
}

type Apply<E> = (store: OnlineStore, e: E, ctx: ApplyContext) => Promise<ApplyResult>;

/** Dense ids of external ids (looked up concurrently: one round trip on Redis), or the skip naming the first unknown one. */
async function resolve(store: OnlineStore, ids: string[]): Promise<number[] | ApplyResult> {
  const out = await Promise.all(ids.map((id) => store.resolveUser(id)));
  const unknown = out.indexOf(null);
  if (unknown >= 0) return { kind: 'skipped', reason: 'unknown user', detail: `user '${ids[unknown]}' is not in the published bundle` };
  return out as number[];
}

/** An event about two users (a pair or actor → target): both must be known and different. */
function pairEvent<E>(ids: (e: E) => [string, string], write: (store: OnlineStore, a: number, b: number) => Promise<void>, excludes: 'none' | 'both ways' | 'one way' = 'none'): Apply<E> {
  return async (store, e) => {
    const [x, y] = ids(e);
    if (x === y) return { kind: 'skipped', reason: 'same user twice', detail: `'${x}' on both sides` };
    const r = await resolve(store, [x, y]);
    if (!Array.isArray(r)) return r;
    await write(store, r[0], r[1]);
    const excluded: [string, string][] = excludes === 'both ways' ? [[x, y], [y, x]] : excludes === 'one way' ? [[x, y]] : [];
    return { kind: 'applied', users: [x, y], uids: r, excluded };
  };
}

function flagEvent(flag: number): Apply<{ user: string }> {
  return async (store, e) => {
    const r = await resolve(store, [e.user]);
    if (!Array.isArray(r)) return r;
    await store.addFlags(r[0], flag);
    return { kind: 'applied', users: [e.user], uids: r, excluded: [[EVERYONE, e.user]] };
  };
}

const notYet =
  (reason: string): Apply<unknown> =>
  async () => ({ kind: 'not applied', reason });

const pair = (e: { a: string; b: string }): [string, string] => [e.a, e.b];
const acting = (e: { actor: string; target: string }): [string, string] => [e.actor, e.target];

/** The store write of every event type. */
export const APPLY: { [T in EventType]: Apply<EventOf<T>> } = {
  'connection.created': pairEvent(pair, (s, a, b) => s.addConnection(a, b), 'both ways'),
  'connection.removed': pairEvent(pair, (s, a, b) => s.removeConnection(a, b)),
  block: pairEvent(acting, (s, a, b) => s.addBlock(a, b), 'both ways'),
  unblock: pairEvent(acting, (s, a, b) => s.removeBlock(a, b)),
  dismiss: pairEvent(acting, (s, a, b) => s.addDismissal(a, b), 'one way'),
  'user.deactivated': flagEvent(FLAG_DEACTIVATED),
  'user.banned': flagEvent(FLAG_BANNED),
  'user.created': async (store, e, ctx) => {
    const profile = e.profile ?? {};
    const vector = ctx.embedProfile ? await ctx.embedProfile(store.version(), profile, e.at) : null;
    const r = await store.createUser(e.user, profile, vector);
    if (r.status === 'in bundle') return { kind: 'skipped', reason: 'user exists', detail: `user '${e.user}' is in the published bundle` };
    return { kind: 'applied', users: [e.user], uids: [r.uid] };
  },
  'user.updated': async (store, e, ctx) => {
    const r = await resolve(store, [e.user]);
    if (!Array.isArray(r)) return r;
    const [uid] = r;
    // A user created online is re-embedded from their whole new profile; a bundle user keeps the GNN's vector.
    const [firstCreated] = await store.createdRange();
    const vector = uid >= firstCreated && ctx.embedProfile ? await ctx.embedProfile(store.version(), { ...(await currentProfile(store, uid)), ...e.profile }, e.at) : null;
    await store.updateProfile(uid, e.profile, vector);
    return { kind: 'applied', users: [e.user], uids: r };
  },
  impression: notYet('impression: behavioural features are recomputed by the pipeline'),
};

/** A user's stored profile by name (the profile tower embeds names). */
async function currentProfile(store: OnlineStore, uid: number): Promise<NewUserProfile> {
  const p = await store.profiles([uid]);
  const name = (f: 'company' | 'school' | 'location' | 'industry'): string | null => store.fieldValue(f, p[f][0]);
  return { company: name('company'), school: name('school'), location: name('location'), industry: name('industry'), seniority: p.seniority[0] < 0 ? null : p.seniority[0] };
}

/**
 * Events after which both users' candidate lists are recomputed (recommend/refresh.ts): the 2-hop
 * neighbourhood changed, or a pair may be offered again.
 */
export const REFRESHED_BY: ReadonlySet<EventType> = new Set<EventType>(['connection.created', 'connection.removed', 'unblock']);

/** The users an event is about: its store writes touch only their rows, so events of other users commute with it. */
export function usersOf(e: PymkEvent): string[] {
  if ('a' in e) return [e.a, e.b];
  if ('target' in e) return [e.actor, e.target];
  if ('actor' in e) return [e.actor];
  return 'user' in e ? [e.user] : [];
}

/** Applies one validated event to the store. Throws only when the store fails (the event is then retried). */
export function applyEvent(store: OnlineStore, e: PymkEvent, ctx: ApplyContext = {}): Promise<ApplyResult> {
  return (APPLY[e.type] as Apply<PymkEvent>)(store, e, ctx);
}
