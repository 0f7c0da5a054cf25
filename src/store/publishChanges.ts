/**
 * An incremental publish (`pymk publish --bundle NEW --since OLD`): patches the generation being served,
 * which must hold OLD, into NEW in place — only the keys whose value differs between OLD and NEW are
 * written, keys OLD has and NEW does not are deleted, and every other key is left untouched (same bytes,
 * same expiry). Both bundles are encoded with publish's own encoder (chunkOps), so a written key gets
 * exactly the value a full publish of NEW would give it. The one exception to "every differing key": the
 * profile pack of a user none of whose own keys changed is left as it was (diffChunk), so the users a
 * change does not touch keep every key.
 *
 * - The meta (NEW's version, user count, key count) and the dictionaries are replaced last by a
 *   compare-and-set that keeps their expiry (replace_values.lua); readers of the same generation reload
 *   them when the meta's bytes change (kvStore.ts refresh), so the version switch is still one write.
 * - Unlike a full publish it is not atomic across users: while it runs a reader sees each user's keys as
 *   OLD's or NEW's, a chunk of users at a time, under OLD's meta.
 * - It is idempotent: a rerun after a crash diffs again and rewrites the same values; once the meta says
 *   NEW it writes nothing.
 * - It refuses (PYMK_CONFIG, publish in full instead) when the store does not serve OLD, when dense ids are
 *   not stable (OLD's ids a prefix of NEW's), when NEW adds users but users were created online in the
 *   generation (they hold the ids NEW gives its new users), or when the embeddings differ in kind.
 */
import { PymkError } from '../core/errors.js';
import { PROFILE_FIELDS, type ProfileField } from '../core/tables.js';
import type { ProgressFactory } from '../core/progress.js';
import type { KeySpace } from './keys.js';
import type { KvClient, SetOp } from './kv.js';
import { decodeMeta, encodeMeta, type GenMeta } from './meta.js';
import { chunkOps, countKeys } from './publish.js';
import type { Snapshot } from './snapshot.js';
import { valueTtls } from './ttl.js';

export interface ChangesOptions {
  /** Users diffed per chunk (default 2,000). */
  chunkUsers?: number;
  progress?: ProgressFactory;
}

export interface ChangesReport {
  version: string;
  since: string;
  gen: number;
  /** 'patched', or 'current' when NEW was already being served (nothing written). */
  outcome: 'patched' | 'current';
  users: number;
  /** Users with at least one key written or deleted. */
  usersChanged: number;
  keysWritten: number;
  keysDeleted: number;
  /** Keys left as they were: their value is the same in OLD, or a stale pack. */
  keysUnchanged: number;
  /** Profile packs of unaffected users left with OLD's value though NEW's differs (their candidates' degrees changed). */
  stalePacks: number;
  bytesWritten: number;
  seconds: number;
}

const refuse = (why: string): PymkError => new PymkError('PYMK_CONFIG', `incremental publish refused: ${why}; publish the bundle in full (without --since)`);

export async function publishChanges(kv: KvClient, space: KeySpace, snap: Snapshot, prev: Snapshot, opts: ChangesOptions = {}): Promise<ChangesReport> {
  const t0 = performance.now();
  const ptr = (await kv.get(space.pointer()))?.toString();
  if (ptr === undefined) throw refuse(`nothing is published under '${space.prefix}'`);
  const gen = Number(ptr);
  const probe = space.gen(gen, 1);
  const metaBuf = await kv.get(probe.meta());
  if (metaBuf === null) throw refuse(`generation ${gen} has no meta (expired?)`);
  const meta = decodeMeta(metaBuf, probe.meta());
  const n = snap.ids.size;
  const n0 = prev.ids.size;
  const base = { version: snap.version, since: prev.version, gen, users: n };
  if (meta.version === snap.version) {
    return { ...base, outcome: 'current', usersChanged: 0, keysWritten: 0, keysDeleted: 0, keysUnchanged: 0, stalePacks: 0, bytesWritten: 0, seconds: secondsSince(t0) };
  }
  if (meta.version !== prev.version) throw refuse(`the store serves ${meta.version}, not ${prev.version} (--since)`);
  const keys = space.gen(gen, meta.buckets);
  if (n < n0) throw refuse(`${snap.version} has fewer users (${n}) than ${prev.version} (${n0})`);
  const u = snap.ids.firstDifferenceFrom(prev.ids);
  if (u >= 0) throw refuse(`dense id ${u} is ${JSON.stringify(prev.ids.value(u))} in ${prev.version} but ${JSON.stringify(snap.ids.value(u))} in ${snap.version}`);
  const created = Number((await kv.get(keys.createdCounter()))?.toString() ?? '0');
  if (n > n0 && created > 0) throw refuse(`${created} users were created online in generation ${gen}; their ids are the ones ${snap.version} gives its ${n - n0} new users`);
  const dims = (s: Snapshot): number | null => s.embeddings?.dim ?? null;
  if (dims(snap) !== (meta.embedding?.dim ?? null)) throw refuse(`embeddings of ${dims(snap) ?? 'no'} dimensions, the generation stores ${meta.embedding?.dim ?? 'none'}`);

  const ttls = valueTtls(meta.ttl);
  const dtype = meta.embedding?.dtype ?? 'f16';
  const chunkUsers = opts.chunkUsers ?? 2000;
  const report = { usersChanged: 0, keysWritten: 0, keysDeleted: 0, keysUnchanged: 0, stalePacks: 0, bytesWritten: 0 };
  const bar = opts.progress?.(`publish changes ${prev.version} → ${snap.version}`, n);
  for (let lo = 0; lo < n; lo += chunkUsers) {
    const hi = Math.min(n, lo + chunkUsers);
    const { sets, dels, users, stalePacks } = diffChunk(prev, snap, keys, ttls, dtype, lo, hi, n0);
    if (sets.length) await kv.set(sets);
    if (dels.length) await kv.del(dels);
    report.usersChanged += users;
    report.keysWritten += sets.length;
    report.keysDeleted += dels.length;
    report.keysUnchanged += countKeys(snap, lo, hi) - sets.length;
    report.stalePacks += stalePacks;
    for (const s of sets) report.bytesWritten += Buffer.byteLength(s.value);
    bar?.update(hi);
  }
  bar?.done();

  // The dictionaries, then the meta: compare-and-set, keeping each key's expiry.
  const dicts = JSON.stringify(Object.fromEntries(PROFILE_FIELDS.map((f: ProfileField) => [f, snap.profiles.dicts[f].toArray()])));
  const oldDicts = await kv.get(keys.dicts());
  if (oldDicts === null) throw refuse(`generation ${gen} has no dictionaries`);
  if (!oldDicts.equals(Buffer.from(dicts))) {
    if ((await kv.script('replaceValues', [keys.dicts()], [oldDicts, dicts])) !== 1) throw refuse(`generation ${gen}'s dictionaries changed during the publish`);
    report.keysWritten++;
  }
  const next: GenMeta = { ...meta, version: snap.version, users: n, hasLists: snap.lists !== null, keys: countKeys(snap, 0, n) + 2, publishedAt: new Date().toISOString() };
  if ((await kv.script('replaceValues', [keys.meta()], [metaBuf, encodeMeta(next)])) !== 1) throw refuse(`generation ${gen}'s meta changed during the publish (another publish?)`);
  report.keysWritten++;
  if ((await kv.get(space.pointer()))?.toString() !== ptr) throw refuse(`the store switched to another generation during the publish`);
  return { ...base, outcome: 'patched', ...report, seconds: secondsSince(t0) };
}

/**
 * Users lo..hi-1: the SETs of NEW's keys whose value OLD does not have, and OLD's keys NEW no longer has —
 * except the profile packs of users whose own keys are all unchanged (`stalePacks`): a pack holds the user's
 * candidates' profile rows (their degree), so a connection anywhere changes the packs of most users; an
 * unaffected user's pack keeps OLD's rows until the next full publish, as its static list keeps OLD's ranking.
 */
function diffChunk(
  prev: Snapshot,
  snap: Snapshot,
  keys: ReturnType<KeySpace['gen']>,
  ttls: ReturnType<typeof valueTtls>,
  dtype: 'f16' | 'i8',
  lo: number,
  hi: number,
  n0: number,
): { sets: SetOp[]; dels: string[]; users: number; stalePacks: number } {
  const before = new Map<string, Buffer | string>();
  if (lo < n0) for (const op of chunkOps(prev, keys, ttls, lo, Math.min(hi, n0), dtype)) before.set(op.key, op.value);
  const sets: SetOp[] = [];
  const affected = new Set<string>();
  const packs = new Map<string, SetOp>();
  for (const op of chunkOps(snap, keys, ttls, lo, hi, dtype)) {
    const old = before.get(op.key);
    before.delete(op.key);
    if (old !== undefined && sameValue(old, op.value)) continue;
    const user = userOf(keys, op.key, op.value);
    if (op.key === keys.profiles(Number(user))) packs.set(user, op);
    else {
      sets.push(op);
      affected.add(user);
    }
  }
  const dels = [...before.keys()];
  for (const [k, v] of before) affected.add(userOf(keys, k, v));
  let stalePacks = 0;
  for (const [user, op] of packs) {
    if (affected.has(user)) sets.push(op);
    else stalePacks++;
  }
  return { sets, dels, users: affected.size, stalePacks };
}

const sameValue = (a: Buffer | string, b: Buffer | string): boolean => (typeof a === 'string' || typeof b === 'string' ? a.toString() === b.toString() : a.equals(b));

/** A key's user, for counting: the value of an id key, the `{uid}` of a user's own keys, the trailing number of bucket keys. */
function userOf(keys: ReturnType<KeySpace['gen']>, key: string, value: Buffer | string): string {
  if (key.startsWith(keys.id(''))) return value.toString();
  const own = /\{(\d+)\}[a-z]$/.exec(key);
  if (own) return own[1];
  const bucket = /\}[a-z](\d+)$/.exec(key);
  return bucket ? bucket[1] : key;
}

const secondsSince = (t0: number): number => Math.round(performance.now() - t0) / 1000;
