import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_CODE } from '../../src/core/tables.js';
import { simulateWorld } from '../../src/data/generate/index.js';
import { adjacencyBefore, linkRatesAfter, pairKey, sameGroupRates } from './generateHelpers.js';

test('friends of friends connect later far more often than random pairs (time cut at 70%)', () => {
  // A sparser world than the default, so that distance-2 pairs are a small share of all pairs.
  const w = simulateWorld({ users: 5000, seed: 21, avgDegree: 10 });
  const p = w.params;
  const cut = p.start + Math.floor(0.7 * (p.end - p.start));
  const r = linkRatesAfter(w.profiles.n, w.profiles.joinedAt, w.connections, cut);
  assert.ok(r.futureEdges > 5000, `only ${r.futureEdges} connections after the cut`);
  assert.ok(r.distance2 > 10 * r.anyPair, `distance-2 rate ${r.distance2} vs any pair ${r.anyPair}`);
  // A large share of the new connections close a triangle, while distance-2 pairs are few.
  const d2Share = (r.distance2 * r.distance2Pairs) / r.futureEdges;
  assert.ok(d2Share > 0.3, `only ${d2Share} of later connections were friends of friends`);
});

test('at the default density most later connections are friends of friends', () => {
  const w = simulateWorld({ users: 2000, seed: 4 });
  const p = w.params;
  const cut = p.start + Math.floor(0.7 * (p.end - p.start));
  const r = linkRatesAfter(w.profiles.n, w.profiles.joinedAt, w.connections, cut);
  assert.ok((r.distance2 * r.distance2Pairs) / r.futureEdges > 0.5);
  assert.ok(r.distance2 > 2.5 * r.anyPair, `distance-2 rate ${r.distance2} vs any pair ${r.anyPair}`);
});

test('co-workers connect far more often than random pairs; schoolmates and neighbours more often', () => {
  const w = simulateWorld({ users: 4000, seed: 8 });
  const { company, school, location } = w.profiles.codes;
  const c = sameGroupRates(company, w.connections);
  assert.ok(c.same > 10 * c.any, `same company ${c.same} vs any ${c.any}`);
  const s = sameGroupRates(school, w.connections);
  assert.ok(s.same > 2 * s.any, `same school ${s.same} vs any ${s.any}`);
  const l = sameGroupRates(location, w.connections);
  assert.ok(l.same > 2 * l.any, `same location ${l.same} vs any ${l.any}`);
});

test('impressions are mostly friends of friends or co-workers; views come before invites more than otherwise', () => {
  const w = simulateWorld({ users: 3000, seed: 5 });
  const p = w.params;
  const adj = adjacencyBefore(w.profiles.n, w.connections, p.logStart);
  const company = w.profiles.codes.company;
  const ev = w.events;
  let impressions = 0;
  let near = 0;
  const viewed = new Set<number>(); // directed actor→target pairs with a view so far
  const invitedAfterImpression = new Set<number>();
  let invites = 0;
  let invitesAfterView = 0;
  const key = (a: number, b: number): number => a * 1_000_000 + b;
  for (let i = 0; i < ev.count; i++) {
    const a = ev.actor[i];
    const b = ev.target[i];
    if (ev.ts[i] < p.logStart) continue;
    if (ev.type[i] === EVENT_CODE.impression) {
      impressions++;
      let fof = false;
      for (const x of adj[a]) if (adj[b].has(x)) fof = true;
      if (fof || (company[a] >= 0 && company[a] === company[b])) near++;
    } else if (ev.type[i] === EVENT_CODE.profile_view) {
      viewed.add(key(a, b));
    } else if (ev.type[i] === EVENT_CODE.invite_sent) {
      invites++;
      if (viewed.has(key(a, b))) invitesAfterView++;
      invitedAfterImpression.add(key(a, b));
    }
  }
  assert.ok(impressions > 500, `${impressions} impressions`);
  assert.ok(near / impressions > 0.5, `only ${near / impressions} of impressions were near`);
  // Impressions that led to no invite were rarely viewed; invites were often viewed first.
  let quiet = 0;
  let quietViewed = 0;
  for (let i = 0; i < ev.count; i++) {
    if (ev.type[i] !== EVENT_CODE.impression) continue;
    const k = key(ev.actor[i], ev.target[i]);
    if (invitedAfterImpression.has(k)) continue;
    quiet++;
    if (viewed.has(k)) quietViewed++;
  }
  assert.ok(invitesAfterView / invites > 0.3, `${invitesAfterView / invites} of invites followed a view`);
  assert.ok(invitesAfterView / invites > 2 * (quietViewed / quiet), 'views are not more likely before invites');
});

test('pairKey is symmetric and distinct for distinct pairs', () => {
  assert.equal(pairKey(3, 9), pairKey(9, 3));
  assert.notEqual(pairKey(3, 9), pairKey(3, 10));
});
