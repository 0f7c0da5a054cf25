/**
 * The incremental stages against a full run on the same grown world (1% new connections and new users
 * appended): the users whose connections changed get exactly the full run's candidate and pair-feature rows,
 * every user whose lists' inputs changed gets exactly the full run's list, every other user keeps the
 * earlier bundle's rows, and the static lists' Recall@20 overlap with the full run is reported per group
 * (changed users, their neighbours — the stale ones — and the rest).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readArrays } from '../../src/bundle/binary.js';
import { CANDIDATE_COLUMNS, EXCLUSION_COLUMNS, GRAPH_COLUMNS, LIST_COLUMNS, PAIR_EXTRA_COLUMNS, PROFILE_COLUMNS } from '../../src/bundle/artifacts.js';
import { growWorld } from '../helpers/grownWorld.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { Graph } from '../../src/graph/csr.js';
import { runPipeline, type RunResult } from '../../src/pipeline/runner.js';
import { candidatesStage, exclusionMask } from '../../src/pipeline/stages/candidates.js';
import { changedUsers } from '../../src/pipeline/stages/affected.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';

const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, embed: false, rank: false };
const quiet = { progress: 'silent' as const, log: () => {} };
const USERS = 2000;

let root = '';
let first: RunResult;
let inc: RunResult;
let full: RunResult;
/** An incremental run whose candidates stage computed everyone: pair features and lists find their users by comparison. */
let mixed: RunResult;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-incremental-'));
  const data = join(root, 'data');
  await generateWorld({ users: USERS, seed: 9, out: data });
  first = await runPipeline({ out: join(root, 'first'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
  // The world a day later: 1% more connections between existing users, and 20 new users with 3 each.
  const grown = join(root, 'grown');
  await growWorld(data, grown, USERS);
  inc = await runPipeline({ out: join(root, 'inc'), stages: defaultStages(PARAMS, { incrementalFrom: first.dir }), inputs: { data: grown }, params: PARAMS, reuseFrom: first.dir, ...quiet });
  full = await runPipeline({ out: join(root, 'full'), stages: defaultStages(PARAMS), inputs: { data: grown }, params: PARAMS, ...quiet });
  const stages = defaultStages(PARAMS, { incrementalFrom: first.dir }).map((st) => (st.name === 'candidates' ? candidatesStage(PARAMS.candidates) : st));
  mixed = await runPipeline({ out: join(root, 'mixed'), stages, inputs: { data: grown }, params: PARAMS, ...quiet });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const read = <S extends Parameters<typeof readArrays>[1]>(r: RunResult, name: string, spec: S) => readArrays(join(r.dir, name), spec!);
const graphOf = async (r: RunResult): Promise<Graph> => {
  const g = await read(r, 'graph/graph.bin', GRAPH_COLUMNS);
  return new Graph(g.offsets.length - 1, g.offsets, g.targets, g.times);
};
const rows = (c: { offsets: Int32Array; cand: Int32Array; score: Float32Array }, u: number): string => {
  const [a, z] = [c.offsets[u], c.offsets[u + 1]];
  return `${Array.from(c.cand.subarray(a, z))}|${Array.from(c.score.subarray(a, z))}`;
};

test('changed users get the full run\'s rows exactly, the others keep the earlier bundle\'s rows', async () => {
  const [g0, g1] = [await graphOf(first), await graphOf(full)];
  const ex0 = exclusionMask((await read(first, 'users/profiles.bin', PROFILE_COLUMNS)).flags);
  const ex1 = exclusionMask((await read(full, 'users/profiles.bin', PROFILE_COLUMNS)).flags);
  const changed = changedUsers(g0, ex0, g1, ex1);
  const c0 = await read(first, 'candidates/two-hop.bin', CANDIDATE_COLUMNS);
  const ci = await read(inc, 'candidates/two-hop.bin', CANDIDATE_COLUMNS);
  const cf = await read(full, 'candidates/two-hop.bin', CANDIDATE_COLUMNS);
  const n = g1.n;
  assert.equal(n, USERS + 20);
  let nChanged = 0;
  for (let u = 0; u < n; u++) {
    if (changed[u]) {
      nChanged++;
      assert.equal(rows(ci, u), rows(cf, u), `changed user ${u}`);
      for (const h of ['cn', 'aa', 'ra', 'jaccard', 'pa'] as const) assert.deepEqual(ci[h].subarray(ci.offsets[u], ci.offsets[u + 1]), cf[h].subarray(cf.offsets[u], cf.offsets[u + 1]));
    } else assert.equal(rows(ci, u), rows(c0, u), `unchanged user ${u}`);
  }
  const m = inc.manifest.stages.find((s) => s.name === 'candidates')!.metrics as { incremental: boolean; recomputed: number; newUsers: number; workers: number };
  assert.deepEqual([m.incremental, m.recomputed, m.newUsers], [true, nChanged, 20]);
  assert.ok(m.workers >= 1);
  assert.ok(nChanged > 20 && nChanged < n / 2, `${nChanged} changed users`);
});

const cols = (c: Record<string, Float32Array | Int32Array> & { offsets: Int32Array }, names: readonly string[], u: number): string =>
  names.map((k) => Array.from(c[k].subarray(c.offsets[u], c.offsets[u + 1])).join(',')).join('|');
const EXTRA = Object.keys(PAIR_EXTRA_COLUMNS);

const HEUR = ['cand', 'score', 'cn', 'aa', 'ra', 'jaccard', 'pa'];

/** The users an incremental stage of `run` must recompute: own connections changed or new, or a candidate row that differs from the first bundle's in `names`. */
async function candidatesChanged(run: RunResult, names: readonly string[]): Promise<Uint8Array> {
  const marked = changedUsers(await graphOf(first), new Uint8Array(USERS), await graphOf(full), new Uint8Array(USERS + 20));
  const [c0, c] = [await read(first, 'candidates/two-hop.bin', CANDIDATE_COLUMNS), await read(run, 'candidates/two-hop.bin', CANDIDATE_COLUMNS)];
  for (let u = 0; u < USERS; u++) if (cols(c0, names, u) !== cols(c, names, u)) marked[u] = 1;
  return marked;
}

for (const which of ['incremental', 'incremental over fully computed candidates'] as const) {
  const runOf = (): RunResult => (which === 'incremental' ? inc : mixed);

  test(`pair features (${which}): the recomputed users' rows are the full run's, the others the earlier bundle's`, async () => {
    const run = runOf();
    // Pair features depend on the candidate ids, not on their heuristic scores.
    const marked = await candidatesChanged(run, ['cand']);
    const [c0, ci, cf] = await Promise.all([first, run, full].map((r) => read(r, 'candidates/two-hop.bin', CANDIDATE_COLUMNS)));
    const [p0, pi, pf] = await Promise.all([first, run, full].map((r) => read(r, 'candidates/pair-extra.bin', PAIR_EXTRA_COLUMNS)));
    const withOffsets = (p: typeof p0, c: typeof c0) => ({ ...p, offsets: c.offsets });
    let recomputed = 0;
    for (let u = 0; u < USERS + 20; u++) {
      if (marked[u]) {
        recomputed++;
        assert.ok(cols(withOffsets(pi, ci), EXTRA, u) === cols(withOffsets(pf, cf), EXTRA, u), `recomputed user ${u}: not the full run's row`);
      } else assert.ok(cols(withOffsets(pi, ci), EXTRA, u) === cols(withOffsets(p0, c0), EXTRA, u), `user ${u}: not the earlier bundle's row`);
    }
    const m = run.manifest.stages.find((s) => s.name === 'pair-features')!.metrics as { incremental: boolean; recomputed: number };
    assert.deepEqual([m.incremental, m.recomputed], [true, recomputed]);
  });

  test(`static lists (${which}): every user whose inputs changed gets the full run's list, every other user the earlier bundle's`, async () => {
    const run = runOf();
    // The rule, restated: own connections changed or new, or the candidate row, its pair features or the exclusions differ.
    const marked = await candidatesChanged(run, HEUR);
    const [c0, ci] = [await read(first, 'candidates/two-hop.bin', CANDIDATE_COLUMNS), await read(run, 'candidates/two-hop.bin', CANDIDATE_COLUMNS)];
    const [p0, pi] = [await read(first, 'candidates/pair-extra.bin', PAIR_EXTRA_COLUMNS), await read(run, 'candidates/pair-extra.bin', PAIR_EXTRA_COLUMNS)];
    const [x0, xi] = [await read(first, 'graph/exclusions.bin', EXCLUSION_COLUMNS), await read(run, 'graph/exclusions.bin', EXCLUSION_COLUMNS)];
    const exclusions = (x: typeof x0, u: number): string =>
      `${Array.from(x.blockedTargets.subarray(x.blockedOffsets[u], x.blockedOffsets[u + 1]))}|${Array.from(x.dismissedTargets.subarray(x.dismissedOffsets[u], x.dismissedOffsets[u + 1]))}`;
    const [l0, li, lf] = await Promise.all([first, run, full].map((r) => read(r, 'lists/static.bin', LIST_COLUMNS)));
    let ranked = 0;
    for (let u = 0; u < USERS + 20; u++) {
      const inputsChanged = marked[u] === 1 || cols({ ...p0, offsets: c0.offsets }, EXTRA, u) !== cols({ ...pi, offsets: ci.offsets }, EXTRA, u) || exclusions(x0, u) !== exclusions(xi, u);
      if (inputsChanged) {
        ranked++;
        assert.ok(rows(li, u) === rows(lf, u), `user ${u}, inputs changed: not the full run's list`);
      } else assert.ok(rows(li, u) === rows(l0, u), `user ${u}, inputs unchanged: not the earlier bundle's list`);
    }
    const m = run.manifest.stages.find((s) => s.name === 'lists')!.metrics as { incremental: boolean; recomputed: number };
    assert.deepEqual([m.incremental, m.recomputed], [true, ranked]);
    if (which === 'incremental') assert.ok(ranked < (USERS + 20) / 2, `${ranked} users ranked`);
  });
}

test('Recall@20 overlap of the static lists with the full run: 1 for changed users, reported for the stale neighbours', async () => {
  const g1 = await graphOf(full);
  const g0 = await graphOf(first);
  const ex = new Uint8Array(g1.n);
  const changed = changedUsers(g0, ex.subarray(0, g0.n), g1, ex);
  const near = new Uint8Array(g1.n);
  for (let u = 0; u < g1.n; u++) if (changed[u]) for (const v of g1.neighbors(u)) if (!changed[v]) near[v] = 1;
  const li = await read(inc, 'lists/static.bin', LIST_COLUMNS);
  const lf = await read(full, 'lists/static.bin', LIST_COLUMNS);
  const overlap = { changed: [0, 0], neighbours: [0, 0], others: [0, 0] };
  for (let u = 0; u < g1.n; u++) {
    const f = new Set(lf.cand.subarray(lf.offsets[u], Math.min(lf.offsets[u + 1], lf.offsets[u] + 20)));
    if (f.size === 0) continue;
    const i = li.cand.subarray(li.offsets[u], Math.min(li.offsets[u + 1], li.offsets[u] + 20));
    const hit = Array.from(i).filter((v) => f.has(v)).length / f.size;
    const group = changed[u] ? overlap.changed : near[u] ? overlap.neighbours : overlap.others;
    group[0] += hit;
    group[1]++;
  }
  const r = Object.fromEntries(Object.entries(overlap).map(([k, [s, c]]) => [k, { users: c, recallAt20: c ? +(s / c).toFixed(4) : null }]));
  console.log(`# Recall@20 overlap with the full run: ${JSON.stringify(r)}`);
  assert.equal(r.changed.recallAt20, 1);
  assert.ok(r.neighbours.users > 0);
  assert.ok((r.others.recallAt20 ?? 1) >= 0.99, 'users two or more hops from any change keep their lists');
});
