/**
 * ANN benchmark: implementations side by side in one run, on siftsmall or generated clustered vectors.
 *
 *   node --expose-gc dist/bench/ann.js --dataset siftsmall
 *   node --expose-gc dist/bench/ann.js --dataset clustered --n 1000000 --queries 1000 [--centres iso|decay] [--configs …] [--efs …] [--shards 4]
 *     [--rerank 1.2:0.5,1.5:0] [--keep DIR (keep the builds and reuse them next time)]
 *
 * For each build: build time, index bytes per vector (file size; usearch maps it as is), RSS growth; then for
 * each ef: recall@100 and recall@10 against exact ground truth, single-thread QPS (k=100, one query at a
 * time on this thread) with p50/p99 latency, and batch QPS (usearch: one native call on --threads threads;
 * hnswlib-node has no batch call, so its "batch" is the same loop). The default configuration (usearch i8,
 * re-ranked in f32 from the memory-mapped vectors file) is then served through a worker pool and
 * through N shard processes, with event-loop delay measured. Writes bench/results/ann-<dataset>.{json,md}.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeArrays } from '../src/bundle/binary.js';
import { machineInfo } from '../src/eval/report.js';
import { SearchPool } from '../src/ann/pool.js';
import { createIndex, openIndex } from '../src/ann/registry.js';
import { RerankedIndex } from '../src/ann/rerank.js';
import { buildShards, startShards } from '../src/ann/sharded/launch.js';
import type { Hits, VectorIndex } from '../src/ann/types.js';
import { openVectorFile } from '../src/ann/vectors.js';
import { checkTruth, clusteredData, siftsmall, type CentreLayout, type Dataset } from './ann/data.js';
import { gc, median, recallAt, round, rssMiB, timeBatch, timeSingle, type SingleRun } from './ann/measure.js';
import { inlineLoad, searcherLoad } from './ann/serve.js';
import { formatMarkdown, type BenchReport, type Row } from './ann/report.js';

const argv = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const nums = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

const datasetName = arg('dataset', 'siftsmall');
const threads = Number(arg('threads', '2'));
const efs = nums(arg('efs', '100,128,192,256,384'));
const shardCount = Number(arg('shards', '4'));
/** Re-rank settings to measure, as factor:trust pairs; the first is the one served. */
const reranks = arg('rerank', '1.5:0,2:0,1.5:0.5').split(',').map((s) => {
  const [factor, trust = '0'] = s.split(':');
  return { factor: Number(factor), trust: Number(trust) };
});
const rounds = Number(arg('rounds', '3'));
const roundMs = Number(arg('round-ms', '600'));
const connectivity = Number(arg('connectivity', '16'));
const expansionAdd = Number(arg('efc', '128'));
const configs = arg('configs', 'usearch-i8,usearch-f16,usearch-f32,hnswlib').split(',');
const K = 100;
const rerankName = (r: { factor: number; trust: number }): string => `usearch-i8+rerank×${r.factor}${r.trust ? ` trust ${r.trust}` : ''}`;
const log = (s: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

function loadDataset(): Dataset {
  if (datasetName === 'siftsmall') return siftsmall(arg('data', '../shared/data/siftsmall'));
  if (datasetName === 'clustered') {
    const n = Number(arg('n', '100000'));
    return clusteredData(n, Number(arg('queries', '1000')), Number(arg('dim', '128')), Number(arg('clusters', String(Math.max(10, Math.round(n / 1000))))), Number(arg('seed', '1')), K, threads, arg('centres', 'iso') as CentreLayout);
  }
  throw new Error(`unknown dataset '${datasetName}': siftsmall or clustered`);
}

/** Registry kind and options of a named configuration. */
function configSpec(name: string): { kind: string; options: Record<string, unknown> } {
  if (name === 'hnswlib') return { kind: 'hnswlib', options: { m: connectivity, efConstruction: expansionAdd, ef: efs[0] } };
  const m = /^usearch-(f32|f16|i8)$/.exec(name);
  if (!m) throw new Error(`unknown config '${name}': usearch-f32, usearch-f16, usearch-i8, hnswlib`);
  return { kind: 'usearch', options: { dtype: m[1], connectivity, expansionAdd, expansionSearch: efs[0], threads } };
}

const t00 = performance.now();
const d = loadDataset();
const n = d.base.length / d.dim;
const nq = d.queries.length / d.dim;
log(`dataset ${d.name}: ${n} × ${d.dim}, ${nq} queries, ground truth k=${d.k}`);
const truthAgreement = round(checkTruth(d, datasetName === 'siftsmall' ? nq : 20), 4);
log(`ground truth vs float64 brute force on a sample: recall ${truthAgreement}`);

// --keep DIR keeps the builds there and reuses them on the next run with the same dataset and settings.
const keep = arg('keep', '');
const work = keep ? join(keep, `${d.name}-q${d.queries.length / d.dim}-m${connectivity}-efc${expansionAdd}`) : mkdtempSync(join(tmpdir(), 'pymk-annbench-'));
mkdirSync(work, { recursive: true });
const vectorsPath = join(work, 'vectors.bin');
writeFileSync(vectorsPath, Buffer.concat(encodeArrays({ vectors: d.base, dim: Int32Array.of(d.dim) })));
const ids = Int32Array.from({ length: n }, (_, i) => i);
const rows: Row[] = [];
const builds: BenchReport['builds'] = [];
let defaultPath = '';
const candidates: Candidate[] = [];

interface Candidate {
  config: string;
  index: VectorIndex;
  bytesPerVector: number;
  batchNative: boolean;
}

/**
 * Measures every candidate at every ef: single-thread timing in `rounds` rounds interleaved across the
 * candidates (so a burst of load from other jobs hits them all alike), medians reported; batch once.
 */
function evaluate(cands: readonly Candidate[]): void {
  for (const ef of efs) {
    const runs = new Map<string, SingleRun[]>();
    for (let pass = 0; pass < rounds; pass++) {
      for (const c of cands) {
        c.index.setEf(ef);
        const r = timeSingle(c.index, d.queries, d.dim, K, roundMs);
        runs.set(c.config, [...(runs.get(c.config) ?? []), r]);
      }
    }
    for (const c of cands) {
      const rs = runs.get(c.config)!;
      c.index.setEf(ef);
      const row: Row = {
        config: c.config,
        ef,
        recall100: round(recallAt(rs[0].results, d.truth, d.k, 100), 4),
        recall10: round(recallAt(rs[0].results, d.truth, d.k, 10), 4),
        qps1: round(median(rs.map((r) => r.qps))),
        cpuQps1: round(median(rs.map((r) => r.cpuQps))),
        p50us: median(rs.map((r) => r.p50us)),
        p99us: median(rs.map((r) => r.p99us)),
        qpsBatch: round(timeBatch(c.index, d.queries, d.dim, K, threads, roundMs)),
        batchNative: c.batchNative,
        bytesPerVector: c.bytesPerVector,
      };
      rows.push(row);
      log(`  ${c.config} ef=${ef}: recall@100 ${row.recall100} recall@10 ${row.recall10} single ${row.cpuQps1} q/CPU-s ${row.qps1} q/s (p50 ${row.p50us} µs) batch ${row.qpsBatch} q/s`);
    }
  }
}

try {
  for (const config of configs) {
    const spec = configSpec(config);
    const path = join(work, `${config}.idx`);
    const kept = join(work, `${config}.build.json`);
    if (keep && existsSync(kept)) {
      builds.push(JSON.parse(readFileSync(kept, 'utf8')) as BenchReport['builds'][number]);
      log(`reuse ${config} built earlier in ${work}`);
    } else {
      gc();
      const rss0 = rssMiB();
      log(`build ${config} (${JSON.stringify(spec.options)})`);
      const t0 = performance.now();
      const x = createIndex(spec.kind, d.dim, d.metric, spec.options);
      x.addBatch(ids, d.base, threads);
      const buildS = round((performance.now() - t0) / 1000, 1);
      gc();
      const rssGrowthPerVector = round(((rssMiB() - rss0) * 2 ** 20) / n);
      x.save(path);
      x.close();
      gc();
      const fileBytes = statSync(path).size;
      const b = { config, buildS, vectorsPerS: round(n / buildS), fileBytes, bytesPerVector: round(fileBytes / n, 1), rssGrowthPerVector, threads: spec.kind === 'hnswlib' ? 1 : threads };
      builds.push(b);
      writeFileSync(kept, JSON.stringify(b));
      log(`  built in ${buildS} s, ${b.bytesPerVector} bytes/vector on disk, RSS +${rssGrowthPerVector} bytes/vector`);
    }
    const bytesPerVector = builds[builds.length - 1].bytesPerVector;
    const view = openIndex(path, 'view');
    candidates.push({ config, index: view, bytesPerVector, batchNative: spec.kind === 'usearch' });
    if (config === 'usearch-i8') {
      defaultPath = path;
      for (const r of reranks) {
        const rr = new RerankedIndex(openIndex(path, 'view'), openVectorFile(vectorsPath, d.dim, 'vectors', 'mmap'), r);
        candidates.push({ config: rerankName(r), index: rr, bytesPerVector, batchNative: true });
      }
      // The same re-rank reading rows with pread (the fallback without the mmap addon), for the cost of a read.
      const pr = new RerankedIndex(openIndex(path, 'view'), openVectorFile(vectorsPath, d.dim, 'vectors', 'pread'), reranks[0]);
      candidates.push({ config: `${rerankName(reranks[0])} pread`, index: pr, bytesPerVector, batchNative: true });
    }
  }
  log(`measuring ${candidates.map((c) => c.config).join(', ')} at ef ${efs.join(', ')} (${rounds} rounds)`);
  evaluate(candidates);
  for (const c of candidates) c.index.close();

  // Serving the default configuration: worker pool, shard processes, and the event loop meanwhile.
  const serving: BenchReport['serving'] = [];
  if (defaultPath) {
    const ef = Number(arg('serve-ef', '128'));
    const local = new RerankedIndex(openIndex(defaultPath, 'view'), openVectorFile(vectorsPath, d.dim), reranks[0]);
    local.setEf(ef);
    const record = (mode: string, r: { qps: number; loopP50ms: number; loopP99ms: number; loopMaxms: number; results: Hits[] }, extra: Record<string, unknown> = {}): void => {
      const s = { mode, ef, qps: r.qps, recall100: round(recallAt(r.results, d.truth, d.k, 100), 4), loopP50ms: r.loopP50ms, loopP99ms: r.loopP99ms, loopMaxms: r.loopMaxms, ...extra };
      serving.push(s);
      log(`  serve ${mode}: ${JSON.stringify(s)}`);
    };
    record('inline on the event loop (1 in flight)', await inlineLoad(local, d.queries, d.dim, K));
    local.close();
    const served = { type: 'reranked' as const, path: defaultPath, vectors: vectorsPath, ...reranks[0], ef };
    const pooled = await SearchPool.start({ spec: served, workers: threads });
    try {
      for (const c of [1, 16]) record(`worker pool, ${threads} workers, ${c} in flight`, await searcherLoad(pooled, d.queries, d.dim, K, c));
    } finally {
      await pooled.close();
    }
    if (shardCount > 0) {
      log(`build ${shardCount} shards of the default configuration`);
      const t0 = performance.now();
      const paths = buildShards(ids, d.base, d.dim, d.metric, shardCount, 'usearch', configSpec('usearch-i8').options, work);
      const buildS = round((performance.now() - t0) / 1000, 1);
      builds.push({ config: `usearch-i8 × ${shardCount} shards`, buildS, vectorsPerS: round(n / buildS), fileBytes: 0, bytesPerVector: 0, rssGrowthPerVector: 0, threads });
      const cluster = await startShards(paths.map((path) => ({ ...served, path })), { dim: d.dim, metric: d.metric, deadlineMs: 5000 });
      try {
        for (const c of [1, 16]) record(`${shardCount} shard processes, router, ${c} in flight`, await searcherLoad(cluster.router, d.queries, d.dim, K, c), { shardBuildS: buildS });
      } finally {
        await cluster.stop();
      }
    }
  }

  const report: BenchReport = {
    benchmark: 'ann',
    dataset: { name: d.name, n, dim: d.dim, queries: nq, metric: d.metric, note: d.note, truthAgreement },
    settings: { k: K, connectivity, expansionAdd, efs, threads, rerank: reranks, served: rerankName(reranks[0]), shards: shardCount, rounds },
    builds,
    rows,
    serving,
    machine: { ...machineInfo(), loadAverage: (await import('node:os')).loadavg().map((x) => round(x, 2)) },
    command: `node --expose-gc dist/bench/ann.js ${argv.join(' ')}`.trim(),
    totalSeconds: round((performance.now() - t00) / 1000),
    createdAt: new Date().toISOString(),
  };
  const out = arg('out', `ann-${d.name}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${out}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(`bench/results/${out}.md`, formatMarkdown(report));
  log(`wrote bench/results/${out}.{json,md} in ${report.totalSeconds} s`);
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
