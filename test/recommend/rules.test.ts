import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/memory.js';
import { applyRules } from '../../src/recommend/rules.js';
import { rankOrder } from '../../src/rank/heuristic.js';
import { tinySnapshot, type TinySpec } from '../helpers/tinyWorld.js';

/** A hub `me` connected to `hub0..hubH`, each connected to every candidate, so all candidates are at distance 2. */
function star(cands: Array<{ id: string; company?: string; school?: string; deactivated?: boolean; banned?: boolean }>, extra: Partial<TinySpec> = {}): TinySpec {
  const users = [{ id: 'me', company: 'Mine' }, { id: 'hub' }, ...cands];
  const edges: Array<[string, string]> = [['me', 'hub'], ...cands.map((c) => ['hub', c.id] as [string, string])];
  // Give earlier candidates more mutuals so rank order is c0 > c1 > …
  cands.forEach((c, i) => {
    for (let j = 0; j < cands.length - i; j++) {
      const h = `h${i}_${j}`;
      users.push({ id: h });
      edges.push(['me', h], [h, c.id]);
    }
  });
  return { users, edges: [...edges, ...(extra.edges ?? [])], blocks: extra.blocks, dismissals: extra.dismissals };
}

async function run(spec: TinySpec, limit: number, cfg = { maxPerCompany: 5, maxPerSchool: 3, backfill: false }) {
  const snap = tinySnapshot(spec);
  const store = new MemoryStore(snap);
  const uid = (await store.resolveUser('me'))!;
  const inputs = await store.fetchRankingInputs(uid);
  const order = rankOrder(inputs.candidates.score, inputs.candidates.ids);
  const out = applyRules(inputs, order, cfg, limit);
  const names = await store.externalIds(out.picked.map((i) => inputs.candidates.ids[i]));
  return { out, names };
}

test('exclusions: self, connections, blocked both ways, dismissed, deactivated, banned never appear', async () => {
  const cands = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ id }));
  cands[4] = { id: 'e', deactivated: true } as never;
  cands[5] = { id: 'f', banned: true } as never;
  const spec = star(cands, { blocks: [['me', 'a'], ['b', 'me']], dismissals: [['me', 'c']] });
  const { out, names } = await run(spec, 10);
  assert.deepEqual(names, ['d', 'g']);
  assert.equal(out.excluded.blocked, 2);
  assert.equal(out.excluded.dismissed, 1);
  assert.equal(out.excluded.deactivated, 1);
  assert.equal(out.excluded.banned, 1);
});

test('a dismissal by the other user does not exclude (dismissals are one-way)', async () => {
  const { names } = await run(star([{ id: 'a' }, { id: 'b' }], { dismissals: [['a', 'me']] }), 10);
  assert.deepEqual(names, ['a', 'b']);
});

test('diversity: at most 5 per company, filled from lower-ranked candidates of other companies', async () => {
  const cands = [
    ...Array.from({ length: 8 }, (_, i) => ({ id: `acme${i}`, company: 'Acme' })),
    { id: 'x1', company: 'Other' },
    { id: 'x2' },
  ];
  const { out, names } = await run(star(cands), 7);
  assert.deepEqual(names, ['acme0', 'acme1', 'acme2', 'acme3', 'acme4', 'x1', 'x2']);
  assert.equal(out.cappedByCompany, 3);
});

test('diversity: at most 3 per school; missing school is never capped', async () => {
  const cands = [
    ...Array.from({ length: 5 }, (_, i) => ({ id: `mit${i}`, school: 'MIT' })),
    ...Array.from({ length: 4 }, (_, i) => ({ id: `none${i}` })),
  ];
  const { names } = await run(star(cands), 10);
  assert.deepEqual(names, ['mit0', 'mit1', 'mit2', 'none0', 'none1', 'none2', 'none3']);
});

test('all candidates from one company: strict rules return 5; soft rules backfill to K in rank order', async () => {
  const cands = Array.from({ length: 9 }, (_, i) => ({ id: `acme${i}`, company: 'Acme' }));
  const strict = await run(star(cands), 8);
  assert.equal(strict.names.length, 5);
  const soft = await run(star(cands), 8, { maxPerCompany: 5, maxPerSchool: 3, backfill: true });
  assert.deepEqual(soft.names, cands.slice(0, 8).map((c) => c.id));
});

test('fewer candidates than K returns them all, and K = 1 returns the best', async () => {
  const cands = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
  assert.deepEqual((await run(star(cands), 50)).names, ['a', 'b', 'c']);
  assert.deepEqual((await run(star(cands), 1)).names, ['a']);
});

test('a user with no candidates gets an empty list', async () => {
  const { names } = await run({ users: [{ id: 'me' }, { id: 'x' }], edges: [['me', 'x']] }, 10);
  assert.deepEqual(names, []);
});
