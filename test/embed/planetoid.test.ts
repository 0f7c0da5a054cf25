import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PLANETOID_DIR, readPlanetoid } from '../../src/data/adapters/planetoid.js';
import { buildGraph } from '../../src/graph/csr.js';

test('Cora from the shared Planetoid conversion has the documented counts', { skip: !existsSync(PLANETOID_DIR) && 'shared data not present' }, async () => {
  const c = await readPlanetoid('cora');
  assert.equal(c.n, 2708);
  assert.equal(c.featureDim, 1433);
  assert.equal(c.features.reduce((a, f) => a + f.length, 0), 49216);
  assert.equal(buildGraph(c.n, c.edges).edgeCount, 5278);
  assert.equal(new Set(c.labels).size, 7);
});

test('malformed Planetoid files are refused naming the file and line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pymk-planetoid-'));
  try {
    await writeFile(join(dir, 'x.features.txt'), '0 2\n1\n');
    await writeFile(join(dir, 'x.labels.txt'), '0\n1\n');
    await writeFile(join(dir, 'x.edges.csv'), 'src,dst\n0,1\n');
    const ok = await readPlanetoid('x', dir);
    assert.deepEqual([ok.n, ok.featureDim, ok.edges.count], [2, 3, 1]);
    await writeFile(join(dir, 'x.edges.csv'), 'src,dst\n0,5\n');
    await assert.rejects(readPlanetoid('x', dir), (e: Error & { code?: string }) => e.code === 'PYMK_BAD_INPUT' && /x\.edges\.csv:2/.test(e.message));
    await writeFile(join(dir, 'x.labels.txt'), '0\n');
    await assert.rejects(readPlanetoid('x', dir), { code: 'PYMK_BAD_INPUT' });
    await assert.rejects(readPlanetoid('missing', dir), { code: 'PYMK_BAD_INPUT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
