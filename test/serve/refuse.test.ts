/**
 * The server's bundle poll refuses a newer bundle with any corrupt artifact — including ones it would not load
 * (the ONNX model it does not serve) and the ANN index and embeddings — by their SHA-256, logs each refusal
 * once however often it polls, keeps serving the old bundle, and swaps a good newer bundle in exactly once
 * even when polls come faster than a load.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.js';
import { ARTIFACTS } from '../../src/bundle/artifacts.js';
import { generateWorld } from '../../src/data/generate/index.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { defaultStages } from '../../src/pipeline/stages/index.js';
import { createServer } from '../../src/serve/server.js';
import { QUICK_PARAMS } from '../helpers/quickBundle.js';

const PARAMS = QUICK_PARAMS;

/** Publishes a copy of `src` at `dest` under a new version, with one byte of `corrupt` (if any) flipped in place (same size). */
async function publishCopy(src: string, dest: string, version: string, corrupt?: string): Promise<void> {
  const next = `${dest}.next`;
  await rm(next, { recursive: true, force: true });
  await cp(src, next, { recursive: true });
  const mpath = join(next, 'manifest.json');
  const m = JSON.parse(await readFile(mpath, 'utf8')) as { version: string };
  m.version = version;
  await writeFile(mpath, JSON.stringify(m, null, 2));
  if (corrupt) {
    const fh = await open(join(next, corrupt), 'r+');
    const { size } = await fh.stat();
    const at = Math.floor(size * 0.6);
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] ^= 0x5a;
    await fh.write(b, 0, 1, at);
    await fh.close();
  }
  // As the pipeline publishes: the old folder moves away, the new one takes its name.
  await rename(dest, `${dest}.old-${version}`);
  await rename(next, dest);
}

test('a newer bundle with one corrupt artifact of each kind is refused once per version; a good one is swapped in once', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pymk-serve-refuse-'));
  try {
    const data = join(root, 'data');
    const built = join(root, 'built');
    const bundle = join(root, 'bundle');
    await generateWorld({ users: 300, seed: 7, out: data });
    const r = await runPipeline({ out: built, stages: defaultStages(PARAMS), inputs: { data }, params: PARAMS, progress: 'silent', log: () => {} });
    await cp(built, bundle, { recursive: true });
    const names = Object.keys(r.manifest.artifacts);
    const find = (re: RegExp): string => {
      const n = names.find((x) => re.test(x));
      assert.ok(n, `the bundle has an artifact matching ${re}: ${names.join(', ')}`);
      return n;
    };
    const kinds: Record<string, string> = {
      'model not served (mlp.onnx while serving mlp-int8)': find(/(^|\/)mlp\.onnx$/),
      'ANN index': find(/^ann\/.*\.usearch$/),
      embeddings: 'embeddings/users.bin',
      'static lists': ARTIFACTS.lists,
      candidates: ARTIFACTS.candidates,
    };

    const server = await createServer(loadConfig({ bundle, scorer: 'mlp-int8' }, {}));
    try {
      const errors: { err: unknown; msg: string }[] = [];
      const swaps: string[] = [];
      server.app.log.error = ((obj: { err: unknown }, msg: string) => void errors.push({ err: obj.err, msg })) as typeof server.app.log.error;
      server.app.log.info = ((obj: unknown, msg?: string) => {
        if (msg === 'swapped in a new bundle') swaps.push((obj as { version: string }).version);
      }) as typeof server.app.log.info;
      const first = await server.reload();
      assert.equal(first, r.manifest.version);

      for (const [kind, artifact] of Object.entries(kinds)) {
        const version = `corrupt-${artifact.replace(/\W/g, '-')}`;
        await publishCopy(built, bundle, version, artifact);
        const before = errors.length;
        for (let i = 0; i < 4; i++) assert.equal(await server.reload(), first, `${kind}: still serving the old bundle`);
        const logged = errors.slice(before);
        assert.equal(logged.length, 1, `${kind}: refused and logged once across 4 polls: ${logged.map((e) => e.msg).join(' | ')}`);
        assert.match(logged[0].msg, new RegExp(`refused bundle ${version}`));
        assert.match(String((logged[0].err as Error).message), new RegExp(`${artifact.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*checksum mismatch`), kind);
        const ready = await server.app.inject({ url: '/readyz' });
        assert.equal(ready.json<{ version: string }>().version, first, `${kind}: /readyz names the old version`);
      }
      assert.deepEqual(swaps, []);

      await publishCopy(built, bundle, 'good-2');
      // Polls faster than a load: all of these start while the first is still verifying and loading.
      const results = await Promise.all(Array.from({ length: 6 }, () => server.reload()));
      assert.deepEqual(results, Array(6).fill('good-2'));
      assert.equal(await server.reload(), 'good-2');
      assert.deepEqual(swaps, ['good-2'], 'swapped in exactly once');
      const rec = await server.app.inject({ url: `/readyz` });
      assert.equal(rec.json<{ version: string }>().version, 'good-2');
    } finally {
      await server.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
