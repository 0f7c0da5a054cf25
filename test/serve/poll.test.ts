/**
 * The server's bundle poll: a manifest that becomes unreadable is logged once (not on every poll) while the
 * loaded bundle keeps serving, and its recovery is logged once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { defaultStages } from '../../src/pipeline/stages/index.js';
import { createServer } from '../../src/serve/server.js';
import { QUICK_PARAMS } from '../helpers/quickBundle.js';

const PARAMS = QUICK_PARAMS;

test('an unreadable manifest is logged once per state change while the loaded bundle keeps serving', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-serve-poll-'));
  try {
    const data = join(root, 'data');
    const bundle = join(root, 'bundle');
    await generateWorld({ users: 300, seed: 5, out: data });
    await runPipeline({ out: bundle, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
    const server = await createServer(loadConfig({ bundle, annCandidates: 0, scorer: 'aa' }, {}));
    try {
      const errors: [unknown, string][] = [];
      const infos: string[] = [];
      server.app.log.error = ((obj: { err: unknown }, msg: string) => void errors.push([obj.err, msg])) as typeof server.app.log.error;
      server.app.log.info = ((msg: string) => void infos.push(msg)) as typeof server.app.log.info;
      const version = await server.reload();

      const manifest = join(bundle, 'manifest.json');
      await rename(manifest, `${manifest}.kept`);
      await mkdir(manifest); // reading it now fails with EISDIR, not ENOENT
      assert.equal(await server.reload(), version);
      assert.equal(await server.reload(), version);
      assert.equal(errors.length, 1, 'logged once, not on every poll');
      assert.equal((errors[0][0] as NodeJS.ErrnoException).code, 'EISDIR');
      assert.match(errors[0][1], /manifest\.json failed; still serving/);
      const ready = await server.app.inject({ url: '/readyz' });
      assert.equal(ready.json<{ version: string }>().version, version);

      await rm(manifest, { recursive: true });
      await rename(`${manifest}.kept`, manifest);
      assert.equal(await server.reload(), version);
      assert.equal(infos.filter((l) => /manifest\.json recovered after 2 failures/.test(l)).length, 1, infos.join('\n'));
      assert.equal(errors.length, 1);
    } finally {
      await server.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
