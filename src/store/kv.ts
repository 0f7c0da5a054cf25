/**
 * The narrow key-value seam between the Redis-backed store (kvStore.ts, publish.ts) and the driver
 * (redis.ts: one node, redisCluster.ts: a cluster). Driver types never cross it: values are Buffers,
 * errors are PymkErrors or plain Errors.
 */
import type { ScriptName } from './scripts.js';

/** One SET with an expiry in milliseconds (0 = none). */
export interface SetOp {
  key: string;
  value: Buffer | string;
  px: number;
}

export interface KvClient {
  /** 'redis' or 'redis-cluster'. */
  readonly kind: string;
  /** Masters a request may touch (1 for a single node). */
  nodeCount(): number;
  get(key: string): Promise<Buffer | null>;
  /**
   * Values of any keys, in order, in one parallel round: a single node answers one MGET; a cluster gets,
   * per node, one pipeline holding one MGET per hash slot.
   */
  mget(keys: readonly string[]): Promise<(Buffer | null)[]>;
  /** SETs with expiry, pipelined (per node in a cluster), in one round; resolves when all are acknowledged. */
  set(ops: readonly SetOp[]): Promise<void>;
  /**
   * Bulk SETs already serialised in the Redis protocol (redisBulk.ts RespSets; publish's fast path):
   * `count` commands, all for keys served by `node`. Resolves when all are acknowledged, rejects on the
   * first error reply (a cluster that moved a slot meanwhile answers MOVED: the batch fails).
   */
  setRaw(node: string, resp: Uint8Array, count: number): Promise<void>;
  /** The master serving a hash slot, as setRaw names it; null when one node serves every slot. */
  slotRouter(): ((slot: number) => string) | null;
  del(keys: readonly string[]): Promise<void>;
  incr(key: string): Promise<number>;
  /** Runs a Lua script whose keys share one hash slot; errors come back as PymkErrors (see scripts.ts). */
  script(name: ScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown>;
  /**
   * Visits every key matching a glob on every master (SCAN), and gives each batch to `each`; resolves when
   * every batch was handled. Returns the number of keys seen.
   */
  scan(match: string, each: (keys: string[]) => Promise<void>): Promise<number>;
  /** Sets a TTL in milliseconds on keys (0 = delete them now). */
  expire(keys: readonly string[], ms: number): Promise<void>;
  /** Other ways to read and write the same keys, for the benchmark's comparison (bench/store.ts). */
  strategies(): KvStrategies;
  close(): Promise<void>;
}

export interface KvStrategies {
  /** One GET per key, each awaited before the next: one round trip per key. */
  sequential(keys: readonly string[]): Promise<(Buffer | null)[]>;
  /** One pipeline of GETs (per node in a cluster): one round, one command per key. */
  pipelined(keys: readonly string[]): Promise<(Buffer | null)[]>;
  /** SETs through the general client's pipeline (per node), instead of the raw bulk writer set() uses. */
  setViaClient(ops: readonly SetOp[]): Promise<void>;
}
