/** Where every benchmark writes what it measured: `<out>.json` and `<out>.md` (under bench/results/), and the markdown on stdout. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function saveResults(out: string, result: unknown, md: string): Promise<void> {
  await mkdir(dirname(out), { recursive: true });
  await writeFile(`${out}.json`, JSON.stringify(result, null, 2) + '\n');
  await writeFile(`${out}.md`, md);
  console.log(md);
}
