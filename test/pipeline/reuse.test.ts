/**
 * Stage-level fingerprints (`runPipeline({ reuseFrom })`, `pymk pipeline --since BUNDLE`): a stage whose
 * declared params and every artifact and input it read are unchanged since the earlier bundle is taken from
 * it; the rest rerun. The result must equal a full run on the same data, artifact for artifact.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline, type RunResult } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { RANK_DEFAULTS } from '../../src/pipeline/stages/rank.js';

const PARAMS: PipelineParams = {
  ...PIPELINE_DEFAULTS,
  embed: false,
  rank: { ...RANK_DEFAULTS, train: { ...RANK_DEFAULTS.train, mlp: { ...RANK_DEFAULTS.train.mlp, epochs: 1, minSteps: 100 }, gbdt: { ...RANK_DEFAULTS.train.gbdt, trees: 10 } } },
};
const quiet = { progress: 'silent' as const, log: () => {} };
const CARD = 'model/model.json';

let root = '';
let data = '';
let first: RunResult;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'pymk-reuse-'));
  data = join(root, 'data');
  await generateWorld({ users: 1500, seed: 5, out: data });
  first = await runPipeline({ out: join(root, 'first'), stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, ...quiet });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const run = (out: string, dataDir: string, params = PARAMS, reuseFrom?: string): Promise<RunResult> =>
  runPipeline({ out: join(root, out), stages: defaultStages(params), inputs: { data: dataDir }, params, reuseFrom, ...quiet });
const shas = (r: RunResult): Record<string, string> => Object.fromEntries(Object.entries(r.manifest.artifacts).map(([k, a]) => [k, k === CARD ? '(timed)' : a.sha256]));

test('the same data and params again: every stage is reused, nothing reruns, the artifacts are the same files', async () => {
  const again = await run('again', data, PARAMS, first.dir);
  assert.deepEqual(again.ran, []);
  assert.ok(again.manifest.stages.every((s) => s.reused && s.reusedFrom === first.manifest.version));
  assert.deepEqual(Object.fromEntries(Object.entries(again.manifest.artifacts).map(([k, a]) => [k, a.sha256])), Object.fromEntries(Object.entries(first.manifest.artifacts).map(([k, a]) => [k, a.sha256])));
});

test('new events only: the stages that read events rerun, the candidates are reused, and the bundle equals a full run', async () => {
  const more = join(root, 'more-events');
  await cp(data, more, { recursive: true });
  const events = (await readFile(join(data, 'events.jsonl'), 'utf8')).trim().split('\n').slice(-200);
  const later = events.map((l) => {
    const e = JSON.parse(l) as { ts: number };
    return JSON.stringify({ ...e, ts: e.ts + 86_400 });
  });
  await appendFile(join(more, 'events.jsonl'), `${later.join('\n')}\n`);
  const inc = await run('inc-events', more, PARAMS, first.dir);
  assert.deepEqual(inc.ran, ['ingest', 'graph', 'pair-features', 'rank', 'lists']);
  assert.deepEqual(inc.manifest.stages.filter((s) => s.reused).map((s) => s.name), ['candidates']);
  const full = await run('full-events', more);
  assert.deepEqual(shas(inc), shas(full));
});

test('a changed list length reruns only the lists; a new connection reruns the graph and everything after it', async () => {
  const k = { ...PARAMS, lists: { ...PARAMS.lists, k: 20 } };
  const lists = await run('inc-k', data, k, first.dir);
  assert.deepEqual(lists.ran, ['lists']);
  assert.deepEqual(shas(lists), shas(await run('full-k', data, k)));

  const edge = join(root, 'more-edges');
  await cp(data, edge, { recursive: true });
  await appendFile(join(edge, 'connections.csv'), 'u1,u1400,1735600000\n');
  const inc = await run('inc-edge', edge, PARAMS, first.dir);
  assert.deepEqual(inc.ran, ['ingest', 'graph', 'candidates', 'pair-features', 'rank', 'lists']);
});
