/**
 * A pipeline killed with SIGKILL during the embed stage resumes on rerun: the finished stages (ingest, graph)
 * are reused, embed and the rest run, and the bundle verifies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBundle } from '../../src/bundle/bundle.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import { PIPELINE_DEFAULTS, defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { existsSync } from 'node:fs';

const PARAMS: PipelineParams = { ...PIPELINE_DEFAULTS, rank: false };
const dist = fileURLToPath(new URL('../../src/', import.meta.url));

test('kill -9 during embed, rerun: resumed after graph and finished', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-kill-'));
  try {
    const data = join(root, 'data');
    const out = join(root, 'bundle');
    await generateWorld({ users: 400, seed: 9, out: data });
    const script = `
      import { runPipeline } from ${JSON.stringify(join(dist, 'pipeline/runner.js'))};
      import { defaultStages } from ${JSON.stringify(join(dist, 'pipeline/stages/index.js'))};
      const params = ${JSON.stringify(PARAMS)};
      await runPipeline({ out: ${JSON.stringify(out)}, stages: defaultStages(params), inputs: { data: ${JSON.stringify(data)} }, params, progress: 'silent', log: (l) => console.log(l) });
      console.log('FINISHED');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let seen = '';
    const killed = await new Promise<boolean>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        seen += c.toString();
        if (/stage embed: start/.test(seen) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', (_code, signal) => resolve(signal === 'SIGKILL'));
    });
    assert.ok(killed && !seen.includes('FINISHED'), `killed during embed: ${seen}`);
    assert.equal(existsSync(out), false);
    assert.ok(existsSync(stagingDir(out)), 'the interrupted run left its staging folder to resume from');

    const r = await runPipeline({ out, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
    assert.deepEqual(r.reused, ['ingest', 'graph']);
    assert.equal(r.ran[0], 'embed');
    await openBundle(out, { verify: 'full' });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
