/**
 * The partitioned candidates computation: worker pools of 1, 2 and 3 threads, tiny ranges and a consumer
 * with random delays all produce exactly what a single-threaded twoHopAll produces, byte for byte once
 * written; the stage writes that file into a bundle and leaves no spill files behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { FLAG_BANNED, FLAG_DEACTIVATED } from '../../src/core/tables.js';
import { buildGraph, type Graph } from '../../src/graph/csr.js';
import { HEURISTIC_NAMES } from '../../src/graph/heuristics.js';
import { twoHopAll, type TwoHopOptions } from '../../src/graph/twoHop.js';
import { twoHopParallel, type CandidateRange } from '../../src/graph/twoHopParallel.js';
import { ARTIFACTS, CANDIDATE_COLUMNS, GRAPH_COLUMNS, PROFILE_COLUMNS } from '../../src/bundle/artifacts.js';
import { encodeArrays, writeChunks } from '../../src/bundle/binary.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { ColumnStreamWriter } from '../../src/bundle/columnStream.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { CANDIDATE_DEFAULTS, candidatesStage, exclusionMask, streamCandidates, type CandidateParams } from '../../src/pipeline/stages/candidates.js';
import type { Stage } from '../../src/pipeline/stage.js';
import { randomEdges } from '../graph/randomEdges.js';
import { withTmp } from './fixtures.js';

const n = 400;
// Skewed endpoints give hubs well above maxFanout, so hub sampling and exact features are exercised.
const g = buildGraph(n, randomEdges(n, 3000, 11, 2.5));
const exclude = new Uint8Array(n);
{
  const rng = new Rng(5);
  for (let u = 0; u < n; u++) exclude[u] = rng.next() < 0.1 ? 1 : 0;
}
const params: CandidateParams = { topN: 15, score: 'aa', maxFanout: 12, hubMode: 'sample', exactFeatures: true };
const opts: TwoHopOptions = { ...params, exclude };

/** The single-threaded result in the artifact's column layout. */
function expectedColumns(graph: Graph, o: TwoHopOptions): Record<string, Int32Array | Float32Array> {
  const c = twoHopAll(graph, null, o);
  return { offsets: c.offsets, cand: c.cand, score: c.score, ...c.features };
}

function concat(ranges: CandidateRange[]): Record<string, Int32Array | Float32Array> {
  const total = ranges.reduce((s, r) => s + r.cand.length, 0);
  const offsets = new Int32Array(n + 1);
  const cols: Record<string, Float32Array | Int32Array> = { cand: new Int32Array(total), score: new Float32Array(total) };
  for (const h of HEURISTIC_NAMES) cols[h] = new Float32Array(total);
  let pos = 0;
  for (const r of ranges) {
    for (let i = 0; i < r.counts.length; i++) offsets[r.lo + i + 1] = offsets[r.lo + i] + r.counts[i];
    cols.cand.set(r.cand, pos);
    cols.score.set(r.score, pos);
    for (const h of HEURISTIC_NAMES) cols[h].set(r.features[h], pos);
    pos += r.cand.length;
  }
  return { offsets, ...cols };
}

test('the test graph has hubs above maxFanout and excluded users (so those paths are exercised)', () => {
  let hubs = 0;
  for (let u = 0; u < n; u++) if (g.degree(u) > params.maxFanout) hubs++;
  assert.ok(hubs >= 10, `${hubs} hubs`);
  assert.ok(exclude.reduce((s, x) => s + x, 0) > 10);
});

for (const workers of [1, 2, 3]) {
  test(`${workers} worker(s), ranges of 7 users: in order and equal to twoHopAll`, async () => {
    const ranges: CandidateRange[] = [];
    const stats = await twoHopParallel(g, opts, { workers, rangeSize: 7 }, (r) => void ranges.push(r));
    assert.equal(stats.workers, workers);
    assert.equal(stats.ranges, Math.ceil(n / 7));
    assert.deepEqual(
      ranges.map((r) => [r.lo, r.hi]),
      Array.from({ length: stats.ranges }, (_, i) => [i * 7, Math.min(n, i * 7 + 7)]),
    );
    assert.deepEqual(concat(ranges), expectedColumns(g, opts));
    assert.equal(stats.candidates, ranges.reduce((s, r) => s + r.cand.length, 0));
  });
}

test('a slow consumer with random delays changes nothing (scheduling does not matter)', async () => {
  const rng = new Rng(3);
  const ranges: CandidateRange[] = [];
  const o: TwoHopOptions = { topN: 40, score: 'ra', maxFanout: 12, hubMode: 'skip', exclude };
  await twoHopParallel(g, o, { workers: 3, rangeSize: 5, inFlightPerWorker: 1 }, async (r) => {
    await new Promise((res) => setTimeout(res, rng.int(4)));
    ranges.push(r);
  });
  assert.deepEqual(concat(ranges), expectedColumns(g, o));
});

test('an error in the consumer or a worker rejects the run', async () => {
  await assert.rejects(
    twoHopParallel(g, opts, { workers: 2, rangeSize: 10 }, (r) => {
      if (r.lo >= 50) throw new Error('disk full');
    }),
    /disk full/,
  );
  // topN 0 is refused by the generator inside each worker.
  await assert.rejects(twoHopParallel(g, { topN: 0 }, { workers: 2 }, () => {}), /topN must be a positive integer/);
  await assert.rejects(twoHopParallel(g, opts, { workers: 0 }, () => {}), { code: 'PYMK_BAD_PARAM' });
});

test('an `only` mask computes the marked users exactly as twoHopAll does and gives the others no candidates', async () => {
  const only = new Uint8Array(n);
  const rng = new Rng(17);
  for (let u = 0; u < n; u++) only[u] = rng.next() < 0.25 ? 1 : 0;
  const ranges: CandidateRange[] = [];
  await twoHopParallel(g, opts, { workers: 2, rangeSize: 9, only }, (r) => void ranges.push(r));
  const got = concat(ranges);
  const want = expectedColumns(g, opts);
  const row = (c: Record<string, Int32Array | Float32Array>, u: number): string =>
    ['cand', 'score', ...HEURISTIC_NAMES].map((k) => Array.from(c[k].subarray(c.offsets[u], c.offsets[u + 1])).join(',')).join('|');
  for (let u = 0; u < n; u++) {
    if (only[u]) assert.equal(row(got, u), row(want, u), `marked user ${u}`);
    else assert.equal(got.offsets[u + 1] - got.offsets[u], 0, `unmarked user ${u}`);
  }
  await assert.rejects(twoHopParallel(g, opts, { only: new Uint8Array(n - 1) }, () => {}), { code: 'PYMK_BAD_PARAM' });
});

test('a partition lo..hi gives the rows of those users, offsets from 0; a bad partition is refused', async () => {
  await withTmp(async (dir) => {
    const [lo, hi] = [37, 211];
    const users = Int32Array.from({ length: hi - lo }, (_, i) => lo + i);
    const c = twoHopAll(g, users, opts);
    const want = Buffer.concat(encodeArrays({ offsets: c.offsets, cand: c.cand, score: c.score, ...c.features }));
    const path = join(dir, 'part.bin');
    const out = await ColumnStreamWriter.open(path, CANDIDATE_COLUMNS);
    const s = await streamCandidates(g, exclude, params, { workers: 2, rangeSize: 10, lo, hi }, out);
    await writeChunks(path, out.chunks());
    assert.ok((await readFile(path)).equals(want));
    assert.equal(s.users, hi - lo);
  });
  await assert.rejects(twoHopParallel(g, opts, { lo: 10, hi: n + 1 }, () => {}), { code: 'PYMK_BAD_PARAM' });
  await assert.rejects(twoHopParallel(g, opts, { lo: 20, hi: 10 }, () => {}), { code: 'PYMK_BAD_PARAM' });
});

test('more workers than ranges: only as many workers as ranges are started', async () => {
  const stats = await twoHopParallel(g, opts, { workers: 8, rangeSize: 200 }, () => {});
  assert.equal(stats.workers, 2);
});

test('ColumnStreamWriter writes the bytes writeArrays writes, from uneven slices, and removes its spill files', async () => {
  await withTmp(async (dir) => {
    const rng = new Rng(9);
    const spec = { a: 'int8', b: 'float64', c: 'int32' } as const;
    const whole = { a: new Int8Array(1001), b: new Float64Array(333), c: new Int32Array(0) };
    for (let i = 0; i < whole.a.length; i++) whole.a[i] = rng.int(256) - 128;
    for (let i = 0; i < whole.b.length; i++) whole.b[i] = rng.next();
    const w = await ColumnStreamWriter.open(join(dir, 'x.bin'), spec);
    for (let i = 0; i < whole.a.length; ) {
      const j = Math.min(whole.a.length, i + rng.int(50));
      await w.append({ a: whole.a.subarray(i, j) });
      i = j;
    }
    await w.append({ b: whole.b.subarray(0, 100), c: whole.c });
    await w.append({ b: whole.b.subarray(100) });
    assert.deepEqual(w.lengths, { a: 1001, b: 333, c: 0 });
    await assert.rejects(w.append({ a: new Uint8Array(3) as unknown as Int8Array }), { code: 'PYMK_BAD_INPUT' });
    await writeChunks(join(dir, 'x.bin'), w.chunks());
    assert.deepEqual(await readdir(dir), ['x.bin']);
    assert.deepEqual(await readFile(join(dir, 'x.bin')), Buffer.concat(encodeArrays(whole)));
  });
});

test('streamCandidates writes the single-threaded file byte for byte with 1, 2 and 3 workers', async () => {
  await withTmp(async (dir) => {
    const want = Buffer.concat(encodeArrays(expectedColumns(g, opts)));
    for (const workers of [1, 2, 3]) {
      const path = join(dir, `c${workers}.bin`);
      const out = await ColumnStreamWriter.open(path, CANDIDATE_COLUMNS);
      const seen: number[] = [];
      const s = await streamCandidates(g, exclude, params, { workers, rangeSize: 13 }, out, (d) => seen.push(d));
      await writeChunks(path, out.chunks());
      assert.ok((await readFile(path)).equals(want), `${workers} workers`);
      assert.equal(seen.at(-1), n);
      assert.equal(s.candidates, expectedColumns(g, opts).cand.length);
    }
  });
});

test('the stage writes the single-threaded artifact into the bundle, with metrics and no spill files', async () => {
  await withTmp(async (dir) => {
    // A stage that writes the graph and profiles the candidates stage reads (flags mark a few users away).
    const flags = Uint8Array.from(exclude, (x, u) => (x ? (u % 2 ? FLAG_BANNED : FLAG_DEACTIVATED) : 0));
    const setup: Stage = {
      name: 'setup',
      async run(ctx) {
        await ctx.writeArrays(ARTIFACTS.graph, { offsets: g.offsets, targets: g.targets, times: g.times } satisfies Record<keyof typeof GRAPH_COLUMNS, unknown>);
        const z = new Int32Array(n);
        await ctx.writeArrays(ARTIFACTS.profiles, {
          company: z,
          school: z,
          location: z,
          industry: z,
          seniority: new Int8Array(n),
          joinedAt: new Uint32Array(n),
          flags,
        } satisfies Record<keyof typeof PROFILE_COLUMNS, unknown>);
      },
    };
    assert.deepEqual(exclusionMask(flags), exclude);
    const out = join(dir, 'bundle');
    const r = await runPipeline({ out, stages: [setup, candidatesStage(params, { workers: 2, rangeSize: 16 })], progress: 'silent', log: () => {} });
    const bytes = await readFile(join(out, ARTIFACTS.candidates));
    assert.ok(bytes.equals(Buffer.concat(encodeArrays(expectedColumns(g, opts)))));
    assert.deepEqual((await readdir(join(out, 'candidates'))).sort(), ['two-hop.bin']);
    const bundle = await openBundle(out);
    const c = await bundle.readArrays(ARTIFACTS.candidates, CANDIDATE_COLUMNS);
    assert.equal(c.offsets.length, n + 1);
    const m = r.manifest.stages.find((s) => s.name === 'candidates')?.metrics as Record<string, number>;
    assert.equal(m.workers, 2);
    assert.equal(m.users, n);
    assert.equal(m.candidates, c.cand.length);
    assert.ok(m.usersPerSecond > 0 && m.peakRssMiB > 0);
    assert.equal(r.manifest.artifacts[ARTIFACTS.candidates].kind, 'arrays');
  });
});

test('the defaults are valid twoHop options', () => {
  const c = twoHopAll(g, Int32Array.of(0, 1, 2), { ...CANDIDATE_DEFAULTS, exclude });
  assert.equal(c.offsets.length, 4);
});
