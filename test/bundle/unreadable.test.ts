/**
 * "Absent" and "unreadable" are different answers: a missing folder, manifest or artifact is reported as
 * absent, quietly where absence is an answer; any other failure to read is reported as itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isPymkError } from '../../src/core/errors.js';
import { artifactProblem, readArtifactBytes, readBundleVersion } from '../../src/bundle/bundle.js';
import { withTmp } from '../pipeline/fixtures.js';

const REC = { stage: 's', kind: 'file', bytes: 3, sha256: '0'.repeat(64) } as const;

test('readBundleVersion: a missing folder or manifest is null and nothing is reported', async () => {
  await withTmp(async (dir) => {
    const reported: unknown[] = [];
    await mkdir(join(dir, 'empty'));
    assert.equal(await readBundleVersion(join(dir, 'absent'), (e) => reported.push(e)), null);
    assert.equal(await readBundleVersion(join(dir, 'empty'), (e) => reported.push(e)), null);
    assert.equal(await readBundleVersion(join(dir, 'absent')), null);
    assert.deepEqual(reported, []);
  });
});

test('readBundleVersion: an unreadable or corrupt manifest is thrown, or reported to onError', async () => {
  await withTmp(async (dir) => {
    const unreadable = join(dir, 'unreadable');
    await mkdir(join(unreadable, 'manifest.json'), { recursive: true }); // reading it fails with EISDIR
    await assert.rejects(readBundleVersion(unreadable), (e) => (e as NodeJS.ErrnoException).code === 'EISDIR');
    const reported: [unknown, string][] = [];
    assert.equal(await readBundleVersion(unreadable, (e, what) => reported.push([e, what])), null);
    assert.equal(reported.length, 1);
    assert.equal((reported[0][0] as NodeJS.ErrnoException).code, 'EISDIR');
    assert.match(reported[0][1], /cannot read the bundle manifest in .*unreadable/);

    const corrupt = join(dir, 'corrupt');
    await mkdir(corrupt);
    await writeFile(join(corrupt, 'manifest.json'), '{"format": "pymk-bun');
    await assert.rejects(readBundleVersion(corrupt), (e) => isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID');
    reported.length = 0;
    assert.equal(await readBundleVersion(corrupt, (e, what) => reported.push([e, what])), null);
    assert.ok(isPymkError(reported[0]?.[0]) && reported[0][0].code === 'PYMK_BUNDLE_INVALID');
  });
});

test('an artifact that cannot be read is not called missing', async () => {
  await withTmp(async (dir) => {
    await symlink('loop', join(dir, 'loop')); // stat and open fail with ELOOP
    await mkdir(join(dir, 'folder'));
    assert.equal(await artifactProblem(dir, 'absent', REC, false), 'missing');
    assert.match((await artifactProblem(dir, 'loop', REC, false)) ?? '', /^cannot be read \(.*ELOOP/);
    await assert.rejects(readArtifactBytes(dir, 'absent', REC, false), (e) => isPymkError(e) && /artifact file is missing/.test(e.message));
    await assert.rejects(
      readArtifactBytes(dir, 'folder', REC, false),
      (e) => isPymkError(e) && e.code === 'PYMK_BUNDLE_INVALID' && /artifact file cannot be read \(.*EISDIR/.test(e.message),
    );
  });
});
