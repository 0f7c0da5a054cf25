/**
 * SHA-256 of files and input folders, streamed so inputs of any size hash in constant memory.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PymkError } from '../core/errors.js';
import type { InputRecord } from './manifest.js';

/** SHA-256 (hex) of a file's bytes; `onBytes` is told of progress as chunks are read. */
export async function sha256File(path: string, onBytes?: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    h.update(chunk);
    onBytes?.(chunk.length);
  }
  return h.digest('hex');
}

export function sha256Bytes(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Every regular file under `dir` (following symlinks), as sorted '/'-separated relative paths. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const isDir = e.isDirectory() || (e.isSymbolicLink() && (await stat(p)).isDirectory());
      if (isDir) await walk(p);
      else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Sizes an input without reading it (used to size the hashing progress bar). */
export async function inputBytes(path: string): Promise<number> {
  const st = await statInput(path);
  if (st.isFile()) return st.size;
  let total = 0;
  for (const f of await listFiles(path)) total += (await stat(join(path, f))).size;
  return total;
}

async function statInput(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (e) {
    throw new PymkError('PYMK_BAD_INPUT', `input ${path} cannot be read: ${(e as Error).message}`, { path });
  }
}

/**
 * Checksums one pipeline input: a file, or a folder (every file in it, by relative path, so a renamed
 * or added file changes the sum).
 */
export async function hashInput(path: string, onBytes?: (n: number) => void): Promise<InputRecord> {
  const st = await statInput(path);
  if (st.isFile()) return { path, kind: 'file', bytes: st.size, files: 1, sha256: await sha256File(path, onBytes) };
  if (!st.isDirectory()) throw new PymkError('PYMK_BAD_INPUT', `input ${path} is neither a file nor a folder`, { path });
  const h = createHash('sha256');
  let bytes = 0;
  const files = await listFiles(path);
  for (const f of files) {
    const p = join(path, f);
    bytes += (await stat(p)).size;
    h.update(`${f}\0${await sha256File(p, onBytes)}\n`);
  }
  return { path, kind: 'dir', bytes, files: files.length, sha256: h.digest('hex') };
}
