/**
 * Online store benchmarks: batched reads for one user and its candidates, and publish throughput.
 *
 *   node dist/bench/store.js [--requests 1000] [--candidates 1000] [--publish-users 1000000]
 *     [--publish-candidates 100] [--bundle DIR] [--skip reads|publish] [--no-cluster]
 *
 * Runs against a private redis-server and a private 3-master Redis Cluster that it starts on free ports
 * (no persistence) and stops at the end, so the shared Redis is never loaded with gigabytes.
 *
 * Reads: for users with `--candidates` candidates, the same keys (the user's 6 own rows, one slot) are read
 * by each strategy, interleaved request by request so they share the machine's load: sequential GETs (one
 * round trip per key), one pipeline of GETs, a bare MGET without decoding, and the store's
 * fetchRankingInputs (one MGET + decoding into columns); and, for comparison, one MGET of what the previous
 * layout read (the own rows + one profile row per candidate).
 * Publish: a synthetic 1M-user snapshot (built in code) published as `pymk publish` does (ChunkWriter: RESP
 * straight from the bundle, raw-protocol connections), and a 100k-user slice written three ways, encoding
 * included (chunk writer, SetOp objects through the bulk writer, the client's pipeline) to justify the path.
 * Results: bench/results/store-read.{json,md}, bench/results/store-publish.{json,md}.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadSnapshot } from '../src/store/fromBundle.js';
import { openKvTarget, openStore, type KvTarget } from '../src/store/index.js';
import type { KvStore } from '../src/store/kvStore.js';
import { ChunkWriter, chunkOps, publishSnapshot, type PublishReport } from '../src/store/publish.js';
import type { Snapshot } from '../src/store/snapshot.js';
import { DEFAULT_TTL, valueTtls } from '../src/store/ttl.js';
import { startCluster, startRedis } from '../test/helpers/redisCluster.js';
import { machine, machineLine, type Machine } from './lib/machine.js';
import { benchSnapshot, summary } from './storeData.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const REQUESTS = Number(arg('requests', '1000'));
const CANDIDATES = Number(arg('candidates', '1000'));
const SEQ_BUDGET_S = Number(arg('seq-budget', '150'));
const PUBLISH_USERS = Number(arg('publish-users', '1000000'));
const PUBLISH_CANDIDATES = Number(arg('publish-candidates', '100'));
const skip = arg('skip', '');

type Strategy = 'sequential' | 'pipeline' | 'mget' | 'store' | 'mget-rows';
const STRATEGIES: Strategy[] = ['sequential', 'pipeline', 'mget', 'store', 'mget-rows'];

interface ReadResult {
  backend: string;
  keysPerRequest: number;
  bytesPerRequest: number;
  /** The previous layout: the user's own rows and one profile row per candidate. */
  rowKeysPerRequest: number;
  rowBytesPerRequest: number;
  strategies: Record<Strategy, ReturnType<typeof summary> & { clientCpuMs: number }>;
}

/** CPU seconds (user + system) Redis servers have used so far, from INFO cpu. */
function serverCpu(ports: number[]): number {
  let total = 0;
  for (const p of ports) {
    const info = execFileSync('redis-cli', ['-p', String(p), 'info', 'cpu'], { encoding: 'utf8' });
    for (const k of ['used_cpu_sys', 'used_cpu_user']) total += Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  }
  return total;
}

async function readBench(backend: string, url: string, snap: Snapshot, measured: number): Promise<ReadResult> {
  const t = await openKvTarget(`${url}?prefix=benchread`);
  await publishSnapshot(t.kv, t.space, snap, { chunkUsers: 1000 });
  const store = (await openStore(`${url}?prefix=benchread&refreshMs=0`)) as KvStore;
  const { gen, meta } = store.current();
  const k = t.space.gen(gen, meta.buckets);
  const c = snap.candidates;
  const keysOf = (u: number): string[] => k.rankingInputs(u);
  // The per-candidate profile rows, as the previous layout read them (second round), for comparison.
  const rowKeysOf = (u: number): string[] => [
    ...k.rankingInputs(u).filter((key) => key !== k.profiles(u)),
    k.profile(u),
    ...Array.from(c.cand.subarray(c.offsets[u], c.offsets[u + 1]), (v) => k.profile(v)),
  ];
  const s = t.kv.strategies();
  const run: Record<Strategy, (u: number) => Promise<unknown>> = {
    sequential: (u) => s.sequential(keysOf(u)),
    pipeline: (u) => s.pipelined(keysOf(u)),
    mget: (u) => t.kv.mget(keysOf(u)),
    store: (u) => store.fetchRankingInputs(u),
    'mget-rows': (u) => t.kv.mget(rowKeysOf(u)),
  };
  const size = async (keys: string[]): Promise<number> => (await t.kv.mget(keys)).reduce((a, b) => a + (b?.length ?? 0), 0);
  const bytes = await size(keysOf(0));
  const rowBytes = await size(rowKeysOf(0));
  const times = Object.fromEntries(STRATEGIES.map((st) => [st, [] as number[]])) as Record<Strategy, number[]>;
  const cpu = Object.fromEntries(STRATEGIES.map((st) => [st, 0])) as Record<Strategy, number>;
  for (let i = 0; i < 50; i++) for (const st of STRATEGIES.slice(1)) await run[st](i % measured); // warm-up
  const t0 = performance.now();
  let seqSpent = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const u = (i * 7919) % measured;
    const order = STRATEGIES.map((_, j) => STRATEGIES[(i + j) % STRATEGIES.length]);
    for (const st of order) {
      if (st === 'sequential' && seqSpent > SEQ_BUDGET_S * 1000) continue;
      const c0 = process.cpuUsage();
      const a = performance.now();
      await run[st](u);
      const ms = performance.now() - a;
      const c = process.cpuUsage(c0);
      cpu[st] += (c.user + c.system) / 1000;
      times[st].push(ms);
      if (st === 'sequential') seqSpent += ms;
    }
  }
  console.error(`${backend}: ${REQUESTS} requests in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  await store.close();
  await dropPrefix(t, 'benchread');
  return {
    backend,
    keysPerRequest: keysOf(0).length,
    bytesPerRequest: bytes,
    rowKeysPerRequest: rowKeysOf(0).length,
    rowBytesPerRequest: rowBytes,
    strategies: Object.fromEntries(
      STRATEGIES.map((st) => [st, { ...summary(times[st]), clientCpuMs: Math.round((cpu[st] / Math.max(1, times[st].length)) * 1000) / 1000 }]),
    ) as ReadResult['strategies'],
  };
}

async function dropPrefix(t: KvTarget, prefix: string): Promise<void> {
  await t.kv.scan(`${prefix}:*`, (keys) => t.kv.del(keys));
  await t.kv.close();
}

interface PublishResult {
  backend: string;
  users: number;
  candidatesPerUser: number;
  report: PublishReport;
  /** CPU per key written: this process (encode + serialise + send) and the Redis servers (execute). */
  clientCpuUsPerKey: number;
  serverCpuUsPerKey: number;
}

async function publishBench(backend: string, url: string, ports: number[], snap: Snapshot): Promise<PublishResult> {
  const t = await openKvTarget(`${url}?prefix=benchpub`);
  const s0 = serverCpu(ports);
  const c0 = process.cpuUsage();
  const report = await publishSnapshot(t.kv, t.space, snap, {});
  const c = process.cpuUsage(c0);
  const server = serverCpu(ports) - s0;
  console.error(`${backend}: published ${report.keysWritten} keys in ${report.seconds}s = ${report.keysPerSecond} keys/s, ${report.mbPerSecond} MB/s`);
  await dropPrefix(t, 'benchpub');
  const per = (x: number): number => Math.round((x / report.keysWritten) * 100) / 100;
  return { backend, users: snap.ids.size, candidatesPerUser: PUBLISH_CANDIDATES, report, clientCpuUsPerKey: per((c.user + c.system)), serverCpuUsPerKey: per(server * 1e6) };
}

/** The same SETs written by the bulk writer and by the client's pipeline, chunk by chunk. */
interface PathResult {
  keys: number;
  seconds: number;
  keysPerSecond: number;
  mbPerSecond: number;
  clientCpuUsPerKey: number;
}

async function writePaths(url: string, snap: Snapshot, users: number): Promise<Record<string, PathResult>> {
  const t = await openKvTarget(`${url}?prefix=benchpath`);
  const out: Record<string, PathResult> = {};
  const ttls = valueTtls(DEFAULT_TTL);
  // What publish does: each chunk encoded straight into one RESP buffer (encoding counted, as below).
  const w = new ChunkWriter(snap, t.space.gen(1, 64), ttls, 'f16', null);
  out['chunk writer (publish: RESP straight from the bundle, one chunk at a time)'] = await timeChunks(users, async (lo, hi) => {
    const chunk = w.chunk(lo, hi);
    const sets = chunk.get('')!;
    await t.kv.setRaw('', sets.written(), sets.count);
    w.release(chunk);
    return { keys: sets.count, bytes: sets.payload };
  });
  for (const [name, write] of [
    ['bulk writer (raw protocol, SetOp objects)', (ops: Parameters<typeof t.kv.set>[0]) => t.kv.set(ops)],
    ['client pipeline (ioredis)', (ops: Parameters<typeof t.kv.set>[0]) => t.kv.strategies().setViaClient(ops)],
  ] as const) {
    out[name] = await timeChunks(users, async (lo, hi) => {
      const ops = chunkOps(snap, t.space.gen(1, 64), ttls, lo, hi, 'f16');
      await write(ops);
      let bytes = 0;
      for (const op of ops) bytes += op.key.length + op.value.length;
      return { keys: ops.length, bytes };
    });
    console.error(`${name}: ${out[name].keysPerSecond} keys/s`);
  }
  await dropPrefix(t, 'benchpath');
  return out;
}

/** Writes users in chunks of 2,000 with `writeChunk`, timing the writes (wall and this process's CPU). */
async function timeChunks(users: number, writeChunk: (lo: number, hi: number) => Promise<{ keys: number; bytes: number }>): Promise<PathResult> {
  let keys = 0;
  let bytes = 0;
  let writing = 0;
  let cpu = 0;
  for (let lo = 0; lo < users; lo += 2000) {
    const c0 = process.cpuUsage();
    const a = performance.now();
    const r = await writeChunk(lo, Math.min(users, lo + 2000));
    writing += performance.now() - a;
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
    keys += r.keys;
    bytes += r.bytes;
  }
  const seconds = writing / 1000;
  return {
    keys,
    seconds: Math.round(seconds * 100) / 100,
    keysPerSecond: Math.round(keys / seconds),
    mbPerSecond: Math.round(bytes / 1e6 / seconds),
    clientCpuUsPerKey: Math.round((cpu / keys) * 100) / 100,
  };
}

function readMarkdown(m: Machine, rows: ReadResult[]): string {
  const lines = [
    `# Store reads: all features for 1 user + ${CANDIDATES} candidates`,
    '',
    `${machineLine(m)}. Command: \`node dist/bench/store.js ${process.argv.slice(2).join(' ')}\`.`,
    '',
    "Each request reads the user's 6 own rows (one slot: candidate list, behaviour, profile pack, connections, blocks,",
    'dismissals). Strategies run interleaved, request by request. `store` is `fetchRankingInputs` (one MGET, decoded into',
    'columns); `sequential`, `pipeline` and `mget` read the same keys without decoding. `mget-rows` is the previous layout\'s',
    'read for comparison: the own rows plus one profile row per candidate (user + 1,000), in one MGET (per node and slot on',
    'the cluster), not decoded. Times in ms; client CPU is this process (user + system) per request.',
    '',
    '| backend | strategy | requests | p50 | p99 | mean | max | client CPU/request |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    for (const st of STRATEGIES) {
      const s = r.strategies[st];
      lines.push(`| ${r.backend} | ${st} | ${s.n} | ${s.p50} | ${s.p99} | ${s.mean} | ${s.max} | ${s.clientCpuMs} |`);
    }
  }
  lines.push(
    '',
    '| backend | keys/request | bytes/request | store p50 | store p99 | store p99 / mget p99 | store p50 / mget p50 | mget-rows: keys, bytes, p50, p99 |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const r of rows) {
    const s = r.strategies;
    lines.push(
      `| ${r.backend} | ${r.keysPerRequest} | ${r.bytesPerRequest} | ${s.store.p50} | ${s.store.p99} | ${(s.store.p99 / s.mget.p99).toFixed(2)} | ${(s.store.p50 / s.mget.p50).toFixed(2)} | ${r.rowKeysPerRequest}, ${r.rowBytesPerRequest}, ${s['mget-rows'].p50}, ${s['mget-rows'].p99} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function publishMarkdown(m: Machine, rows: PublishResult[], paths: Awaited<ReturnType<typeof writePaths>> | null, bundle: PublishResult | null): string {
  const lines = [
    '# Store publish throughput',
    '',
    `${machineLine(m)}. Command: \`node dist/bench/store.js ${process.argv.slice(2).join(' ')}\`.`,
    '',
    'Seconds are the whole publish (encode, write, switch). CPU per key: this process (encode, serialise, send) and',
    'the Redis server(s) (execute), which tell what one free core each would sustain on a quieter machine.',
    '',
    '| backend | users | candidates/user | keys | MB | seconds | keys/s | MB/s | client CPU µs/key | server CPU µs/key |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of [...rows, ...(bundle ? [bundle] : [])]) {
    const p = r.report;
    lines.push(
      `| ${r.backend} | ${r.users} | ${r.candidatesPerUser} | ${p.keysWritten} | ${Math.round(p.bytesWritten / 1e6)} | ${p.seconds} | ${p.keysPerSecond} | ${p.mbPerSecond} | ${r.clientCpuUsPerKey} | ${r.serverCpuUsPerKey} |`,
    );
  }
  if (paths) {
    lines.push('', 'Write path, same SETs, one chunk at a time (no chunks in flight), encoding + writing (single node, 100k users):', '', '| path | keys | seconds | keys/s | MB/s | client CPU µs/key |', '|---|---:|---:|---:|---:|---:|');
    for (const [name, p] of Object.entries(paths)) lines.push(`| ${name} | ${p.keys} | ${p.seconds} | ${p.keysPerSecond} | ${p.mbPerSecond} | ${p.clientCpuUsPerKey} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const m = machine();
  const single = await startRedis();
  const cluster = flag('no-cluster') ? null : await startCluster(3);
  try {
    if (skip !== 'reads') {
      const snap = benchSnapshot({ users: 20_000, usersWithLists: 1000, candidates: CANDIDATES, degree: 25, listK: 0, seed: 1, version: 'bench-read' });
      const rows = [await readBench('redis (1 node)', single.url, snap, 1000)];
      if (cluster) rows.push(await readBench('redis-cluster (3 masters)', cluster.url, snap, 1000));
      writeFileSync('bench/results/store-read.json', `${JSON.stringify({ machine: m, requests: REQUESTS, candidates: CANDIDATES, rows }, null, 2)}\n`);
      writeFileSync('bench/results/store-read.md', readMarkdown(m, rows));
    }
    if (skip !== 'publish') {
      const a = performance.now();
      const snap = benchSnapshot({ users: PUBLISH_USERS, usersWithLists: PUBLISH_USERS, candidates: PUBLISH_CANDIDATES, degree: 25, listK: 20, seed: 2, version: 'bench-publish' });
      console.error(`built a ${PUBLISH_USERS}-user snapshot in ${((performance.now() - a) / 1000).toFixed(1)}s`);
      const paths = await writePaths(single.url, snap, Math.min(100_000, PUBLISH_USERS));
      const rows = [await publishBench('redis (1 node)', single.url, [single.port], snap)];
      if (cluster) rows.push(await publishBench('redis-cluster (3 masters)', cluster.url, cluster.ports, snap));
      let bundle: PublishResult | null = null;
      const dir = arg('bundle', '');
      if (dir) {
        const b = await loadSnapshot(dir);
        const r = await publishBench(`redis (1 node), bundle ${dir}`, single.url, [single.port], b);
        bundle = { ...r, candidatesPerUser: Math.round(b.candidates.cand.length / b.ids.size) };
      }
      writeFileSync('bench/results/store-publish.json', `${JSON.stringify({ machine: m, rows, paths, bundle }, null, 2)}\n`);
      writeFileSync('bench/results/store-publish.md', publishMarkdown(m, rows, paths, bundle));
    }
  } finally {
    await single.stop();
    await cluster?.stop();
  }
}

await main();
