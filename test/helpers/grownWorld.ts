/** The incremental tests' "world a day later": a copy of a generated world with more connections and new users. */
import { appendFile, cp, readFile } from 'node:fs/promises';
import { Rng } from '../../src/core/rng.js';

/**
 * Copies the dataset folder `data` to `grown` and appends, a day after its last connection, 1% more
 * connections between its `users` existing users and 20 new users with 3 connections each (seeded).
 */
export async function growWorld(data: string, grown: string, users: number): Promise<void> {
  await cp(data, grown, { recursive: true });
  const lines = (await readFile(`${data}/connections.csv`, 'utf8')).trim().split('\n');
  const ts = Math.max(...lines.slice(1).map((l) => Number(l.split(',')[2]) || 0)) + 86_400;
  const rng = new Rng(4);
  const added: string[] = [];
  for (let i = 0; i < Math.round((lines.length - 1) / 100); i++) added.push(`u${rng.int(users)},u${rng.int(users)},${ts}`);
  for (let j = 0; j < 20; j++) for (let k = 0; k < 3; k++) added.push(`new${j},u${rng.int(users)},${ts}`);
  await appendFile(`${grown}/connections.csv`, `${added.join('\n')}\n`);
}
