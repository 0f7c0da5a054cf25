/**
 * A run split across processes: the shared snapshot (every stage but the per-user ones), N partition runs
 * over it, and the merge. The merged bundle must equal the single-process bundle artifact for artifact
 * (SHA-256), for range and hash partitions; the merge must refuse a missing, repeated or foreign partition
 * and publish nothing then.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { bundleInput, mergePartitions } from '../../src/pipeline/merge.js';
import { blockOwners, ownedRanges, parsePartition, type Partition } from '../../src/pipeline/partition.js';
import { runPipeline, type RunResult } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, partitionStages, snapshotStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';

// A quick ranker, so the static lists are ranked by the model (batched scoring is part of what must agree).
const PARAMS: PipelineParams = {
  ...PIPELINE_DEFAULTS,
  embed: false,
  rank: { ...RANK_DEFAULTS, train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 100 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 10 } } },
};
const quiet = { progress: 'silent' as const, log: () => {} };
const BLOCK = 256;

let root = '';
let data = '';
let single: RunResult;
let snapshot = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-partition-'));
  data = join(root, 'data');
  await generateWorld({ users: 3000, seed: 11, out: data });
  single = await runPipeline({ out: join(root, 'single'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
  snapshot = join(root, 'snapshot');
  await runPipeline({ out: snapshot, stages: snapshotStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function partitionRun(p: Partition, out: string, params = PARAMS): Promise<string> {
  await runPipeline({ out, stages: partitionStages(params, p), inputs: { snapshot: bundleInput(snapshot) }, base: snapshot, params, ...quiet });
  return out;
}

async function parts(count: number, by: 'range' | 'hash', tag: string): Promise<string[]> {
  const dirs: string[] = [];
  for (let i = 0; i < count; i++) dirs.push(await partitionRun(parsePartition(`${i}/${count}`, by, BLOCK), join(root, `${tag}-${i}`)));
  return dirs;
}

/** The model card records training times, which differ between any two runs: compared without them below. */
const CARD = 'model/model.json';
const artifacts = (r: RunResult): Record<string, string> => Object.fromEntries(Object.entries(r.manifest.artifacts).map(([k, a]) => [k, k === CARD ? '(timed)' : a.sha256]));
const untimed = async (r: RunResult): Promise<unknown> =>
  JSON.parse(await readFile(join(r.dir, CARD), 'utf8'), (k, v: unknown) => (/(Seconds|PerSecond)$/.test(k) ? undefined : v));

async function assertSameBundle(merged: RunResult): Promise<void> {
  assert.deepEqual(artifacts(merged), artifacts(single));
  assert.deepEqual(await untimed(merged), await untimed(single));
}

test('partitions cover every user exactly once, by range and by hash', () => {
  for (const by of ['range', 'hash'] as const) {
    const seen = new Uint8Array(3000);
    for (let i = 0; i < 4; i++) for (const [lo, hi] of ownedRanges(3000, parsePartition(`${i}/4`, by, BLOCK))) for (let u = lo; u < hi; u++) seen[u]++;
    assert.ok(seen.every((c) => c === 1), by);
  }
  const owners = blockOwners(100_000 * 8, { count: 4, by: 'hash', block: 2048 });
  const sizes = [0, 1, 2, 3].map((i) => owners.filter((o) => o === i).length);
  assert.ok(Math.min(...sizes) > 0.8 * (owners.length / 4), `hash spreads blocks evenly: ${sizes}`);
});

test('N = 4 range partitions merge into the single-process bundle, artifact for artifact', async () => {
  const dirs = await parts(4, 'range', 'range');
  const merged = await mergePartitions({ snapshot, parts: [...dirs].reverse(), out: join(root, 'merged-range'), ...quiet });
  await assertSameBundle(merged);
  assert.deepEqual(merged.manifest.schema, single.manifest.schema);
  assert.deepEqual(merged.manifest.stages.map((s) => s.name), single.manifest.stages.map((s) => s.name));
  assert.equal((merged.manifest.stages.find((s) => s.name === 'lists')!.metrics as { users: number }).users, 3000);
});

test('N = 3 hash partitions merge into the same bundle', async () => {
  const dirs = await parts(3, 'hash', 'hash');
  const merged = await mergePartitions({ snapshot, parts: dirs, out: join(root, 'merged-hash'), ...quiet });
  await assertSameBundle(merged);
});

test('the merge refuses a missing, repeated or foreign partition, and publishes nothing', async () => {
  const dirs = [join(root, 'range-0'), join(root, 'range-1'), join(root, 'range-2'), join(root, 'range-3')];
  const out = join(root, 'merged-bad');
  const refuses = async (partsGiven: string[], pattern: RegExp): Promise<void> => {
    await assert.rejects(mergePartitions({ snapshot, parts: partsGiven, out, ...quiet }), (e: unknown) => isPymkError(e) && e.code === 'PYMK_BAD_INPUT' && pattern.test(e.message));
    assert.equal(existsSync(out), false);
  };
  await refuses(dirs.slice(0, 3), /partitions missing: 3\/4 \(of 4, by range\)/);
  await refuses([...dirs, dirs[1]], /partitions given more than once: 1\/4 in .*range-1 and .*range-1/);
  await refuses([...dirs.slice(0, 3), join(root, 'hash-0')], /hash-0 is partition 0\/3 by hash .* one run, one split/);
  await refuses([snapshot], /not a partition bundle/);
});

test('a partition run with other parameters than its snapshot is refused by the merge', async () => {
  const other = { ...PARAMS, lists: { ...PARAMS.lists, k: 20 } };
  const dir = await partitionRun(parsePartition('3/4', 'range', BLOCK), join(root, 'other-3'), other);
  const dirs = [join(root, 'range-0'), join(root, 'range-1'), join(root, 'range-2'), dir];
  await assert.rejects(mergePartitions({ snapshot, parts: dirs, out: join(root, 'merged-other'), ...quiet }), (e: unknown) => isPymkError(e) && /other-3 was built with other parameters/.test(e.message));
});
