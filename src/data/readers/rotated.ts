/**
 * A folder of rotated log files, read oldest first. Two naming schemes are understood, and may be mixed:
 * - logrotate's numbered copies: `events.jsonl.3.gz`, `events.jsonl.2.gz`, `events.jsonl.1`, `events.jsonl`
 *   (a higher number is older; the unnumbered file is the live one, read last);
 * - dated or sequenced names that sort by time: `events-2026-12-01.jsonl`, `events-2026-12-02.jsonl.gz`.
 * Files are ordered by rotation number (highest first, unnumbered last), then by name. Only `*.jsonl`,
 * `*.jsonl.N`, with an optional `.gz`, are taken; other files are named in the plan's `ignored` list.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PymkError } from '../../core/errors.js';

const LOG_FILE = /^(.*\.jsonl)(?:\.(\d+))?(\.gz)?$/;

export interface RotatedFiles {
  /** Absolute paths, oldest first. */
  files: string[];
  /** Names in the folder that are not log files (left out). */
  ignored: string[];
}

/** The log files of `dir`, oldest first; PYMK_BAD_INPUT when the folder holds none. */
export async function rotatedFiles(dir: string): Promise<RotatedFiles> {
  const entries = await readdir(dir, { withFileTypes: true });
  const logs: { name: string; rotation: number }[] = [];
  const ignored: string[] = [];
  for (const e of entries) {
    const m = e.isFile() ? LOG_FILE.exec(e.name) : null;
    if (m === null) ignored.push(e.name);
    else logs.push({ name: e.name, rotation: m[2] === undefined ? -1 : Number(m[2]) });
  }
  if (logs.length === 0) {
    throw new PymkError('PYMK_BAD_INPUT', `${dir}: no log files in the events folder (expected *.jsonl, *.jsonl.N or either with .gz)`, { path: dir });
  }
  logs.sort((a, b) => b.rotation - a.rotation || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files: logs.map((l) => join(dir, l.name)), ignored: ignored.sort() };
}
