/**
 * `pymk publish --verify`: compares what the store holds with the bundle it should serve, per kind of key,
 * and republishes when anything is missing (a Redis restarted without its data, a failover to an empty
 * replica, an eviction, a FLUSHALL). The repair writes a fresh generation and switches to it, as a publish
 * does, so readers never see a half-repaired one; a store that serves another bundle is reported and left
 * alone (publishing that bundle is a decision, not a repair).
 */
import type { KvClient } from './kv.js';
import type { KeySpace } from './keys.js';
import { decodeMeta } from './meta.js';
import { countKeys, publishSnapshot, type PublishOptions, type PublishReport } from './publish.js';
import type { Snapshot } from './snapshot.js';

export type VerifyState = 'ok' | 'no-pointer' | 'no-meta' | 'missing-keys' | 'other-version';

export interface VerifyReport {
  version: string;
  state: VerifyState;
  /** The generation the pointer names (null without a pointer). */
  gen: number | null;
  /** The version the store serves, when it is another one. */
  served?: string;
  /** Keys the bundle gives (meta and dicts included) and keys found in the served generation. */
  expected: number;
  present: number;
  /** Keys found per kind (ids, ext, profile, embedding, candidates, profiles, behaviour, connections, …). */
  byKind: Record<string, number>;
  /** The publish that repaired it (null when nothing was missing or it was not asked for). */
  repaired: PublishReport | null;
}

/** Letters after a key's hash tag (keys.ts): batch rows carry the user id after the letter, a user's own rows do not. */
const BATCH_ROWS: Record<string, string> = { x: 'ext', p: 'profile', e: 'embedding' };
const USER_ROWS: Record<string, string> = { c: 'candidates', p: 'profiles', h: 'behaviour', n: 'connections', b: 'blocked', d: 'dismissed', s: 'static' };

/** The kind of a generation's key, from its name (keys.ts formats). */
export function keyKind(base: string, key: string): string {
  const rest = key.slice(base.length);
  if (rest === 'meta' || rest === 'dicts') return rest;
  if (rest.startsWith('id:')) return 'ids';
  const m = /^\{[^}]*\}([a-z])(\d*)$/.exec(rest);
  if (!m) return 'other';
  return (m[2] ? BATCH_ROWS[m[1]] : USER_ROWS[m[1]]) ?? 'other';
}

export async function verifyPublished(kv: KvClient, space: KeySpace, snap: Snapshot, opts: PublishOptions & { repair?: boolean } = {}): Promise<VerifyReport> {
  const expected = countKeys(snap, 0, snap.ids.size) + 2;
  const base: VerifyReport = { version: snap.version, state: 'ok', gen: null, expected, present: 0, byKind: {}, repaired: null };
  const ptr = (await kv.get(space.pointer()))?.toString() ?? null;
  let r: VerifyReport;
  if (ptr === null) r = { ...base, state: 'no-pointer' };
  else {
    const gen = Number(ptr);
    const probe = space.gen(gen, 1);
    const metaBuf = await kv.get(probe.meta());
    if (metaBuf === null) r = { ...base, gen, state: 'no-meta' };
    else {
      const meta = decodeMeta(metaBuf, probe.meta());
      if (meta.version !== snap.version) return { ...base, gen, state: 'other-version', served: meta.version };
      const byKind: Record<string, number> = {};
      const prefix = probe.meta().slice(0, -'meta'.length);
      const present = await kv.scan(space.genPattern(gen), async (keys) => {
        for (const k of keys) {
          const kind = keyKind(prefix, k);
          byKind[kind] = (byKind[kind] ?? 0) + 1;
        }
      });
      r = { ...base, gen, present, byKind, state: present < expected ? 'missing-keys' : 'ok' };
    }
  }
  if (r.state === 'ok' || opts.repair === false) return r;
  return { ...r, repaired: await publishSnapshot(kv, space, snap, { ...opts, force: true }) };
}

/** Claims `key` for `owner` for `ms` unless another holds it (claim_lock.lua); true when this owner got it. */
export async function claimLock(kv: KvClient, key: string, owner: string, ms: number): Promise<boolean> {
  return Number(await kv.script('claimLock', [key], [owner, ms])) === 1;
}
