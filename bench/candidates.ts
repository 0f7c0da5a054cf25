/**
 * The candidates stage's computation at scale: the partitioned worker pool on a generated world.
 *
 *   node dist/bench/candidates.js prep --data /tmp/gen1m --work /tmp/pymk-cand-bench
 *       loads the dataset once and writes the graph and the exclusion mask the stage would read
 *   node dist/bench/candidates.js speed --work /tmp/pymk-cand-bench [--workers 1,2] [--top-n 200]
 *       [--max-fanout 2000] [--hub-mode sample] [--exact 1] [--range-size 2048] [--from U --users N]
 *       [--note TEXT]
 *       one child process per worker count (so each peak RSS is its own), each reading the graph like the
 *       stage does, streaming ranges to spill files and writing the artifact; checks that every worker
 *       count wrote the same bytes; writes bench/results/candidates.{json,md}. With --from/--users only
 *       users U .. U+N-1 are computed (a partition, as one process of a split run would), and the full
 *       run's compute time is projected from the rate, scaled by 2-paths per user (all users vs the slice).
 *
 * Recall and speed of the parameter choices: bench/candidatesQuality.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph, Graph } from '../src/graph/csr.js';
import { loadDataset } from '../src/data/load.js';
import { machineInfo } from '../src/eval/report.js';
import { shareGraph, toShared } from '../src/graph/twoHopParallel.js';
import { CANDIDATE_COLUMNS, GRAPH_COLUMNS } from '../src/bundle/artifacts.js';
import { readArrays, writeArrays, writeChunks } from '../src/bundle/binary.js';
import { ColumnStreamWriter } from '../src/bundle/columnStream.js';
import { CANDIDATE_DEFAULTS, exclusionMask, streamCandidates, type CandidateParams } from '../src/pipeline/stages/candidates.js';

const argv = process.argv.slice(2);
const mode = argv[0];
function flag(name: string, def?: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i > 0 && i + 1 < argv.length) return argv[i + 1];
  if (def === undefined) throw new Error(`--${name} is required`);
  return def;
}
const mib = (b: number): number => Math.round(b / 2 ** 20);
const r2 = (x: number): number => Math.round(x * 100) / 100;

function paramsFromFlags(): CandidateParams {
  return {
    topN: Number(flag('top-n', String(CANDIDATE_DEFAULTS.topN))),
    score: CANDIDATE_DEFAULTS.score,
    maxFanout: Number(flag('max-fanout', String(CANDIDATE_DEFAULTS.maxFanout))),
    hubMode: flag('hub-mode', CANDIDATE_DEFAULTS.hubMode) as CandidateParams['hubMode'],
    exactFeatures: flag('exact', CANDIDATE_DEFAULTS.exactFeatures ? '1' : '0') === '1',
  };
}

/** Loads a dataset folder and writes graph.bin (GRAPH_COLUMNS) and exclude.bin into the work folder. */
async function prep(): Promise<void> {
  const data = flag('data');
  const work = flag('work');
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  const world = await loadDataset(data);
  const g = buildGraph(world.ids.size, world.connections);
  let maxDegree = 0;
  for (let u = 0; u < g.n; u++) maxDegree = Math.max(maxDegree, g.degree(u));
  await writeArrays(join(work, 'graph.bin'), { offsets: g.offsets, targets: g.targets, times: g.times });
  await writeArrays(join(work, 'exclude.bin'), { exclude: exclusionMask(world.profiles.flags) });
  const info = { data, users: g.n, edges: g.edgeCount, meanDegree: r2((2 * g.edgeCount) / g.n), maxDegree, seconds: r2((performance.now() - t0) / 1000) };
  writeFileSync(join(work, 'graph.json'), JSON.stringify(info, null, 2));
  console.log(JSON.stringify(info));
}

/** One measured run (a child process): read the graph, compute, write the artifact, report one JSON line. */
async function child(): Promise<void> {
  const work = flag('work');
  const workers = Number(flag('workers'));
  const params = paramsFromFlags();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const { g, exclude } = await readInputs(work);
  const readS = (performance.now() - t0) / 1000;
  const path = join(work, `candidates-w${workers}.bin`);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const out = await ColumnStreamWriter.open(path, CANDIDATE_COLUMNS);
  let lastLog = performance.now();
  const { lo, hi } = slice(g.n);
  const stats = await streamCandidates(g, exclude, params, { workers, rangeSize: Number(flag('range-size', '2048')), lo, hi }, out, (done) => {
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.error(`  ${workers} worker(s): ${done}/${hi - lo} users, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  });
  const computePeakRss = peakRss;
  const t1 = performance.now();
  const written = await writeChunks(path, out.chunks());
  clearInterval(sampler);
  const writeS = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  rmSync(path, { force: true });
  console.log(
    JSON.stringify({
      workers: stats.workers,
      rangeSize: stats.rangeSize,
      users: stats.users,
      candidates: stats.candidates,
      readSeconds: r2(readS),
      computeSeconds: r2(stats.seconds),
      writeSeconds: r2(writeS),
      usersPerSecond: Math.round(stats.users / stats.seconds),
      cpuSeconds: r2((cpu.user + cpu.system) / 1e6),
      usersPerCpuSecond: Math.round(stats.users / ((cpu.user + cpu.system) / 1e6)),
      computePeakRssMiB: mib(computePeakRss),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      fileMiB: mib(written.bytes),
      sha256: written.sha256,
    }),
  );
}

/** As the stage reads its inputs: the graph copied into shared memory, the file buffer left to the GC. */
async function readInputs(work: string): Promise<{ g: Graph; exclude: Uint8Array }> {
  const gc = await readArrays(join(work, 'graph.bin'), GRAPH_COLUMNS);
  const g = shareGraph(new Graph(gc.offsets.length - 1, gc.offsets, gc.targets, gc.times));
  const { exclude } = await readArrays(join(work, 'exclude.bin'), { exclude: 'uint8' });
  return { g, exclude: toShared(exclude) };
}

/** The users to compute: --from U --users N, or everyone. */
function slice(n: number): { lo: number; hi: number } {
  const lo = Number(flag('from', '0'));
  return { lo, hi: Math.min(n, lo + Number(flag('users', String(n)))) };
}

/** Mean 2-paths u–w–x per user over users lo..hi-1: the work of an uncapped pass. */
function pathsPerUser(g: Graph, lo: number, hi: number): number {
  let paths = 0;
  for (let u = lo; u < hi; u++) for (let p = g.offsets[u]; p < g.offsets[u + 1]; p++) paths += g.degree(g.targets[p]);
  return paths / Math.max(1, hi - lo);
}

/** Runs one child per worker count and writes the results. */
async function speed(): Promise<void> {
  const work = flag('work');
  const counts = flag('workers', '1,2').split(',').map(Number);
  const params = paramsFromFlags();
  const graph = JSON.parse(readFileSync(join(work, 'graph.json'), 'utf8')) as Record<string, unknown>;
  const { g } = await readInputs(work);
  const { lo, hi } = slice(g.n);
  const paths = { slice: Math.round(pathsPerUser(g, lo, hi)), all: Math.round(pathsPerUser(g, 0, g.n)) };
  const pass = argv.slice(1).filter((a, i, all) => !(a === '--workers' || all[i - 1] === '--workers'));
  const runs: Record<string, unknown>[] = [];
  for (const w of counts) {
    console.error(`running with ${w} worker(s)…`);
    const r = spawnSync(process.execPath, [process.argv[1], 'child', ...pass, '--workers', String(w)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(`child with ${w} workers failed (status ${r.status})`);
    const run = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    run.projectedFullComputeSeconds = Math.round((g.n / (run.usersPerSecond as number)) * (paths.all / paths.slice));
    console.log(JSON.stringify(run));
    runs.push(run);
  }
  const identical = runs.every((r) => r.sha256 === runs[0].sha256);
  const machine = machineInfo();
  const command = `node dist/bench/candidates.js ${argv.map((a) => (/^[\w./,:=-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`;
  const note = flag('note', 'The machine is shared with other jobs: wall times include waiting for a core.');
  const partial = hi - lo < g.n;
  const out = { benchmark: 'candidates', graph, params, users: { lo, hi }, pathsPerUser: paths, runs, identicalOutput: identical, note, command, machine, createdAt: new Date().toISOString() };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/candidates.json', JSON.stringify(out, null, 2) + '\n');
  const md = [
    '# Candidates stage: partitioned 2-hop on a worker pool',
    '',
    `Graph: ${graph.users} users, ${graph.edges} undirected edges (mean degree ${graph.meanDegree}, max ${graph.maxDegree}) from \`${graph.data}\`.`,
    `Params: top ${params.topN} by ${params.score}, maxFanout ${params.maxFanout} (${params.hubMode}), exactFeatures ${params.exactFeatures}.`,
    partial
      ? `Users ${lo} .. ${hi - 1} (${hi - lo} of ${g.n}, a partition) were computed: ${paths.slice} 2-paths per user in the slice, ${paths.all} over all users; "projected" = all ${g.n} users at the measured rate × ${paths.all}/${paths.slice}.`
      : `All ${g.n} users were computed (${paths.all} 2-paths per user).`,
    `Each row is its own process: read graph.bin, copy it into shared memory, compute on the pool, stream ranges to`,
    `spill files, write the artifact. Output identical across worker counts (SHA-256): **${identical ? 'yes' : 'NO'}**.`,
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}. ${note}`,
    `Command: \`${command}\``,
    '',
    '| workers | compute s | users/s | CPU s | users/CPU-s | write s | candidates | file MiB | peak RSS MiB (compute) | peak RSS MiB (process) | projected compute s, all users |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (r) =>
        `| ${r.workers} | ${r.computeSeconds} | ${r.usersPerSecond} | ${r.cpuSeconds} | ${r.usersPerCpuSecond} | ${r.writeSeconds} | ${r.candidates} | ${r.fileMiB} | ${r.computePeakRssMiB} | ${r.peakRssMiB} | ${r.projectedFullComputeSeconds} |`,
    ),
    '',
  ];
  writeFileSync('bench/results/candidates.md', md.join('\n'));
  if (!identical) process.exitCode = 1;
}

if (mode === 'prep') await prep();
else if (mode === 'child') await child();
else if (mode === 'speed') await speed();
else throw new Error('usage: candidates.js prep|speed … (see the header of bench/candidates.ts)');
