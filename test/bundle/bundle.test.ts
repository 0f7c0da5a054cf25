import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { openBundle, readBundleVersion } from '../../src/bundle/bundle.js';
import { versionId } from '../../src/bundle/manifest.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { harness, quiet, withTmp } from '../pipeline/fixtures.js';

const code = (c: string, re?: RegExp) => (e: unknown) => isPymkError(e) && e.code === c && (!re || re.test(e.message));

/** Builds a good bundle at <dir>/bundle and returns its path. */
async function built(dir: string): Promise<string> {
  const data = join(dir, 'data.txt');
  await writeFile(data, '6\n7\n');
  const out = join(dir, 'bundle');
  await runPipeline(quiet(out, harness().stages, data));
  return out;
}

async function editManifest(out: string, edit: (m: Record<string, unknown>) => void): Promise<void> {
  const p = join(out, 'manifest.json');
  const m = JSON.parse(await readFile(p, 'utf8')) as Record<string, unknown>;
  edit(m);
  await writeFile(p, JSON.stringify(m));
}

test('openBundle refuses a folder without a manifest or with an unfinished build (PYMK_BUNDLE_INCOMPLETE)', async () => {
  await withTmp(async (dir) => {
    await mkdir(join(dir, 'empty'));
    await assert.rejects(openBundle(join(dir, 'empty')), code('PYMK_BUNDLE_INCOMPLETE', /no manifest\.json/));
    await assert.rejects(openBundle(join(dir, 'absent')), code('PYMK_BUNDLE_INCOMPLETE'));
    assert.equal(await readBundleVersion(join(dir, 'absent')), null);
    const out = await built(dir);
    assert.match((await readBundleVersion(out)) ?? '', /Z-/);
    await editManifest(out, (m) => {
      m.status = 'building';
    });
    await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INCOMPLETE', /'building'/));
    assert.equal(await readBundleVersion(out), null);
  });
});

test('openBundle refuses a bad manifest (PYMK_BUNDLE_INVALID naming manifest.json)', async () => {
  await withTmp(async (dir) => {
    const out = await built(dir);
    const text = await readFile(join(out, 'manifest.json'), 'utf8');
    const cases: [string, (m: Record<string, unknown>) => void][] = [
      ['future format version', (m) => (m.formatVersion = 99)],
      ['foreign format', (m) => (m.format = 'other')],
      ['artifacts not an object', (m) => (m.artifacts = 3)],
      ['a stage not done', (m) => ((m.stages as { status: string }[])[1].status = 'failed')],
    ];
    for (const [what, edit] of cases) {
      await writeFile(join(out, 'manifest.json'), text);
      await editManifest(out, edit);
      await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INVALID', /manifest\.json/), what);
    }
    await writeFile(join(out, 'manifest.json'), '{"format": "pymk-bun');
    await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INVALID', /manifest\.json: not valid JSON/));
  });
});

test('openBundle refuses missing and size-mismatched files, naming them', async () => {
  await withTmp(async (dir) => {
    const out = await built(dir);
    const victim = join(out, 'squares.bin');
    const bytes = await readFile(victim);
    await truncate(victim, bytes.length - 8);
    await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INVALID', /squares\.bin: size \d+ bytes, manifest says \d+/));
    await rm(victim);
    await assert.rejects(openBundle(out), code('PYMK_BUNDLE_INVALID', /squares\.bin: missing/));
    await writeFile(victim, bytes);
    await openBundle(out, { verify: 'full' }); // restored: fine again
  });
});

test('same-size corruption: fast open passes, but full open and every read detect it', async () => {
  await withTmp(async (dir) => {
    const out = await built(dir);
    const arrays = join(out, 'parse', 'values.bin');
    const bytes = await readFile(arrays);
    bytes[bytes.length - 5] ^= 0x10; // inside the payload (values are 6, 7)
    await writeFile(arrays, bytes);
    const json = join(out, 'summary.json');
    await writeFile(json, (await readFile(json, 'utf8')).replace('"count":2', '"count":3'));
    await assert.rejects(openBundle(out, { verify: 'full' }), code('PYMK_BUNDLE_INVALID', /values\.bin: checksum mismatch/));
    const b = await openBundle(out);
    // Typed arrays are caught by their CRC-32, other files by the manifest's SHA-256.
    await assert.rejects(b.readArrays('parse/values.bin'), code('PYMK_BUNDLE_INVALID', /values\.bin: column 'values' is corrupt/));
    await assert.rejects(b.readJson('summary.json'), code('PYMK_BUNDLE_INVALID', /summary\.json: checksum mismatch/));
    assert.deepEqual(await b.readJson('total.json'), { total: 85 }, 'intact artifacts still read');
    // Opting out of verification reads the damaged bytes as they are.
    const unchecked = await openBundle(out, { verifyOnRead: false });
    const { values } = await unchecked.readArrays('parse/values.bin', { values: 'int32' });
    assert.notDeepEqual([...values], [6, 7]);
    assert.deepEqual(await unchecked.readJson('summary.json'), { count: 3, scale: 1 });
  });
});

test('reading an unknown artifact or with the wrong columns fails clearly', async () => {
  await withTmp(async (dir) => {
    const out = await built(dir);
    const b = await openBundle(out);
    await assert.rejects(b.readArrays('nope.bin'), code('PYMK_BUNDLE_INVALID', /no artifact 'nope\.bin'.*has: .*squares\.bin/));
    await assert.rejects(b.readArrays('squares.bin', { squares: 'float32' }), code('PYMK_BUNDLE_INVALID', /'squares' is float64, expected float32/));
    assert.throws(() => b.path('nope.bin'), code('PYMK_BUNDLE_INVALID'));
    assert.equal(b.has('summary.json'), true);
    assert.equal(b.stage('total')?.status, 'done');
  });
});

test('version ids have millisecond resolution, sort by completion time, and end in the artifacts hash', async () => {
  const artifacts = { 'a.json': { stage: 's', kind: 'json' as const, bytes: 1, sha256: 'a'.repeat(64) } };
  const at = Date.UTC(2025, 2, 14, 10, 15, 2, 7);
  const ids = [at, at + 1, at + 999, at + 1000, at + 61_000].map((t) => versionId(new Date(t), artifacts));
  assert.equal(ids[0], `20250314T101502.007Z-${ids[0].slice(-8)}`);
  assert.equal(new Set(ids).size, ids.length, 'one millisecond apart is another version');
  assert.deepEqual([...ids].sort(), ids);
  assert.ok(ids.every((id) => id.endsWith(ids[0].slice(-8))), 'same artifacts, same hash part');
  const other = versionId(new Date(at), { ...artifacts, 'a.json': { ...artifacts['a.json'], sha256: 'b'.repeat(64) } });
  assert.notEqual(other.slice(-8), ids[0].slice(-8));
  // Two builds of the same inputs straight after each other are distinct versions.
  await withTmp(async (dir) => {
    const data = join(dir, 'data.txt');
    await writeFile(data, '1\n');
    const out = join(dir, 'bundle');
    const first = await runPipeline(quiet(out, harness().stages, data, { resume: false }));
    const second = await runPipeline(quiet(out, harness().stages, data, { resume: false }));
    assert.equal(first.manifest.version!.slice(-8), second.manifest.version!.slice(-8), 'the same artifacts');
    assert.notEqual(second.manifest.version, first.manifest.version);
    assert.equal(await readBundleVersion(out), second.manifest.version);
  });
});
