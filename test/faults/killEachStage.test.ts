/**
 * Fault suite, pipeline side: a run killed with SIGKILL at the start of each stage, then rerun. The rerun
 * reuses exactly the stages that finished, runs the rest, and the bundle verifies whole; the killed run
 * leaves no bundle behind, only its staging folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openBundle } from '../../src/bundle/bundle.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import { defaultStages, type PipelineParams } from '../../src/pipeline/stages/index.js';
import { record } from './harness.js';
import { QUICK_PARAMS } from '../helpers/quickBundle.js';

const PARAMS: PipelineParams = QUICK_PARAMS;
const dist = fileURLToPath(new URL('../../src/', import.meta.url));
const STAGES = defaultStages(PARAMS).map((s) => s.name);

/** Runs the pipeline in a child process and SIGKILLs it when `stage` starts; true when it was killed there. */
function killAt(stage: string, data: string, out: string): Promise<{ killed: boolean; seen: string }> {
  const script = `
    import { runPipeline } from ${JSON.stringify(join(dist, 'pipeline/runner.js'))};
    import { defaultStages } from ${JSON.stringify(join(dist, 'pipeline/stages/index.js'))};
    const params = ${JSON.stringify(PARAMS)};
    await runPipeline({ out: ${JSON.stringify(out)}, stages: defaultStages(params), inputs: { data: ${JSON.stringify(data)} }, params, progress: 'silent', log: (l) => console.log(l) });
    console.log('FINISHED');`;
  // A file, not --input-type + -e: the candidates stage's workers inherit the parent's exec arguments.
  const file = `${out}.run.mjs`;
  writeFileSync(file, script);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  let seen = '';
  const start = new RegExp(`stage ${stage}: start`);
  return new Promise((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString();
      if (start.test(seen) && child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL' && !seen.includes('FINISHED'), seen }));
  });
}

test('SIGKILL at the start of every stage, then rerun: finished stages reused, the rest run, the bundle verifies', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-kill-each-'));
  const rows: { stage: string; reused: string[]; ran: string[] }[] = [];
  try {
    const data = join(root, 'data');
    await generateWorld({ users: 400, seed: 9, out: data });
    for (const [i, stage] of STAGES.entries()) {
      const out = join(root, `bundle-${stage}`);
      const k = await killAt(stage, data, out);
      assert.ok(k.killed, `killed at ${stage}: ${k.seen}`);
      assert.equal(existsSync(out), false, 'no bundle from a killed run');
      if (i > 0) assert.ok(existsSync(stagingDir(out)), 'the staging folder stays to resume from');
      const r = await runPipeline({ out, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
      assert.deepEqual(r.reused, STAGES.slice(0, i), `killed at ${stage}: reused what finished`);
      assert.equal(r.ran[0], stage);
      await openBundle(out, { verify: 'full' });
      assert.equal(existsSync(stagingDir(out)), false, 'the staging folder is gone once the bundle is complete');
      rows.push({ stage, reused: r.reused, ran: r.ran });
      await rm(out, { recursive: true, force: true });
    }
    record('pipeline-kill-each-stage', { stages: rows });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
