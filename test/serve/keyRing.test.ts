/** The key ring keeps its last good keys when the keys file turns unreadable, and reports that once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureTracker } from '../../src/core/failures.js';
import { createKey, KeyRing } from '../../src/serve/keys.js';

test('a keys file that turns unreadable: the last good keys keep working, the failure and the recovery are reported once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-keyring-'));
  try {
    const file = join(dir, 'keys.json');
    const { key } = await createKey(file, ['recommendations:read']);
    const reports: string[] = [];
    const ring = new KeyRing(file, [], 0, new FailureTracker('keys', { onError: (_e, what) => reports.push(what), onRecover: (what) => reports.push(what) }));
    await ring.reload();
    assert.ok(ring.verify(key));
    await writeFile(file, '{ not json');
    await ring.refresh();
    await ring.refresh();
    assert.ok(ring.verify(key), 'the last good ring keeps serving');
    assert.equal(ring.rereads.stats().failures, 2);
    assert.equal(reports.length, 1);
    await rm(file);
    await createKey(file, ['recommendations:read']);
    await ring.refresh();
    assert.equal(ring.verify(key), null, 'the new file is in force');
    assert.equal(reports.length, 2);
    assert.match(reports[1], /recovered after 2 failures/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
