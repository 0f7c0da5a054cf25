/** Helpers for the data tests: temporary folders with given files, and the path of the shared fixtures. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

/** test/fixtures/data/<name>, from the compiled test (dist/test/data) or the source. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../test/fixtures/data/${name}`, import.meta.url));
}

/** A fresh temporary folder holding `files` (name → content), removed after the test file. */
export function tempDataset(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pymk-data-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** Writes one file into a fresh temporary folder and returns its path. */
export function tempFile(name: string, content: string | Buffer): string {
  return join(tempDataset({ [name]: content }), name);
}
