/** BehaviourIndex lookups against a plain per-pair count of the same events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/core/rng.js';
import { EVENT_CODE } from '../../src/core/tables.js';
import { BehaviourIndex } from '../../src/rank/behaviour.js';

test('BehaviourIndex.get returns each ordered pair\'s window counts, null for pairs without events or users out of range', () => {
  const rng = new Rng(21);
  const n = 70_000; // u·n + v passes 2^31: the keys are not small integers
  const types = [EVENT_CODE.profile_view, EVENT_CODE.impression, EVENT_CODE.dismiss, EVENT_CODE.invite_ignored];
  const count = 5000;
  const ev = { count, type: new Uint8Array(count), actor: new Int32Array(count), target: new Int32Array(count), ts: new Uint32Array(count) };
  const hot = Array.from({ length: 30 }, () => rng.int(n));
  for (let i = 0; i < count; i++) {
    ev.type[i] = types[rng.int(types.length)];
    ev.actor[i] = hot[rng.int(hot.length)];
    ev.target[i] = hot[rng.int(hot.length)];
    ev.ts[i] = 1000 + rng.int(100);
  }
  const b = BehaviourIndex.fromEvents(n, ev, 1050);
  const want = new Map<string, number[]>();
  const add = (u: number, v: number, k: number): void => {
    const c = want.get(`${u},${v}`) ?? [0, 0, 0, 0];
    c[k]++;
    want.set(`${u},${v}`, c);
  };
  for (let i = 0; i < count; i++) {
    const [a, c, t] = [ev.actor[i], ev.target[i], ev.ts[i]];
    if (t >= 1050 || a === c) continue;
    if (ev.type[i] === EVENT_CODE.profile_view) (add(a, c, 0), add(c, a, 1));
    else if (ev.type[i] === EVENT_CODE.impression) add(a, c, 2);
    else (add(a, c, 3), add(c, a, 3));
  }
  assert.equal(b.pairs, want.size);
  for (const u of hot) for (const v of hot) assert.deepEqual(b.get(u, v) ? Array.from(b.get(u, v)!) : null, want.get(`${u},${v}`) ?? null, `pair ${u},${v}`);
  assert.equal(b.get(-1, 0), null);
  assert.equal(b.get(n, 0), null);
  assert.equal(new BehaviourIndex(10, 0, 0).get(3, 4), null);
});
