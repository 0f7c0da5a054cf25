/**
 * The rules' trace and the explain option: the same picks with and without it, every removal with its
 * reason, caps with the company or school that was full, backfill marked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/core/config.js';
import { MemoryStore } from '../../src/store/memory.js';
import { applyRules, emptyTrace } from '../../src/recommend/rules.js';
import { coreFor, recommend } from '../../src/recommend/recommend.js';
import { rankOrder } from '../../src/rank/heuristic.js';
import { tinySnapshot, type TinySpec } from '../helpers/tinyWorld.js';

/** `me` and candidates c0 > c1 > … by mutual connections (as in rules.test.ts). */
function star(cands: Array<{ id: string; company?: string; school?: string; deactivated?: boolean }>, extra: Partial<TinySpec> = {}): TinySpec {
  const users = [{ id: 'me', company: 'Mine' }, { id: 'hub' }, ...cands];
  const edges: Array<[string, string]> = [['me', 'hub'], ...cands.map((c) => ['hub', c.id] as [string, string])];
  cands.forEach((c, i) => {
    for (let j = 0; j < cands.length - i; j++) {
      users.push({ id: `h${i}_${j}` });
      edges.push(['me', `h${i}_${j}`], [`h${i}_${j}`, c.id]);
    }
  });
  return { users, edges, blocks: extra.blocks, dismissals: extra.dismissals };
}

const cands = [
  { id: 'a' },
  { id: 'acme0', company: 'Acme' },
  { id: 'b' },
  { id: 'acme1', company: 'Acme' },
  { id: 'acme2', company: 'Acme' },
  { id: 'c', deactivated: true },
  { id: 'mit0', school: 'MIT' },
  { id: 'mit1', school: 'MIT' },
  { id: 'd' },
];
const spec = star(cands, { blocks: [['a', 'me']], dismissals: [['me', 'b']] });

test('the trace records every removal and cap in rank order and leaves the picks unchanged', async () => {
  const store = new MemoryStore(tinySnapshot(spec));
  const inputs = await store.fetchRankingInputs((await store.resolveUser('me'))!);
  const order = rankOrder(inputs.candidates.score, inputs.candidates.ids);
  const cfg = { maxPerCompany: 2, maxPerSchool: 1, backfill: true };
  const plain = applyRules(inputs, order, cfg, 5);
  const trace = emptyTrace();
  const traced = applyRules(inputs, order, cfg, 5, trace);
  assert.deepEqual(traced, plain, 'recording changes nothing');
  const id = async (i: number) => (await store.externalIds([inputs.candidates.ids[i]]))[0];
  const removed = await Promise.all(trace.removed.map(async (r) => `${await id(r.index)}:${r.reason}`));
  // The hubs (h*) are connections of me; they are not candidates. a blocked me, me dismissed b, c is deactivated.
  assert.deepEqual(removed, ['a:blocked', 'b:dismissed', 'c:deactivated']);
  const capped = await Promise.all(trace.capped.map(async (c) => `${await id(c.index)}:${c.rule}:${c.backfilled}`));
  // Picks: acme0, acme1 (Acme full), mit0 (MIT full), d → 4 < 5, so backfill brings back acme2 (first capped).
  assert.deepEqual(capped, ['acme2:company:true', 'mit1:school:false']);
  assert.equal(trace.considered, order.length, 'the page was never full, so every candidate was looked at');
  for (const r of [...trace.removed, ...trace.capped]) assert.equal(order[r.rank], r.index, 'rank is the position in the order');
});

test('recommend with explain: the same cards, each with its rank and source; removed and demoted by id with reasons', async () => {
  const config = loadConfig({ maxPerCompany: 1, maxPerSchool: 1, diversityBackfill: false }, {});
  const core = coreFor(new MemoryStore(tinySnapshot(spec)), config);
  const plain = await recommend(core, 'me', 4);
  const why = await recommend(core, 'me', 4, { explain: true });
  assert.deepEqual(
    why.recommendations.map(({ id, score, reasons }) => ({ id, score, reasons })),
    plain.recommendations,
    'explain changes no card',
  );
  assert.equal(plain.explain, undefined);
  assert.deepEqual(plain.recommendations.map((r) => r.id), ['acme0', 'mit0', 'd']);
  assert.deepEqual(why.recommendations.map((r) => r.explain?.rank), [2, 7, 9]);
  assert.ok(why.recommendations.every((r) => r.explain?.source === '2-hop' && r.explain.backfilled === false));
  const e = why.explain!;
  assert.equal(e.path, 'stored');
  assert.equal(e.scorer, 'stored');
  assert.equal(e.candidates, cands.length);
  assert.deepEqual(e.removed, [
    { id: 'a', rank: 1, reason: 'blocked' },
    { id: 'b', rank: 3, reason: 'dismissed' },
    { id: 'c', rank: 6, reason: 'deactivated' },
  ]);
  assert.deepEqual(e.demoted, [
    { id: 'acme1', rank: 4, rule: 'company', value: 'Acme', backfilled: false },
    { id: 'acme2', rank: 5, rule: 'company', value: 'Acme', backfilled: false },
    { id: 'mit1', rank: 8, rule: 'school', value: 'MIT', backfilled: false },
  ]);
  assert.equal(e.excluded.blocked, 1);
  assert.equal(e.cappedByCompany, 2);
  assert.deepEqual(e.rules, { maxPerCompany: 1, maxPerSchool: 1, backfill: false });
});

test('explain stops where the rules stopped: a full page leaves lower candidates unconsidered', async () => {
  const core = coreFor(new MemoryStore(tinySnapshot(spec)), loadConfig({}, {}));
  const e = (await recommend(core, 'me', 1, { explain: true })).explain!;
  // a (blocked) is removed, acme0 fills the page of one.
  assert.equal(e.considered, 2);
  assert.deepEqual(e.removed.map((r) => r.id), ['a']);
});
