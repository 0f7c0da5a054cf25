/** Problems the runner works around are logged, not dropped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import { harness, quiet, withTmp } from './fixtures.js';

test('an interrupted run whose manifest cannot be read is logged, and the build starts over', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '2\n3\n');
    const out = join(dir, 'bundle');
    await mkdir(stagingDir(out), { recursive: true });
    await writeFile(join(stagingDir(out), 'manifest.json'), '{"format": "pymk-bun');
    const opts = quiet(out, harness().stages, data);
    await runPipeline(opts);
    assert.ok(
      opts.lines.some((l) => /interrupted run's manifest in .*\.partial cannot be read \(.*not valid JSON\): starting over/.test(l)),
      opts.lines.join('\n'),
    );
  });
});
