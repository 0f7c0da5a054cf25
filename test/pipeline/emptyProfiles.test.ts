/**
 * An empty profile file when the output already holds a bundle: the run fails at the embed stage's start,
 * saying why, instead of fine-tuning on empty profiles and failing stages later; from an empty output path
 * the same input builds, with a warning naming the empty file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { EMBED_DEFAULTS } from '../../src/pipeline/stages/embed.js';

const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, rank: false, ann: false, embed: { ...EMBED_DEFAULTS, train: { ...EMBED_DEFAULTS.train, dim: 16, hidden: 16, epochs: 1, maxEdges: 2000 } } };

test('an empty users.jsonl fails at embed when fine-tuning from the bundle in place; builds (with a warning) from scratch', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-empty-profiles-'));
  try {
    const data = join(root, 'data');
    const out = join(root, 'bundle');
    await generateWorld({ users: 200, seed: 4, out: data });
    const run = (o: string, lines: string[]) => runPipeline({ out: o, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: (l) => lines.push(l) });
    await run(out, []);
    await writeFile(join(data, 'users.jsonl'), '');
    const lines: string[] = [];
    await assert.rejects(run(out, lines), (e) => isPymkError(e) && e.code === 'PYMK_STAGE_FAILED' && /stage 'embed' failed: PYMK_BAD_INPUT: every one of the \d+ users has an empty profile/.test(e.message));
    assert.ok(lines.some((l) => /warning: .*users\.jsonl: empty profiles file/.test(l)), 'the ingest stage warned, naming the file');
    const fresh: string[] = [];
    await run(join(root, 'fresh'), fresh);
    assert.ok(fresh.some((l) => /warning: .*users\.jsonl: empty profiles file/.test(l)));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
