/** One configuration path: nothing in src/ but core/config.ts reads process.env. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('process.env is read only in src/core/config.ts', () => {
  const readers = tsFiles('src').filter((f) => f !== join('src', 'core', 'config.ts') && /process\.env\b/.test(readFileSync(f, 'utf8')));
  assert.deepEqual(readers, []);
});
