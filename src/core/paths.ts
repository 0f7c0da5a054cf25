/** Where the shared public datasets live: PYMK_DATA_ROOT, else `../shared/data` beside the repository. */
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { envVar } from './config.js';

/** The repository root (this file is src/core/paths.ts, compiled to dist/src/core/paths.js). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function sharedDataDir(...parts: string[]): string {
  const root = envVar('PYMK_DATA_ROOT') ?? resolve(REPO_ROOT, '../shared/data');
  return resolve(root, ...parts);
}
