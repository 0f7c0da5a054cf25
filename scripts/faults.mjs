#!/usr/bin/env node
// `npm run faults`: the fault suite with real processes at the acceptance's sizes (a 20k-user world, 30-s
// load runs, 16 connections; override with PYMK_FAULTS_USERS / _SECONDS / _CONNECTIONS), then a markdown
// summary of the counts the scenarios recorded, with the machine, in bench/results/faults/. The same
// scenarios run small inside `npm test` (CI).
import { spawnSync } from 'node:child_process';
import { cpus, totalmem, loadavg } from 'node:os';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const out = 'bench/results/faults';
mkdirSync(out, { recursive: true });
const env = {
  ...process.env,
  PYMK_FAULTS_USERS: process.env.PYMK_FAULTS_USERS ?? '20000',
  PYMK_FAULTS_SECONDS: process.env.PYMK_FAULTS_SECONDS ?? '30',
  PYMK_FAULTS_CONNECTIONS: process.env.PYMK_FAULTS_CONNECTIONS ?? '16',
  PYMK_FAULTS_OUT: out,
  PYMK_FUZZ_OUT: out,
  PYMK_REQUIRE_SERVICES: '1',
  PYMK_TEST_CONCURRENCY: '1', // one scenario at a time: the load runs must not share the 2 cores
};
// The suite: the real-process scenarios, plus the corrupt-artifact, bad-input and error-shape matrices and the fuzz run.
const suites = ['faults/', 'serve/refuse', 'serve/storeLost', 'serve/errors', 'serve/fuzz', 'data/badInput'];
const r = spawnSync(process.execPath, ['scripts/run-tests.mjs', ...suites], { stdio: 'inherit', env });

const flags = existsSync('/proc/cpuinfo') ? (/^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '') : '';
const simd = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni'].filter((f) => flags.split(' ').includes(f));
const lines = [
  '# Fault suite results',
  '',
  `Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, SIMD ${simd.join(' ') || 'none'}, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join('/')}; ${new Date().toISOString()}.`,
  `Command: \`npm run faults\` (PYMK_FAULTS_USERS=${env.PYMK_FAULTS_USERS}, PYMK_FAULTS_SECONDS=${env.PYMK_FAULTS_SECONDS}, PYMK_FAULTS_CONNECTIONS=${env.PYMK_FAULTS_CONNECTIONS}); suites ${suites.join(', ')}: ${r.status === 0 ? 'all passed' : `FAILED (exit ${r.status})`}.`,
  '',
  '| scenario | answers | 5xx | seconds without answers | p50 / p99 ms (whole run) | during the fault: paths, p99 ms | full service after recovery |',
  '|---|---:|---:|---:|---|---|---:|',
];
for (const f of readdirSync(out).filter((x) => x.endsWith('.json')).sort()) {
  const d = JSON.parse(readFileSync(join(out, f), 'utf8'));
  if (!d.all) continue;
  const w = d.outage ?? d.slow;
  const full = d.fullServiceMsAfterBack ?? d.fullServiceMsAfterRecovery;
  lines.push(`| ${d.scenario} | ${d.all.answers} | ${d.all.fiveXx} | ${d.all.emptySeconds} | ${d.all.p50ms} / ${d.all.p99ms} | ${Object.entries(w.by.path).map(([p, n]) => `${p} ${n}`).join(', ')}; p99 ${w.p99ms} | ${full === undefined ? '– (not measured)' : full === null ? 'not seen' : `${(full / 1000).toFixed(2)} s`} |`);
}
const kills = join(out, 'pipeline-kill-each-stage.json');
if (existsSync(kills)) {
  const d = JSON.parse(readFileSync(kills, 'utf8'));
  lines.push('', `Pipeline SIGKILLed at the start of each of its ${d.stages.length} stages (${d.users} users), then rerun: every rerun reused exactly the stages finished before the kill and the bundle verified.`, '', '| killed at | reused on rerun | ran on rerun |', '|---|---|---|');
  for (const s of d.stages) lines.push(`| ${s.stage} | ${s.reused.join(', ') || '–'} | ${s.ran.join(', ')} |`);
}
const fuzz = join(out, 'fuzz.json');
if (existsSync(fuzz)) {
  const d = JSON.parse(readFileSync(fuzz, 'utf8'));
  const counts = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(
    '',
    `Fuzz run (test/serve/fuzz.test.ts, bench/lib/fuzz.ts): ${d.requests} seeded random requests (seed ${d.seed}) over the ${d.operations} operations of the server's OpenAPI document, against \`pymk serve\` with a keys file, JWTs and rate limits on, 8 in flight, ${d.seconds} s: **${d.fiveXx} 5xx**, ${d.badShape} error answers without the error shape, ${d.transportErrors} dropped sockets (and ${d.closedOnLargeBody} bodies over every limit whose socket the server closed after its 413, while the client was still writing).`,
    '',
    `- by status: ${counts(d.byStatus)}`,
    `- by code: ${counts(d.byCode)}`,
  );
}
writeFileSync(join(out, 'README.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
process.exit(r.status ?? 1);
