/**
 * Starting shard processes and building their index files. buildShards() splits vectors by owner
 * (id mod N) and saves one index per shard; startShards() forks one server.js per spec, waits for each to
 * report its port, and returns a router over them plus stop(), which ends every process it started.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PymkError } from '../../core/errors.js';
import type { OpenSpec } from '../open.js';
import { createIndex } from '../registry.js';
import type { Metric } from '../types.js';
import { SHARD_ARG, shardOf } from './protocol.js';
import { ShardRouter, type RouterOptions } from './router.js';
import type { ShardConfig } from './server.js';

export interface ShardProcess {
  shard: number;
  child: ChildProcess;
  port: number;
}

export interface ShardCluster {
  shards: ShardProcess[];
  router: ShardRouter;
  /** Stops the router and every shard process (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Saves one index per shard under `dir` (shard-<i>.idx); returns their paths. */
export function buildShards(
  ids: ArrayLike<number>,
  vectors: Float32Array,
  dim: number,
  metric: Metric,
  shards: number,
  kind: string,
  options: Record<string, unknown>,
  dir: string,
): string[] {
  const parts: number[][] = Array.from({ length: shards }, () => []);
  for (let i = 0; i < ids.length; i++) parts[shardOf(ids[i], shards)].push(i);
  return parts.map((rows, s) => {
    const x = createIndex(kind, dim, metric, options);
    const v = new Float32Array(rows.length * dim);
    rows.forEach((r, j) => v.set(vectors.subarray(r * dim, (r + 1) * dim), j * dim));
    if (rows.length) x.addBatch(Int32Array.from(rows, (r) => ids[r]), v);
    const path = join(dir, `shard-${s}.idx`);
    x.save(path);
    x.close();
    return path;
  });
}

/** Forks one shard process per spec (spec i serves shard i) and connects a router to them. */
export async function startShards(
  specs: readonly OpenSpec[],
  router: Partial<RouterOptions> & Pick<RouterOptions, 'dim' | 'metric'>,
  startTimeoutMs = 60_000,
): Promise<ShardCluster> {
  const server = new URL('./server.js', import.meta.url);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
  };
  try {
    const shards = await Promise.all(
      specs.map((spec, shard) => {
        const config: ShardConfig = { shard, spec };
        const child = fork(server, [SHARD_ARG, JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        return waitReady(child, shard, startTimeoutMs);
      }),
    );
    const r = new ShardRouter(
      shards.map((s) => ({ host: '127.0.0.1', port: s.port })),
      router,
    );
    return {
      shards,
      router: r,
      stop: async () => {
        await r.close();
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function waitReady(child: ChildProcess, shard: number, timeoutMs: number): Promise<ShardProcess> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new PymkError('PYMK_NOT_READY', `ANN shard ${shard} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (m: { type: string; port?: number; message?: string }) => {
      clearTimeout(timer);
      if (m.type === 'ready' && m.port) resolve({ shard, child, port: m.port });
      else reject(new PymkError('PYMK_NOT_READY', `ANN shard ${shard} failed to start: ${m.message ?? 'unknown error'}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new PymkError('PYMK_NOT_READY', `ANN shard ${shard} exited during start (code ${code})`));
    });
  });
}

/** How long a shard process gets to exit on SIGTERM before it is killed: it holds no state to save. */
export const SHARD_STOP_GRACE_MS = 2000;

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), SHARD_STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGCONT'); // a stopped process cannot act on SIGTERM
    child.kill('SIGTERM');
  });
}
