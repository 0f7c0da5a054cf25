/**
 * Events for the invalidator tests, generated against a snapshot's users (plus a few unknown ones), the
 * reference replay into a fresh memory store (through the same apply table), and the comparison of what two
 * stores hold for a set of users.
 */
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { applyEvent, type PymkEvent } from '../../src/events/index.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import type { OnlineStore } from '../../src/store/types.js';

const AT = 1_760_000_000_000;

/** n events of every type over the snapshot's users, many on the same pairs (so order matters). */
export function randomEvents(snap: Snapshot, n: number, seed: number, tag = 'e'): PymkEvent[] {
  const rng = new Rng(seed);
  const users = snap.ids.size;
  const pickUser = (): string => (rng.chance(0.02) ? `nobody-${rng.int(5)}` : snap.ids.value(rng.int(users)));
  // A user and one of its stored candidates, half the time (so writes really remove list rows).
  const pair = (): [string, string] => {
    const a = rng.int(users);
    const c = snap.candidates;
    const len = c.offsets[a + 1] - c.offsets[a];
    const b = len > 0 && rng.chance(0.5) ? c.cand[c.offsets[a] + rng.int(len)] : rng.int(users);
    return rng.chance(0.03) ? [pickUser(), pickUser()] : [snap.ids.value(a), snap.ids.value(b)];
  };
  const out: PymkEvent[] = [];
  for (let i = 0; i < n; i++) {
    const id = `${tag}-${i}`;
    const at = AT + i;
    const r = rng.next();
    const [x, y] = pair();
    if (r < 0.28) out.push({ id, type: 'connection.created', v: 1, at, a: x, b: y });
    else if (r < 0.4) out.push({ id, type: 'connection.removed', v: 1, at, a: x, b: y });
    else if (r < 0.52) out.push({ id, type: 'block', v: 1, at, actor: x, target: y });
    else if (r < 0.6) out.push({ id, type: 'unblock', v: 1, at, actor: x, target: y });
    else if (r < 0.8) out.push({ id, type: 'dismiss', v: 1, at, actor: x, target: y });
    else if (r < 0.82) out.push({ id, type: 'user.deactivated', v: 1, at, user: x });
    else if (r < 0.83) out.push({ id, type: 'user.banned', v: 1, at, user: x });
    else if (r < 0.93) out.push({ id, type: 'impression', v: 1, at, actor: x, targets: [y] });
    else if (r < 0.97) out.push({ id, type: 'user.updated', v: 1, at, user: x, profile: { company: 'Acme' } });
    else out.push({ id, type: 'user.created', v: 1, at, user: `new-${i}` });
  }
  return out;
}

/** The reference: the same events applied in log order to a fresh memory store of the snapshot. */
export async function replay(snap: Snapshot, events: readonly PymkEvent[]): Promise<MemoryStore> {
  const store = new MemoryStore(snap);
  for (const e of events) await applyEvent(store, e);
  return store;
}

/** Dense ids of every known user the events name. */
export function touchedUsers(snap: Snapshot, events: readonly PymkEvent[]): number[] {
  const out = new Set<number>();
  for (const e of events) {
    for (const k of ['a', 'b', 'actor', 'target', 'user'] as const) {
      const v = (e as Record<string, unknown>)[k];
      if (typeof v === 'string' && snap.ids.lookup(v) >= 0) out.add(snap.ids.lookup(v));
    }
  }
  return [...out].sort((p, q) => p - q);
}

/** Adjacency, exclusions, candidate lists and own flags of `uids` are equal in both stores. */
export async function assertSameUsers(got: OnlineStore, want: OnlineStore, uids: readonly number[]): Promise<void> {
  const [gp, wp] = await Promise.all([got.profiles(uids), want.profiles(uids)]);
  assert.deepEqual(Array.from(gp.flags), Array.from(wp.flags), 'profile flags');
  const [gn, wn] = await Promise.all([got.neighbors(uids), want.neighbors(uids)]);
  for (const [i, u] of uids.entries()) {
    const [g, w] = await Promise.all([got.fetchRankingInputs(u), want.fetchRankingInputs(u)]);
    const view = (x: typeof g, n: Int32Array) => ({
      connections: Array.from(x.connections),
      neighbors: Array.from(n),
      blocked: Array.from(x.blocked),
      dismissed: Array.from(x.dismissed),
      candidates: Array.from(x.candidates.ids),
      scores: Array.from(x.candidates.score),
      flags: x.user.flags[0],
    });
    assert.deepEqual(view(g, gn[i]), view(w, wn[i]), `user ${u}`);
  }
}
