/**
 * Importer throughput on synthetic files.
 *
 *   node dist/bench/importSpeed.js [--lines 5000000] [--users 1000000] [--seed 1] [--dir /tmp/pymk-import-bench]
 *
 * Writes three files of `--lines` rows each (endpoints uniform over `--users`): a numeric whitespace edge
 * list `u v ts` (SNAP style), a string-id CSV `u123,u456,ts` with a header (generator style) and an
 * events.jsonl; then reads each with the real readers and prints rows/s by wall clock and by CPU time (the
 * latter is the fairer number on a shared machine). Results go to bench/results/import.{json,md}.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Dictionary } from '../src/core/dictionary.js';
import { Rng } from '../src/core/rng.js';
import { EVENT_TYPES } from '../src/core/tables.js';
import { readEdgeList } from '../src/data/readers/edgeList.js';
import { readEvents } from '../src/data/readers/events.js';
import { IdInterner } from '../src/data/readers/ids.js';
import type { FileReport } from '../src/data/world.js';

function arg(name: string, def: number | string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : String(def);
}

const lines = Number(arg('lines', 5_000_000));
const users = Number(arg('users', 1_000_000));
const seed = Number(arg('seed', 1));
const dir = arg('dir', '/tmp/pymk-import-bench');
mkdirSync(dir, { recursive: true });

async function write(path: string, header: string, row: (rng: Rng) => string): Promise<void> {
  const rng = new Rng(seed);
  const out = createWriteStream(path);
  let buf = header;
  for (let i = 0; i < lines; i++) {
    buf += row(rng);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const ts = (rng: Rng): number => 1_600_000_000 + rng.int(100_000_000);
const files = {
  numeric: join(dir, 'edges.txt'),
  strings: join(dir, 'connections.csv'),
  events: join(dir, 'events.jsonl'),
};
await write(files.numeric, '# u v ts\n', (r) => `${r.int(users)} ${r.int(users)} ${ts(r)}\n`);
await write(files.strings, 'src,dst,ts\n', (r) => `u${r.int(users)},u${r.int(users)},${ts(r)}\n`);
await write(files.events, '', (r) => {
  const a = r.int(users);
  const b = (a + 1 + r.int(users - 1)) % users;
  return `{"ts":${ts(r)},"type":"${EVENT_TYPES[r.int(EVENT_TYPES.length)]}","actor":"u${a}","target":"u${b}"}\n`;
});

const cpu = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
const results: Record<string, unknown>[] = [];
for (const [name, path] of Object.entries(files)) {
  const ids = new IdInterner(new Dictionary());
  const t0 = performance.now();
  const c0 = cpu();
  const r: { report: FileReport } = name === 'events' ? await readEvents(path, ids) : await readEdgeList(path, ids);
  const wall = (performance.now() - t0) / 1000;
  const cpuS = cpu() - c0;
  const row = {
    file: name,
    rows: r.report.rowsRead,
    kept: r.report.rowsKept,
    users: ids.ids.size,
    wallS: +wall.toFixed(2),
    cpuS: +cpuS.toFixed(2),
    rowsPerSecWall: Math.round(r.report.rowsRead / wall),
    rowsPerSecCpu: Math.round(r.report.rowsRead / cpuS),
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
  results.push(row);
  console.log(JSON.stringify(row));
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/import.json', JSON.stringify({ lines, users, seed, results }, null, 2) + '\n');
const md = [
  `# Import throughput (${lines.toLocaleString('en')} rows per file, ${users.toLocaleString('en')} users)`,
  '',
  '| file | rows | wall s | CPU s | rows/s (wall) | rows/s (CPU) | RSS MiB |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...results.map((r) => `| ${r.file} | ${r.rows} | ${r.wallS} | ${r.cpuS} | ${r.rowsPerSecWall} | ${r.rowsPerSecCpu} | ${r.rssMiB} |`),
  '',
];
writeFileSync('bench/results/import.md', md.join('\n'));
