/**
 * Synthetic world generator speed and memory.
 *
 *   node dist/bench/generate.js [--users 1000000[,100000…]] [--seed 1] [--dir /tmp/pymk-generate-bench] [--keep]
 *
 * Each size runs `generateWorld` in a fresh child process (so one run's heap never inflates another's) that
 * reports its wall and CPU time per stage and its peak resident memory (VmHWM from /proc/self/status); the
 * parent also samples the child's RSS every 100 ms as a cross-check. The budget is 1M users in ≤ 180 s
 * and ≤ 4 GiB. Results, with the machine and its load average, go to bench/results/generate.{json,md}.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWorld, type WorldCounts } from '../src/data/generate/index.js';

const BUDGET = { users: 1_000_000, wallS: 180, peakRssMiB: 4096 };

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}

/** Peak and current resident memory of a process, MiB, from /proc (Linux). */
function memoryOf(pid: number | 'self'): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { hwm: kb('VmHWM') / 1024, rss: kb('VmRSS') / 1024 };
}

interface ChildResult {
  users: number;
  wallS: number;
  cpuS: number;
  peakRssMiB: number;
  stages: Record<string, number>;
  fileMiB: Record<string, number>;
  counts: WorldCounts;
}

/** The child: one generation, measured from inside. */
async function child(): Promise<void> {
  const users = Number(arg('users', '1000000'));
  const out = arg('out', '/tmp/pymk-generate-bench/world');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const stages: Record<string, number> = {};
  const res = await generateWorld({
    users,
    seed: Number(arg('seed', '1')),
    out,
    onProgress: (stage, f) => {
      if (stages[stage] === undefined) stages[stage] = +((performance.now() - t0) / 1000).toFixed(2); // stage start
    },
  });
  const cpu = process.cpuUsage(cpu0);
  const fileMiB: Record<string, number> = {};
  for (const [k, path] of Object.entries(res.files)) fileMiB[k] = +(statSync(path).size / 2 ** 20).toFixed(1);
  const result: ChildResult = {
    users,
    wallS: +((performance.now() - t0) / 1000).toFixed(2),
    cpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    peakRssMiB: Math.round(memoryOf('self').hwm),
    stages,
    fileMiB,
    counts: res.counts,
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
}

/** Runs one size in a child process; returns its report plus the parent's view (wall incl. start-up, sampled RSS). */
async function runSize(users: number, seed: number, dir: string): Promise<ChildResult & { processWallS: number; sampledPeakRssMiB: number }> {
  const script = fileURLToPath(import.meta.url);
  const out = join(dir, `world-${users}`);
  const t0 = performance.now();
  const proc = spawn(process.execPath, [script, '--child', '--users', String(users), '--seed', String(seed), '--out', out], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let sampled = 0;
  const timer = setInterval(() => {
    try {
      sampled = Math.max(sampled, memoryOf(proc.pid!).rss);
    } catch {
      // the child has exited
    }
  }, 100);
  let stdout = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await new Promise<number>((resolve) => proc.on('close', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  const processWallS = +((performance.now() - t0) / 1000).toFixed(2);
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) throw new Error(`generator child for ${users} users failed (exit ${code})`);
  if (!process.argv.includes('--keep')) rmSync(out, { recursive: true, force: true });
  return { ...(JSON.parse(line.slice(7)) as ChildResult), processWallS, sampledPeakRssMiB: Math.round(sampled) };
}

async function main(): Promise<void> {
  const sizes = arg('users', String(BUDGET.users)).split(',').map(Number);
  const seed = Number(arg('seed', '1'));
  const dir = arg('dir', '/tmp/pymk-generate-bench');
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    totalMemGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadAvgBefore: loadavg().map((x) => +x.toFixed(2)),
  };
  const runs = [];
  for (const users of sizes) {
    console.error(`generating ${users} users…`);
    const r = await runSize(users, seed, dir);
    console.error(`  ${r.wallS} s wall, ${r.cpuS} s CPU, peak RSS ${r.peakRssMiB} MiB`);
    runs.push({ ...r, loadAvgAfter: loadavg().map((x) => +x.toFixed(2)) });
  }
  const full = runs.find((r) => r.users === BUDGET.users);
  const budget = full
    ? { ...BUDGET, wallS: full.processWallS, peakRssMiB: full.peakRssMiB, pass: full.processWallS <= BUDGET.wallS && full.peakRssMiB <= BUDGET.peakRssMiB }
    : null;
  const report = { bench: 'generate', date: new Date().toISOString(), seed, machine, budgetLimits: BUDGET, budget, runs };
  writeFileSync('bench/results/generate.json', JSON.stringify(report, null, 2) + '\n');
  writeFileSync('bench/results/generate.md', markdown(report));
  console.error('wrote bench/results/generate.{json,md}');
}

function markdown(r: {
  date: string;
  seed: number;
  machine: Record<string, unknown>;
  budget: { pass: boolean } | null;
  runs: (ChildResult & { processWallS: number; sampledPeakRssMiB: number; loadAvgAfter: number[] })[];
}): string {
  const m = r.machine;
  const rows = r.runs.map((x) => {
    const total = Object.values(x.fileMiB).reduce((a, b) => a + b, 0);
    return (
      `| ${x.users.toLocaleString('en-US')} | ${x.processWallS} | ${x.cpuS} | ${x.peakRssMiB} | ${x.counts.connections.toLocaleString('en-US')} ` +
      `| ${x.counts.events.toLocaleString('en-US')} | ${total.toFixed(0)} | ${x.stages.connections ?? '-'} / ${x.stages.events ?? '-'} / ${x.stages.write ?? '-'} ` +
      `| ${x.loadAvgAfter[0]} |`
    );
  });
  return [
    '# Synthetic world generator (`pymk generate`)',
    '',
    `Run ${r.date} with \`node dist/bench/generate.js --users ${r.runs.map((x) => x.users).join(',')} --seed ${r.seed}\`, one child process per size.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemGiB} GiB, Node ${m.node}; load average before: ${(m.loadAvgBefore as number[]).join(', ')}`,
    '(the machine is shared: other work running at the same time lengthens the wall time; CPU time is the steadier number).',
    'Wall time is the child process from spawn to exit; peak RSS is its VmHWM (the parent\'s 100 ms RSS samples agree, see the JSON).',
    '',
    '| users | wall s | CPU s (all threads) | peak RSS MiB | connections | events | files MiB | growth / event sort / write start (s) | load after |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...rows,
    '',
    r.budget
      ? `Budget for 1,000,000 users: ≤ ${BUDGET.wallS} s and ≤ ${BUDGET.peakRssMiB} MiB — **${r.budget.pass ? 'met' : 'NOT met'}**.`
      : 'The 1,000,000-user budget run is not part of this report.',
    '',
  ].join('\n');
}

if (process.argv.includes('--child')) await child();
else await main();
