/**
 * The refresher against the pipeline: after live connection events, a user's recomputed list equals what
 * the pipeline's 2-hop (graph/twoHop.ts) gives on the whole updated graph — same candidates, order, score,
 * heuristic and length-3 path features (graph/paths.ts) — with flagged users excluded and the user's blocks and dismissals left out, on
 * the memory store and on Redis. Hub sampling (a small maxFanout) must agree too: its samples are drawn
 * from global ids.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgeBuilder, FLAG_BANNED, FLAG_DEACTIVATED } from '../../src/core/tables.js';
import { Rng } from '../../src/core/rng.js';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { HEURISTIC_NAMES } from '../../src/graph/heuristics.js';
import { PATH_FEATURES, pathFeatureColumns } from '../../src/graph/paths.js';
import { twoHop } from '../../src/graph/twoHop.js';
import { CANDIDATE_DEFAULTS } from '../../src/pipeline/stages/candidates.js';
import { Refresher, recomputeCandidates, type RefreshParams } from '../../src/recommend/refresh.js';
import { SOURCE_CODES } from '../../src/rank/schema.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Snapshot } from '../../src/store/snapshot.js';
import type { OnlineStore } from '../../src/store/types.js';
import { randomSnapshot } from '../store/fixtures.js';
import { kvHarness } from '../store/kvHarness.js';
import { testRedis } from '../helpers/services.js';

const redis = await testRedis();

/** The snapshot's graph with `added` edges and without `removed` ones. */
function liveGraph(snap: Snapshot, added: [number, number][], removed: [number, number][]): Graph {
  const n = snap.ids.size;
  const gone = new Set(removed.flatMap(([a, b]) => [`${a}:${b}`, `${b}:${a}`]));
  const eb = new EdgeBuilder();
  for (let u = 0; u < n; u++) for (const v of snap.graph.neighbors(u)) if (u < v && !gone.has(`${u}:${v}`)) eb.push(u, v, 1);
  for (const [a, b] of added) eb.push(a, b, 1);
  return buildGraph(n, eb.finish());
}

/** What the pipeline's candidates stage computes for u on g (flagged users excluded), minus u's blocks and dismissals. */
async function expected(store: OnlineStore, snap: Snapshot, g: Graph, u: number, params: RefreshParams, flaggedSince: ReadonlySet<number> = new Set()) {
  const inputs = await store.fetchRankingInputs(u);
  const exclude = new Uint8Array(g.n);
  for (let v = 0; v < g.n; v++) exclude[v] = snap.profiles.flags[v] & (FLAG_DEACTIVATED | FLAG_BANNED) || flaggedSince.has(v) ? 1 : 0;
  for (const v of [...inputs.blocked, ...inputs.dismissed]) exclude[v] = 1;
  return twoHop(g, u, { ...params, exclude });
}

function suite(name: string, open: ((snap: Snapshot) => Promise<OnlineStore>) | null, cleanup: () => Promise<void>, skip: string | false): void {
  describe(`refresher: ${name}`, { skip: open ? false : skip || true }, () => {
    after(cleanup);
    for (const [label, params] of [
      ['pipeline defaults', CANDIDATE_DEFAULTS],
      ['hubs sampled (maxFanout 4)', { ...CANDIDATE_DEFAULTS, topN: 12, maxFanout: 4 }],
      ['ranked by jaccard', { ...CANDIDATE_DEFAULTS, topN: 10, score: 'jaccard' }],
    ] as [string, RefreshParams][]) {
      test(`a recomputed list equals the pipeline's 2-hop on the live graph (${label})`, async () => {
        const snap = randomSnapshot({ users: 300, seed: 44, maxCandidates: 10 });
        const store = await open!(snap);
        const rng = new Rng(7);
        const added: [number, number][] = [];
        const removed: [number, number][] = [];
        for (let i = 0; i < 60; i++) {
          const a = rng.int(300);
          const b = rng.int(300);
          if (a === b || snap.graph.hasEdge(a, b)) continue;
          await store.addConnection(a, b);
          added.push([a, b]);
        }
        for (let i = 0; i < 15; i++) {
          const a = rng.int(300);
          const row = snap.graph.neighbors(a);
          if (row.length === 0) continue;
          const b = row[rng.int(row.length)];
          if (removed.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) continue;
          await store.removeConnection(a, b);
          removed.push([a, b]);
        }
        const g = liveGraph(snap, added, removed);
        const users = [...new Set(added.flat().concat(removed.flat()))].slice(0, 40);
        let compared = 0;
        for (const u of users) {
          const got = (await recomputeCandidates(store, u, params)).list;
          const want = await expected(store, snap, g, u, params);
          const twoHopIds = Array.from(got.ids).filter((_, i) => got.features.source[i] !== SOURCE_CODES.ann);
          assert.deepEqual(twoHopIds, Array.from(want.cand), `user ${u}: candidates and order`);
          const paths = pathFeatureColumns(g, [u], Int32Array.of(0, want.cand.length), want.cand);
          for (let i = 0; i < want.cand.length; i++) {
            assert.ok(Math.abs(got.score[i] - want.score[i]) < 1e-5, `user ${u} #${i}: score ${got.score[i]} vs ${want.score[i]}`);
            for (const f of HEURISTIC_NAMES) assert.ok(Math.abs(got.features[f][i] - want.features[f][i]) < 1e-4, `user ${u} #${i}: ${f} ${got.features[f][i]} vs ${want.features[f][i]}`);
            for (const f of PATH_FEATURES) assert.ok(Math.abs(got.features[f][i] - paths[f][i]) <= 1e-4 * Math.max(1, paths[f][i]), `user ${u} #${i}: ${f} ${got.features[f][i]} vs ${paths[f][i]}`);
          }
          compared += want.cand.length;
        }
        assert.ok(compared > 200, `compared ${compared} candidates`);
      });
    }

    test('the refresher writes the list: a new connection’s friends are offered, old ANN-only entries kept after the 2-hop ones', async () => {
      const snap = randomSnapshot({ users: 200, seed: 45, maxCandidates: 10 });
      const store = await open!(snap);
      // Two users far apart: a with some friends, b with friends a cannot reach in two hops.
      const g = snap.graph;
      let a = -1;
      let b = -1;
      for (let x = 0; x < 200 && b < 0; x++) {
        if (g.degree(x) < 2 || snap.profiles.flags[x]) continue;
        const near = new Set<number>([x, ...g.neighbors(x)]);
        for (const f of g.neighbors(x)) for (const y of g.neighbors(f)) near.add(y);
        for (let y = 0; y < 200; y++) {
          if (near.has(y) || g.degree(y) < 2 || snap.profiles.flags[y] || [...g.neighbors(y)].some((v) => near.has(v) || snap.profiles.flags[v])) continue;
          a = x;
          b = y;
          break;
        }
      }
      assert.ok(b >= 0, 'fixture: two users more than 3 hops apart');
      await store.addConnection(a, b);
      const refreshed: string[] = [];
      const r = new Refresher(store, { params: CANDIDATE_DEFAULTS, onRefreshed: async (ext) => void refreshed.push(ext) });
      r.enqueue([a, b], [snap.ids.value(a), snap.ids.value(b)]);
      r.enqueue([a], [snap.ids.value(a)]); // queued twice: refreshed once (or once more if already running)
      await r.idle();
      assert.deepEqual(new Set(refreshed), new Set([snap.ids.value(a), snap.ids.value(b)]));
      assert.equal(r.counts().failed, 0);
      const inputs = await store.fetchRankingInputs(a);
      assert.equal(inputs.source, 'stored');
      const ids = Array.from(inputs.candidates.ids);
      const blockedOrDismissed = new Set([...inputs.blocked, ...inputs.dismissed]);
      for (const f of g.neighbors(b)) if (!blockedOrDismissed.has(f)) assert.ok(ids.includes(f), `b's friend ${f} is offered to a`);
      const src = Array.from(inputs.candidates.features.source);
      const firstAnn = src.findIndex((s) => s === SOURCE_CODES.ann);
      if (firstAnn >= 0) assert.ok(src.slice(firstAnn).every((s) => s === SOURCE_CODES.ann), 'ANN-only entries come after the 2-hop ones');
      assert.ok(!ids.includes(b), 'a new connection is not a candidate');
    });

    test('most of the top candidates deactivated: the cut grows until topN usable users are read, none unread or flagged', async () => {
      const snap = randomSnapshot({ users: 300, seed: 47, maxCandidates: 10 });
      const store = await open!(snap);
      const g = snap.graph;
      const params: RefreshParams = { ...CANDIDATE_DEFAULTS, topN: 10 };
      const u = [...Array(300).keys()].sort((x, y) => twoHop(g, y, { topN: 300 }).cand.length - twoHop(g, x, { topN: 300 }).cand.length)[0];
      const top = Array.from(twoHop(g, u, { ...params, topN: 60 }).cand);
      const flagged = new Set(top.slice(0, 40));
      for (const v of flagged) await store.addFlags(v, FLAG_DEACTIVATED);
      const got = (await recomputeCandidates(store, u, params)).list;
      const want = await expected(store, snap, g, u, params, flagged);
      assert.ok(want.cand.length === 10, `fixture: user ${u} still has 10 usable candidates`);
      assert.deepEqual(Array.from(got.ids), Array.from(want.cand));
      for (let i = 0; i < want.cand.length; i++) for (const f of HEURISTIC_NAMES) assert.ok(Math.abs(got.features[f][i] - want.features[f][i]) < 1e-4, `#${i} ${f}`);
    });

    test('while the invalidator is busy (defer), queued refreshes wait; then they run', async () => {
      const snap = randomSnapshot({ users: 60, seed: 48, maxCandidates: 6 });
      const store = await open!(snap);
      let busy = true;
      const r = new Refresher(store, { params: CANDIDATE_DEFAULTS, defer: () => busy });
      r.enqueue([1, 2], [snap.ids.value(1), snap.ids.value(2)]);
      await new Promise((done) => setTimeout(done, 200));
      assert.deepEqual({ queued: r.counts().queued, refreshed: r.counts().refreshed }, { queued: 2, refreshed: 0 });
      busy = false;
      await r.idle();
      assert.equal(r.counts().refreshed, 2);
    });

    test('a refresh computed on another version, or on connections since changed, is not written', async () => {
      const snap = randomSnapshot({ users: 60, seed: 46, maxCandidates: 6 });
      const store = await open!(snap);
      const r = await recomputeCandidates(store, 1, CANDIDATE_DEFAULTS);
      assert.equal(await store.setCandidates(1, `${r.version}-other`, r.list, r.basis), 'outdated');
      assert.equal(await store.setCandidates(1, r.version, r.list, r.basis), 'written');
      assert.deepEqual(Array.from((await store.fetchRankingInputs(1)).candidates.ids), Array.from(r.list.ids));
      // A connection made after the refresh read its rows: the write is refused, the list stays.
      const stranger = [...Array(60).keys()].find((x) => x !== 1 && !r.basis.includes(x))!;
      await store.addConnection(1, stranger);
      const stale = { ...r.list, ids: r.list.ids.slice().reverse() };
      assert.equal(await store.setCandidates(1, r.version, stale, r.basis), 'changed');
      assert.deepEqual(Array.from((await store.fetchRankingInputs(1)).candidates.ids), Array.from(r.list.ids).filter((x) => x !== stranger));
    });
  });
}

suite('memory://', async (snap) => new MemoryStore(snap), async () => {}, false);
const h = redis.skip ? null : kvHarness(redis.url);
suite('redis://', h ? (snap) => h.open(snap) : null, async () => h?.cleanup(), redis.skip);
