/** The pipeline's parameters: config file schema, defaults ← file ← flags, rules from the serving config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANDIDATES_PER_USER, loadConfig } from '../../src/core/config.js';
import { isPymkError } from '../../src/core/errors.js';
import { parsePipelineFile, pipelineParams, readPipelineFile } from '../../src/pipeline/config.js';
import { defaultStages, PIPELINE_DEFAULTS } from '../../src/pipeline/stages/index.js';
import { EMBED_DEFAULTS } from '../../src/pipeline/stages/embed.js';
import { RECENT_TIER_DEFAULTS } from '../../src/pipeline/stages/annIncremental.js';
import { rulesOf } from '../../src/recommend/rules.js';

const RULES = rulesOf(loadConfig({}, {}));
const configError = (field: string) => (e: unknown) => isPymkError(e) && e.code === 'PYMK_CONFIG' && e.message.includes(field);

test('no file and no flags: the defaults, every stage on, CANDIDATES_PER_USER candidates', () => {
  const p = pipelineParams({}, {}, RULES);
  assert.deepEqual(p.candidates, PIPELINE_DEFAULTS.candidates);
  assert.equal(p.candidates.topN, CANDIDATES_PER_USER);
  assert.deepEqual(p.embed, EMBED_DEFAULTS);
  assert.deepEqual(p.lists, { ...PIPELINE_DEFAULTS.lists, rules: RULES });
  assert.deepEqual(defaultStages(p).map((s) => s.name), ['ingest', 'graph', 'embed', 'ann', 'candidates', 'pair-features', 'rank', 'lists']);
});

test('a file sets nested values and keeps the other defaults; flags override the file', () => {
  const file = parsePipelineFile({ candidates: { topN: 100, score: 'ra' }, rank: { train: { mlp: { hidden: [128, 64] } } } });
  const p = pipelineParams(file, { candidates: 300 }, RULES);
  assert.equal(p.candidates.topN, 300);
  assert.equal(p.candidates.score, 'ra');
  assert.equal(p.candidates.maxFanout, PIPELINE_DEFAULTS.candidates.maxFanout);
  assert.ok(p.rank);
  assert.deepEqual(p.rank.train.mlp.hidden, [128, 64]);
  assert.equal(p.rank.examples.topN, 300, 'the ranker trains on lists as long as the candidates kept (and the manifest says so)');
  assert.equal(p.rank.train.mlp.epochs, (PIPELINE_DEFAULTS.rank as { train: { mlp: { epochs: number } } }).train.mlp.epochs);
});

test('--no-embed and "embed": false drop the embed and ann stages; --no-rank drops rank', () => {
  for (const p of [pipelineParams({}, { embed: false }, RULES), pipelineParams(parsePipelineFile({ embed: false }), {}, RULES)]) {
    assert.deepEqual(defaultStages(p).map((s) => s.name), ['ingest', 'graph', 'candidates', 'pair-features', 'rank', 'lists']);
  }
  assert.deepEqual(defaultStages(pipelineParams({}, { rank: false }, RULES)).map((s) => s.name), ['ingest', 'graph', 'embed', 'ann', 'candidates', 'pair-features', 'lists']);
});

test('unknown keys are rejected at any depth, naming the path', () => {
  assert.throws(() => parsePipelineFile({ candidate: {} }), configError('candidate'));
  assert.throws(() => parsePipelineFile({ rank: { train: { mlp: { hiden: [8] } } } }), configError('rank.train.mlp'));
  assert.throws(() => parsePipelineFile({ embed: { train: { dims: 64 } } }), configError('embed.train'));
  // The ranker's list length is the candidates stage's, so it is not a setting of its own.
  assert.throws(() => parsePipelineFile({ rank: { examples: { topN: 50 } } }), configError('rank.examples'));
});

test('values must have the type and range of their defaults', () => {
  assert.throws(() => parsePipelineFile({ candidates: { topN: '200' } }), configError('candidates.topN'));
  assert.throws(() => parsePipelineFile({ candidates: { topN: 0 } }), configError('candidates.topN'));
  assert.throws(() => parsePipelineFile({ candidates: { score: 'pagerank' } }), configError('candidates.score'));
  assert.throws(() => parsePipelineFile({ lists: { k: 2.5 } }), configError('lists.k'));
  assert.throws(() => parsePipelineFile({ embed: { train: { lr: -1 } } }), configError('embed.train.lr'));
  assert.throws(() => parsePipelineFile({ embed: { inferFanouts: [5] } }), configError('embed.inferFanouts'));
  assert.throws(() => parsePipelineFile({ rank: { served: 'xgboost' } }), configError('rank.served'));
  assert.throws(() => parsePipelineFile({ ann: { metric: 'hamming' } }), configError('ann.metric'));
  assert.throws(() => parsePipelineFile([]), configError('(root)'));
  assert.throws(() => parsePipelineFile({ recentTier: { minCos: 1.5 } }), configError('recentTier.minCos'));
  assert.throws(() => parsePipelineFile({ recentTier: { maxRecentFraction: 2 } }), configError('recentTier.maxRecentFraction'));
});

test("recentTier from the file reaches an incremental run's ann stage, the defaults filling the rest", () => {
  const tierOf = (p: ReturnType<typeof pipelineParams>) =>
    (defaultStages(p, { incrementalFrom: '/bundles/weekly' }).find((s) => s.name === 'ann')!.params as { tier: unknown }).tier;
  assert.deepEqual(tierOf(pipelineParams({}, {}, RULES)), RECENT_TIER_DEFAULTS);
  assert.deepEqual(tierOf(pipelineParams(parsePipelineFile({ recentTier: { minCos: 0.99 } }), {}, RULES)), { ...RECENT_TIER_DEFAULTS, minCos: 0.99 });
  assert.notEqual(RECENT_TIER_DEFAULTS.minCos, 0.99);
});

test('the static lists take the business rules of the serving configuration', () => {
  const rules = rulesOf(loadConfig({}, { PYMK_MAX_PER_COMPANY: '2', PYMK_MAX_PER_SCHOOL: '1', PYMK_DIVERSITY_BACKFILL: 'true' }));
  assert.deepEqual(pipelineParams({}, {}, rules).lists.rules, { maxPerCompany: 2, maxPerSchool: 1, backfill: true });
});

test('readPipelineFile names the file when it is missing, not JSON, or wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-pcfg-'));
  try {
    await assert.rejects(readPipelineFile(join(dir, 'none.json')), configError('none.json: cannot read the pipeline config (no such file)'));
    writeFileSync(join(dir, 'bad.json'), '{ "candidates": ');
    await assert.rejects(readPipelineFile(join(dir, 'bad.json')), configError('bad.json'));
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ lists: { kk: 5 } }));
    await assert.rejects(readPipelineFile(join(dir, 'typo.json')), configError('typo.json: lists'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify({ candidates: { topN: 50 }, embed: false }));
    assert.deepEqual(await readPipelineFile(join(dir, 'ok.json')), { candidates: { topN: 50 }, embed: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pymk pipeline --config with an unknown key fails before any stage runs, naming file and field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-pcli-'));
  try {
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ candidates: { topn: 5 } }));
    const cli = join(process.cwd(), 'dist/src/cli/main.js');
    const r = spawnSync(process.execPath, [cli, 'pipeline', '--data', join(dir, 'nodata'), '--out', join(dir, 'b'), '--config', join(dir, 'p.json')], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /p\.json: candidates: Unrecognized key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
