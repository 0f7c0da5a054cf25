/**
 * Reading a dataset from its folder vs from PostgreSQL (src/data/sources), each in its own child process so
 * peak RSS is the reader's own.
 *
 *   node dist/bench/sources.js --data DIR [--url postgres://postgres@127.0.0.1:5432/postgres] [--schema pymk_bench]
 *
 * Loads DIR into the schema with loadIntoPostgres (timed), then reads the folder and the database
 * (loadDataset vs PostgresSource.load, and the database's fingerprint), checks both give the same users,
 * connections and events, and prints one JSON line per step. The schema is dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadDataset } from '../src/data/load.js';
import { loadIntoPostgres, openSource } from '../src/data/sources/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

const data = arg('data', '');
const base = arg('url', 'postgres://postgres@127.0.0.1:5432/postgres');
const schema = arg('schema', `pymk_bench_${process.pid}`);
const url = `${base}${base.includes('?') ? '&' : '?'}schema=${schema}`;

async function child(mode: string): Promise<void> {
  let peak = 0;
  const iv = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = performance.now();
  const w = mode === 'files' ? await loadDataset(data) : await openSource(url).load();
  const loadS = (performance.now() - t0) / 1000;
  let fingerprintS = 0;
  if (mode === 'postgres') {
    const f0 = performance.now();
    await openSource(url).fingerprint();
    fingerprintS = (performance.now() - f0) / 1000;
  }
  clearInterval(iv);
  peak = Math.max(peak, process.memoryUsage().rss);
  const cpu = process.cpuUsage();
  console.log(
    JSON.stringify({ mode, users: w.ids.size, connections: w.connections.count, events: w.events.count, loadS: +loadS.toFixed(1), fingerprintS: +fingerprintS.toFixed(1), cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(1), peakRssMiB: Math.round(peak / 2 ** 20) }),
  );
}

async function main(): Promise<void> {
  const mode = arg('child', '');
  if (mode) return child(mode);
  if (!data) throw new Error('--data DIR is required');
  const t0 = performance.now();
  const r = await loadIntoPostgres(url, await loadDataset(data), { replace: true });
  console.log(JSON.stringify({ step: 'load-postgres', ...r.rows, seconds: +((performance.now() - t0) / 1000).toFixed(1) }));
  try {
    const self = fileURLToPath(import.meta.url);
    const out: Record<string, { users: number; connections: number; events: number }> = {};
    for (const m of ['files', 'postgres']) {
      const line = execFileSync(process.execPath, [self, '--child', m, '--data', data, '--url', base, '--schema', schema], { encoding: 'utf8' }).trim();
      console.log(line);
      out[m] = JSON.parse(line);
    }
    const same = ['users', 'connections', 'events'].every((k) => out.files[k as 'users'] === out.postgres[k as 'users']);
    console.log(JSON.stringify({ step: 'compare', sameCounts: same }));
  } finally {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  }
}

await main();
