/**
 * The Redis Cluster driver (ioredis Cluster) behind the KvClient seam.
 * URL: `redis-cluster://[user:password@]host:port[,host:port…][?prefix=pymk&refreshMs=1000]`.
 *
 * Batched reads and writes are grouped by the node that serves each key's slot (computed here with the
 * same CRC16 and hash-tag rule Redis uses), and each node gets one pipeline; the nodes are asked in
 * parallel, so a batch costs one round trip per node, not one per key. Within a node's pipeline, reads are
 * one MGET per slot (MGET may not cross slots).
 */
import { Cluster, type Redis } from 'ioredis';
import { PymkError } from '../core/errors.js';
import { keySlot } from './keys.js';
import type { KvClient, KvStrategies, SetOp } from './kv.js';
import { CONNECTION_DEFAULTS, checkReplies, commandTimeoutOf, execSets, expireKeys, runScript, scanNode, storeError } from './redis.js';
import { BulkPool } from './redisBulk.js';
import type { ScriptName } from './scripts.js';

/** Parses `redis-cluster://[user:pass@]h:p,h:p[?query]`. */
export function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; username?: string; password?: string; params: URLSearchParams } {
  const m = /^redis-cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?]+)\/?(?:\?(.*))?$/.exec(url);
  if (!m) throw new PymkError('PYMK_CONFIG', `store URL '${url}' is not redis-cluster://host:port[,host:port…][?prefix=…]`);
  const nodes = m[3].split(',').map((hp) => {
    const i = hp.lastIndexOf(':');
    const host = i > 0 ? hp.slice(0, i) : hp;
    const port = i > 0 ? Number(hp.slice(i + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new PymkError('PYMK_CONFIG', `store URL '${url}': bad node '${hp}'`);
    return { host, port };
  });
  return {
    nodes,
    username: m[1] ? decodeURIComponent(m[1]) : undefined,
    password: m[2] ? decodeURIComponent(m[2]) : undefined,
    params: new URLSearchParams(m[4] ?? ''),
  };
}

export class ClusterKv implements KvClient {
  readonly kind = 'redis-cluster';

  private readonly bulk = new Map<string, BulkPool>();

  private constructor(
    private readonly cluster: Cluster,
    private readonly url: string,
    private readonly auth: { username?: string; password?: string },
  ) {}

  static async connect(url: string): Promise<ClusterKv> {
    const { nodes, username, password } = parseClusterUrl(url);
    const { lazyConnect, maxRetriesPerRequest, connectTimeout } = CONNECTION_DEFAULTS;
    const q = url.indexOf('?');
    const commandTimeout = commandTimeoutOf(url, new URLSearchParams(q >= 0 ? url.slice(q + 1) : ''));
    const cluster = new Cluster(nodes, {
      lazyConnect,
      enableAutoPipelining: false,
      slotsRefreshTimeout: 2000,
      clusterRetryStrategy: (times) => (times > 3 ? null : 100 * times),
      redisOptions: { username, password, maxRetriesPerRequest, connectTimeout, commandTimeout },
    });
    cluster.on('error', () => {}); // failures surface on the calls
    try {
      await cluster.connect();
    } catch (e) {
      cluster.disconnect();
      throw storeError(url, e);
    }
    return new ClusterKv(cluster, url, { username, password });
  }

  nodeCount(): number {
    return this.cluster.nodes('master').length;
  }

  get(key: string): Promise<Buffer | null> {
    return this.guard(() => this.cluster.getBuffer(key));
  }

  async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return [];
    const out: (Buffer | null)[] = new Array(keys.length);
    const bySlot = new Map<number, number[]>();
    for (let i = 0; i < keys.length; i++) {
      const s = keySlot(keys[i]);
      const group = bySlot.get(s);
      if (group) group.push(i);
      else bySlot.set(s, [i]);
    }
    const byNode = new Map<string, number[][]>();
    for (const [slot, idx] of bySlot) {
      const node = this.nodeOf(slot);
      const list = byNode.get(node);
      if (list) list.push(idx);
      else byNode.set(node, [idx]);
    }
    await this.guard(() =>
      Promise.all(
        [...byNode.values()].map(async (groups) => {
          const p = this.cluster.pipeline();
          for (const idx of groups) p.mgetBuffer(idx.map((i) => keys[i]));
          const replies = checkReplies(await p.exec()) as (Buffer | null)[][];
          groups.forEach((idx, g) => idx.forEach((i, j) => (out[i] = replies[g][j])));
        }),
      ),
    );
    return out;
  }

  /**
   * Bulk SETs, one raw-protocol batch per node (redisBulk.ts). A MOVED reply (the cluster resharded
   * meanwhile) fails the batch; a publish rerun then resumes.
   */
  set(ops: readonly SetOp[]): Promise<void> {
    return this.guard(async () => {
      await Promise.all([...this.groupByNode(ops, (o) => o.key)].map(([node, group]) => this.writer(node).set(group)));
    });
  }

  setRaw(node: string, resp: Uint8Array, count: number): Promise<void> {
    return this.guard(() => this.writer(node).raw(resp, count));
  }

  slotRouter(): (slot: number) => string {
    return (slot) => this.nodeOf(slot);
  }

  strategies(): KvStrategies {
    return {
      sequential: async (keys) => {
        const out: (Buffer | null)[] = [];
        for (const k of keys) out.push(await this.cluster.getBuffer(k));
        return out;
      },
      pipelined: async (keys) => {
        const out: (Buffer | null)[] = new Array(keys.length);
        const idx = keys.map((_, i) => i);
        await Promise.all(
          [...this.groupByNode(idx, (i) => keys[i]).values()].map(async (group) => {
            const p = this.cluster.pipeline();
            for (const i of group) p.getBuffer(keys[i]);
            const replies = checkReplies(await p.exec()) as (Buffer | null)[];
            group.forEach((i, j) => (out[i] = replies[j]));
          }),
        );
        return out;
      },
      setViaClient: async (ops) => {
        await Promise.all([...this.groupByNode(ops, (o) => o.key).values()].map((g) => execSets(this.cluster, g)));
      },
    };
  }

  private writer(node: string): BulkPool {
    let w = this.bulk.get(node);
    if (!w) {
      const i = node.lastIndexOf(':');
      w = new BulkPool({ host: node.slice(0, i), port: Number(node.slice(i + 1)), ...this.auth });
      this.bulk.set(node, w);
    }
    return w;
  }

  async del(keys: readonly string[]): Promise<void> {
    await this.expire(keys, 0);
  }

  incr(key: string): Promise<number> {
    return this.guard(() => this.cluster.incr(key));
  }

  script(name: ScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    return this.guard(() => runScript(this.cluster, name, keys, args));
  }

  scan(match: string, each: (keys: string[]) => Promise<void>): Promise<number> {
    return this.guard(async () => {
      const counts = await Promise.all(this.cluster.nodes('master').map((n: Redis) => scanNode(n, match, each)));
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  expire(keys: readonly string[], ms: number): Promise<void> {
    return this.guard(() => Promise.all([...this.groupByNode(keys, (k) => k).values()].map((g) => expireKeys(this.cluster, g, ms))).then(() => {}));
  }

  async close(): Promise<void> {
    for (const w of this.bulk.values()) await w.close();
    await this.cluster.quit().catch(() => this.cluster.disconnect()); // QUIT needs the nodes; without them, drop the sockets
  }

  /** The master serving a slot, as ioredis names nodes ("host:port"). */
  private nodeOf(slot: number): string {
    const owners = this.cluster.slots[slot];
    if (!owners || owners.length === 0) throw new PymkError('PYMK_STORE_UNAVAILABLE', `${this.url}: no node serves slot ${slot}`);
    return owners[0];
  }

  private groupByNode<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
    const out = new Map<string, T[]>();
    for (const it of items) {
      const node = this.nodeOf(keySlot(keyOf(it)));
      const list = out.get(node);
      if (list) list.push(it);
      else out.set(node, [it]);
    }
    return out;
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw storeError(this.url, e);
    }
  }
}
