import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { openBundle } from '../../src/bundle/bundle.js';
import { readManifest } from '../../src/bundle/bundle.js';
import { runPipeline, stagingDir } from '../../src/pipeline/runner.js';
import type { Stage } from '../../src/pipeline/stage.js';
import { harness, quiet, sha256, withTmp } from './fixtures.js';

const exists = (p: string): Promise<boolean> => access(p).then(
  () => true,
  () => false,
);
const code = (c: string, re?: RegExp) => (e: unknown) => isPymkError(e) && e.code === c && (!re || re.test(e.message));

test('a run publishes a complete bundle whose manifest records inputs, stages, schema and artifacts', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '3\n-4\n5\n');
    const h = harness();
    const out = join(dir, 'bundle');
    const r = await runPipeline(quiet(out, h.stages, data, { params: { scale: 2 } }));
    assert.deepEqual(r.ran, ['parse', 'square', 'total']);
    assert.deepEqual(r.reused, []);
    const b = await openBundle(out, { verify: 'full' });
    assert.match(b.version, /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}$/);
    const m = b.manifest;
    assert.equal(m.inputs.data.sha256, sha256(await readFile(data)));
    assert.equal(m.inputs.data.bytes, 7);
    assert.deepEqual(m.params, { scale: 2 });
    assert.deepEqual(m.stages.map((s) => [s.name, s.status]), [['parse', 'done'], ['square', 'done'], ['total', 'done']]);
    assert.ok(m.stages.every((s) => typeof s.ms === 'number' && s.ms >= 0 && s.startedAt));
    assert.deepEqual(m.stages[0].metrics, { rows: 3 });
    assert.deepEqual(m.stages[2].metrics, { total: 2 * (9 + 16 + 25) });
    assert.deepEqual(m.schema, { values: { dtype: 'int32', count: 3 }, squares: ['squares', 'index'] });
    const files = ['parse/values.bin', 'squares.bin', 'summary.json', 'total.json'];
    assert.deepEqual(Object.keys(m.artifacts).sort(), files.sort());
    for (const f of files) {
      const bytes = await readFile(join(out, f));
      assert.equal(m.artifacts[f].bytes, bytes.length, f);
      assert.equal(m.artifacts[f].sha256, sha256(bytes), f);
    }
    const { squares, index } = await b.readArrays('squares.bin', { squares: 'float64', index: 'uint32' });
    assert.deepEqual([...squares], [9, 16, 25]);
    assert.deepEqual([...index], [0, 1, 2]);
    assert.deepEqual(await b.readJson('total.json'), { total: 100 });
    assert.deepEqual((await readdir(dir)).sort(), ['bundle', 'data.txt'], 'no staging, lock or old folder left');
  });
});

test('a failing first stage leaves no staging folder at all', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n2\n');
    const h = harness();
    const out = join(dir, 'bundle');
    h.fail.add('parse');
    await assert.rejects(runPipeline(quiet(out, h.stages, data)), code('PYMK_STAGE_FAILED', /stage 'parse' failed/));
    assert.equal(await exists(out), false);
    assert.equal(await exists(stagingDir(out)), false, 'nothing to resume from: the staging folder is removed');
  });
});

test('a failing stage leaves no complete bundle; a rerun resumes from the failed stage', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n2\n');
    const h = harness();
    const out = join(dir, 'bundle');
    h.fail.add('square');
    await assert.rejects(runPipeline(quiet(out, h.stages, data)), code('PYMK_STAGE_FAILED', /stage 'square' failed: square was told to fail/));
    assert.equal(await exists(out), false);
    await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INCOMPLETE'));
    await assert.rejects(openBundle(stagingDir(out)), code('PYMK_BUNDLE_INCOMPLETE', /'failed'/));
    const staged = await readManifest(stagingDir(out));
    assert.equal(staged?.stages[1].status, 'failed');
    assert.match(staged?.stages[1].error ?? '', /told to fail/);
    assert.equal(await exists(join(stagingDir(out), 'squares.bin')), false, "the failed stage's file is deleted");

    h.fail.clear();
    const r = await runPipeline(quiet(out, h.stages, data));
    assert.deepEqual(h.calls, { parse: 1, square: 2, total: 1 });
    assert.deepEqual(r.reused, ['parse']);
    assert.deepEqual(r.ran, ['square', 'total']);
    assert.equal(r.manifest.stages[0].reused, true);
    assert.equal(r.manifest.stages[1].reused, false);
    const b = await openBundle(out, { verify: 'full' });
    assert.deepEqual(await b.readJson('total.json'), { total: 5 });
    assert.deepEqual(b.schema, { values: { dtype: 'int32', count: 2 }, squares: ['squares', 'index'] }, 'reused schema kept');
  });
});

test('changed inputs, changed params, a bumped stage version or resume:false force reruns', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    const out = join(dir, 'bundle');
    const failOnce = async (h: ReturnType<typeof harness>, extra = {}): Promise<void> => {
      h.fail.add('total');
      await assert.rejects(runPipeline(quiet(out, h.stages, data, extra)), code('PYMK_STAGE_FAILED', /'total'/));
      h.fail.clear();
    };
    await writeFile(data, '1\n2\n');

    let h = harness();
    await failOnce(h);
    await writeFile(data, '1\n3\n'); // same size, different content
    let r = await runPipeline(quiet(out, h.stages, data));
    assert.deepEqual(r.reused, []);
    assert.deepEqual(h.calls, { parse: 2, square: 2, total: 2 });
    assert.deepEqual((await openBundle(out)).manifest.stages[2].metrics, { total: 10 });

    h = harness();
    await failOnce(h, { params: { scale: 1 } });
    r = await runPipeline(quiet(out, h.stages, data, { params: { scale: 3 } }));
    assert.deepEqual(r.reused, []);
    assert.deepEqual(r.manifest.stages[2].metrics, { total: 30 });

    h = harness();
    await failOnce(h);
    const bumped = h.stages.map((s): Stage => (s.name === 'square' ? { ...s, version: '2' } : s));
    r = await runPipeline(quiet(out, bumped, data));
    assert.deepEqual(r.reused, ['parse']);

    h = harness();
    await failOnce(h);
    r = await runPipeline(quiet(out, h.stages, data, { resume: false }));
    assert.deepEqual(r.reused, []);
    assert.deepEqual(h.calls, { parse: 2, square: 2, total: 2 });
  });
});

test('a reused stage whose artifact was corrupted in staging is rerun', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '4\n5\n');
    const h = harness();
    const out = join(dir, 'bundle');
    h.fail.add('total');
    await assert.rejects(runPipeline(quiet(out, h.stages, data)));
    const victim = join(stagingDir(out), 'squares.bin');
    const bytes = await readFile(victim);
    bytes[bytes.length - 9] ^= 1; // inside the payload, same size
    await writeFile(victim, bytes);
    h.fail.clear();
    const r = await runPipeline(quiet(out, h.stages, data));
    assert.deepEqual(r.reused, ['parse']);
    assert.deepEqual(h.calls, { parse: 1, square: 2, total: 2 });
    assert.deepEqual(await (await openBundle(out)).readJson('total.json'), { total: 41 });
  });
});

test('a new bundle replaces the old one at the same path only when it succeeds', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    const out = join(dir, 'bundle');
    await writeFile(data, '1\n');
    const first = await runPipeline(quiet(out, harness().stages, data));
    const old = await openBundle(out);

    await writeFile(data, '1\n2\n');
    const h = harness();
    h.fail.add('total');
    await assert.rejects(runPipeline(quiet(out, h.stages, data)));
    const still = await openBundle(out, { verify: 'full' });
    assert.equal(still.version, first.manifest.version, 'the failed run left the old bundle alone');

    h.fail.clear();
    const second = await runPipeline(quiet(out, h.stages, data));
    assert.notEqual(second.manifest.version, first.manifest.version);
    const now = await openBundle(out, { verify: 'full' });
    assert.equal(now.version, second.manifest.version);
    assert.deepEqual(await now.readJson('total.json'), { total: 5 });
    assert.deepEqual((await readdir(dir)).sort(), ['bundle', 'data.txt']);
    // A reader holding the old bundle is told it was replaced rather than given new bytes.
    await assert.rejects(old.readJson('total.json'), code('PYMK_BUNDLE_INVALID', /replaced/));
  });
});

test('the runner refuses to overwrite a folder that is not a bundle', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n');
    const out = join(dir, 'precious');
    await runPipeline(quiet(join(out, 'x'), harness().stages, data)); // creates the parent, fine
    await writeFile(join(out, 'notes.txt'), 'keep me');
    await assert.rejects(runPipeline(quiet(out, harness().stages, data)), code('PYMK_BAD_PARAM', /not a pymk bundle/));
    assert.equal(await readFile(join(out, 'notes.txt'), 'utf8'), 'keep me');
  });
});

test('a live lock refuses a second run; a stale lock from a dead process is taken over', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n');
    const out = join(dir, 'bundle');
    await writeFile(`${out}.lock`, String(process.pid));
    await assert.rejects(runPipeline(quiet(out, harness().stages, data)), code('PYMK_BUNDLE_LOCKED', new RegExp(`process ${process.pid}`)));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(`${out}.lock`, String(dead));
    await runPipeline(quiet(out, harness().stages, data));
    assert.equal(await exists(`${out}.lock`), false);
  });
});

test('stages must register every file they leave and may not write a name twice', async () => {
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n');
    const out = join(dir, 'bundle');
    const sneaky: Stage = {
      name: 'model',
      async run(ctx) {
        await writeFile(ctx.path('model.onnx'), 'weights');
        await writeFile(ctx.path('forgotten.txt'), 'oops');
      },
    };
    await assert.rejects(runPipeline(quiet(out, [sneaky], data)), code('PYMK_STAGE_FAILED', /forgotten\.txt/));
    const honest: Stage = {
      name: 'model',
      async run(ctx) {
        await writeFile(ctx.path('model.onnx'), 'weights');
        await ctx.addFile('model.onnx');
      },
    };
    const twice: Stage = { name: 'again', run: (ctx) => ctx.writeJson('model.onnx', {}) };
    await assert.rejects(runPipeline(quiet(out, [honest, twice], data)), code('PYMK_STAGE_FAILED', /already written by stage 'model'/));
    const r = await runPipeline(quiet(out, [honest], data));
    assert.equal(r.manifest.artifacts['model.onnx'].sha256, sha256('weights'));
    assert.equal(r.manifest.artifacts['model.onnx'].kind, 'file');
    const b = await openBundle(out);
    assert.equal((await b.readBytes('model.onnx')).toString(), 'weights');
    assert.equal((await stat(b.path('model.onnx'))).size, 7);
    const bad: Stage = { name: 'bad', run: (ctx) => ctx.writeJson('../escape.json', {}) };
    await assert.rejects(runPipeline(quiet(out, [bad], data)), code('PYMK_STAGE_FAILED', /bad artifact name/));
  });
});

test('a folder input is checksummed file by file', async () => {
  await withTmp(async (dir) => {
    const folder = join(dir, 'dataset');
    await writeFile(join(dir, 'data.txt'), '2\n');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(folder, 'sub'), { recursive: true });
    await writeFile(join(folder, 'a.csv'), 'a');
    await writeFile(join(folder, 'sub', 'b.csv'), 'bb');
    const stages = harness().stages;
    const opts = { ...quiet(join(dir, 'bundle'), stages, join(dir, 'data.txt')), inputs: { data: join(dir, 'data.txt'), set: folder } };
    const r1 = await runPipeline(opts);
    const rec = r1.manifest.inputs.set;
    assert.equal(rec.kind, 'dir');
    assert.equal(rec.files, 2);
    assert.equal(rec.bytes, 3);
    assert.equal(rec.sha256, sha256(`a.csv\0${sha256('a')}\nsub/b.csv\0${sha256('bb')}\n`));
    await writeFile(join(folder, 'sub', 'c.csv'), '');
    const r2 = await runPipeline(opts);
    assert.notEqual(r2.manifest.inputs.set.sha256, rec.sha256, 'an added (even empty) file changes the checksum');
  });
});
