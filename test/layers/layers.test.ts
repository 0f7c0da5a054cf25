/**
 * The layer rules (.dependency-cruiser.cjs) on small planted trees: a clean tree passes, and an upward
 * import, a type-only upward import, a peer import and a cycle each fail naming their rule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const REPO = process.cwd();
const CRUISE = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(files: Record<string, string>): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-layers-'));
  try {
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(process.execPath, [CRUISE, 'src', '--config', join(REPO, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOW = { 'src/core/errors.ts': 'export const E = 1;\n', 'src/bundle/read.ts': "import { E } from '../core/errors.js';\nexport const R = E;\n" };

test('a tree whose imports follow the layer order passes', () => {
  const r = cruise({ ...LOW, 'src/serve/app.ts': "import { R } from '../bundle/read.js';\nexport const A = R;\n" });
  assert.equal(r.status, 0, r.out);
});

test('an upward import fails with the rule of the importing layer', () => {
  const r = cruise({ ...LOW, 'src/serve/app.ts': 'export const A = 1;\n', 'src/core/config.ts': "import { A } from '../serve/app.js';\nexport const C = A;\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /layer-core/);
  assert.match(r.out, /src\/core\/config\.ts → src\/serve\/app\.ts/);
});

test('a type-only upward import counts (it is erased from the compiled JS)', () => {
  const r = cruise({ ...LOW, 'src/pipeline/stage.ts': 'export interface Stage { name: string }\n', 'src/store/types.ts': "import type { Stage } from '../pipeline/stage.js';\nexport type S = Stage;\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /layer-store/);
});

test('a peer in the same layer may not be imported', () => {
  const r = cruise({ ...LOW, 'src/pipeline/stage.ts': 'export const S = 1;\n', 'src/serve/app.ts': "import { S } from '../pipeline/stage.js';\nexport const A = S;\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /layer-serve/);
});

test('an import cycle inside one component fails', () => {
  const r = cruise({ 'src/graph/a.ts': "import { B } from './b.js';\nexport const A = () => B;\n", 'src/graph/b.ts': "import { A } from './a.js';\nexport const B = () => A;\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /no-circular/);
});

test('a driver imported outside its adapter fails; inside it passes', () => {
  const r = cruise({ 'src/serve/app.ts': "import { Redis } from 'ioredis';\nexport const A = Redis;\n" });
  assert.notEqual(r.status, 0, r.out);
  assert.match(r.out, /driver-ioredis/);
  assert.equal(cruise({ 'src/store/redis.ts': "import { Redis } from 'ioredis';\nexport const A = Redis;\n" }).status, 0);
});

test('an import that resolves to no file fails', () => {
  const r = cruise({ 'src/graph/a.ts': "import { B } from './missing.js';\nexport const A = B;\n" });
  assert.notEqual(r.status, 0);
  assert.match(r.out, /no-unresolvable/);
});

test('every component folder under src/ has a layer, and the README and docs/architecture.md list exactly those folders', async () => {
  const { createRequire } = await import('node:module');
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const layered = new Set((createRequire(import.meta.url)(join(REPO, 'scripts/layers.cjs')) as { LAYERS: string[][] }).LAYERS.flat());
  const folders = readdirSync(join(REPO, 'src')).filter((f) => statSync(join(REPO, 'src', f)).isDirectory()).sort();
  for (const f of folders) assert.ok(layered.has(f), `src/${f} has no layer in scripts/layers.cjs`);
  for (const doc of ['README.md', 'docs/architecture.md']) {
    const rows = [...readFileSync(join(REPO, doc), 'utf8').matchAll(/^\| `src\/([a-z]+)` \|/gm)].map((m) => m[1]).sort();
    assert.deepEqual(rows, folders, `${doc}'s folder table`);
  }
});

const EVENT_DRIVERS = [['nats', 'src/events/nats.ts'], ['kafkajs', 'src/events/kafka.ts'], ['ioredis', 'src/events/redisStreams.ts'], ['ioredis', 'src/events/redisBus.ts']];
const importOf = (pkg: string): string => `import * as d from '${pkg}';\nexport const A = d;\n`;

test('the event log drivers are imported by their adapters only', () => {
  const inside = cruise(Object.fromEntries(EVENT_DRIVERS.map(([pkg, adapter]) => [adapter, importOf(pkg)])));
  assert.equal(inside.status, 0, inside.out);
  const outside = cruise(Object.fromEntries(EVENT_DRIVERS.map(([pkg], i) => [`src/events/other${i}.ts`, importOf(pkg)])));
  assert.notEqual(outside.status, 0);
  for (const [pkg] of EVENT_DRIVERS) assert.match(outside.out, new RegExp(`driver-${pkg}`));
});

test('src/events may import the recommend layer but not pipeline, serve or cli', () => {
  const recommend = { ...LOW, 'src/recommend/recommend.ts': "import { R } from '../bundle/read.js';\nexport const X = R;\n" };
  assert.equal(cruise({ ...recommend, 'src/events/index.ts': "import { X } from '../recommend/recommend.js';\nexport const E = X;\n" }).status, 0);
  const peers = ['pipeline', 'serve', 'cli'];
  const files: Record<string, string> = {};
  for (const p of peers) {
    files[`src/${p}/x.ts`] = 'export const P = 1;\n';
    files[`src/events/${p}.ts`] = `import { P } from '../${p}/x.js';\nexport const E = P;\n`;
  }
  const r = cruise(files);
  assert.notEqual(r.status, 0);
  for (const p of peers) assert.match(r.out, new RegExp(`layer-events.*\\n?.*src/events/${p}\\.ts → src/${p}/x\\.ts`));
});
