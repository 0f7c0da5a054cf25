/** File helpers shared by the runner and the merge. */
import { copyFile, link, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Puts `from` at `to`: a hard link (free, bundles are immutable), or a copy across file systems. */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await link(from, to).catch(() => copyFile(from, to));
}
