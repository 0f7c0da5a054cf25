/**
 * The single-node Redis driver (ioredis) behind the KvClient seam, and the helpers the cluster driver
 * shares. URL: `redis://[user:password@]host[:port][/db][?prefix=pymk&refreshMs=1000]`.
 */
import { createHash } from 'node:crypto';
import { Redis, type Cluster, type RedisOptions } from 'ioredis';
import { PymkError, isPymkError } from '../core/errors.js';
import type { KvClient, KvStrategies, SetOp } from './kv.js';
import { BulkPool } from './redisBulk.js';
import { loadScripts, scriptError, type ScriptName } from './scripts.js';

type Client = Redis | Cluster;

/** Driver errors become PYMK_STORE_UNAVAILABLE (naming the store); PymkErrors pass through. */
export function storeError(url: string, err: unknown): PymkError {
  if (isPymkError(err)) return err;
  const mapped = scriptError(err);
  if (isPymkError(mapped)) return mapped;
  const msg = err instanceof Error ? err.message : String(err);
  return new PymkError('PYMK_STORE_UNAVAILABLE', `${url}: ${msg}`);
}

/**
 * How long one command may take before it fails (ms; a URL's `timeoutMs` overrides it): a store that is
 * away or 200 ms slow must fail the call, not hold it for seconds; serving then answers from a fallback.
 */
export const COMMAND_TIMEOUT_MS = 1000;

/** Options every connection gets: fail fast instead of queueing forever while Redis is away. */
export const CONNECTION_DEFAULTS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: 3000,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: false,
};

const SHA = new Map<string, string>();
function sha1(lua: string): string {
  let s = SHA.get(lua);
  if (!s) SHA.set(lua, (s = createHash('sha1').update(lua).digest('hex')));
  return s;
}

/** EVALSHA, falling back to EVAL once when the server does not have the script yet. */
export async function runScript(client: Client, name: ScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
  const s = loadScripts()[name];
  const fits = s.repeatKeys ? keys.length > 0 && keys.length % s.numberOfKeys === 0 : keys.length === s.numberOfKeys;
  if (!fits) {
    throw new PymkError('PYMK_INTERNAL', `script ${name} declares ${s.repeatKeys ? 'groups of ' : ''}${s.numberOfKeys} KEYS, called with ${keys.length}`);
  }
  try {
    return await client.evalsha(sha1(s.lua), keys.length, ...keys, ...args);
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}

/** Adds SETs to a pipeline; returns after checking every reply. */
export async function execSets(client: Client, ops: readonly SetOp[]): Promise<void> {
  if (ops.length === 0) return;
  const p = client.pipeline();
  for (const op of ops) {
    if (op.px > 0) p.set(op.key, op.value, 'PX', op.px);
    else p.set(op.key, op.value);
  }
  checkReplies(await p.exec());
}

export function checkReplies(res: [Error | null, unknown][] | null): unknown[] {
  if (!res) throw new Error('pipeline was discarded');
  const out: unknown[] = new Array(res.length);
  for (let i = 0; i < res.length; i++) {
    const [err, v] = res[i];
    if (err) throw err;
    out[i] = v;
  }
  return out;
}

/** SCAN over one node, handing each batch to `each`. */
export async function scanNode(node: Redis, match: string, each: (keys: string[]) => Promise<void>): Promise<number> {
  let cursor = '0';
  let seen = 0;
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) {
      seen += keys.length;
      await each(keys);
    }
  } while (cursor !== '0');
  return seen;
}

export async function expireKeys(client: Client, keys: readonly string[], ms: number): Promise<void> {
  if (keys.length === 0) return;
  const p = client.pipeline();
  for (const k of keys) {
    if (ms > 0) p.pexpire(k, ms);
    else p.unlink(k);
  }
  checkReplies(await p.exec());
}

/** The store connection's command timeout: the URL's `timeoutMs`, else COMMAND_TIMEOUT_MS. */
export function commandTimeoutOf(url: string, params: URLSearchParams): number {
  const raw = params.get('timeoutMs');
  const ms = raw === null ? COMMAND_TIMEOUT_MS : Number(raw);
  if (!Number.isInteger(ms) || ms < 1) throw new PymkError('PYMK_CONFIG', `store URL ${url}: timeoutMs must be a positive integer, got '${raw}'`);
  return ms;
}

/** Parses a redis:// URL into connection options and the query parameters. */
export function parseRedisUrl(url: string): { options: RedisOptions; params: URLSearchParams } {
  const u = new URL(url);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new PymkError('PYMK_CONFIG', `store URL ${url}: database '${u.pathname.slice(1)}' is not a number`);
  return {
    options: {
      host: u.hostname || '127.0.0.1',
      port: u.port ? Number(u.port) : 6379,
      db,
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
    },
    params: u.searchParams,
  };
}

/** One Redis server. */
export class RedisKv implements KvClient {
  readonly kind = 'redis';

  private constructor(
    private readonly client: Redis,
    private readonly url: string,
    private readonly bulk: BulkPool,
  ) {}

  static async connect(url: string): Promise<RedisKv> {
    const { options, params } = parseRedisUrl(url);
    const client = new Redis({ ...CONNECTION_DEFAULTS, commandTimeout: commandTimeoutOf(url, params), ...options });
    client.on('error', () => {}); // failures surface on the calls; no unhandled 'error' events
    try {
      await client.connect();
    } catch (e) {
      client.disconnect();
      throw storeError(url, e);
    }
    const { host = '127.0.0.1', port = 6379, username, password, db } = options;
    return new RedisKv(client, url, new BulkPool({ host, port, username, password, db }));
  }

  nodeCount(): number {
    return 1;
  }

  get(key: string): Promise<Buffer | null> {
    return this.guard(() => this.client.getBuffer(key));
  }

  async mget(keys: readonly string[]): Promise<(Buffer | null)[]> {
    return keys.length === 0 ? [] : this.guard(() => this.client.mgetBuffer(keys as string[]));
  }

  /** Bulk SETs go over raw-protocol connections (redisBulk.ts), opened on first use. */
  set(ops: readonly SetOp[]): Promise<void> {
    return this.guard(() => this.bulk.set(ops));
  }

  setRaw(_node: string, resp: Uint8Array, count: number): Promise<void> {
    return this.guard(() => this.bulk.raw(resp, count));
  }

  slotRouter(): null {
    return null;
  }

  async del(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.guard(() => this.client.del(...keys));
  }

  incr(key: string): Promise<number> {
    return this.guard(() => this.client.incr(key));
  }

  script(name: ScriptName, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    return this.guard(() => runScript(this.client, name, keys, args));
  }

  scan(match: string, each: (keys: string[]) => Promise<void>): Promise<number> {
    return this.guard(() => scanNode(this.client, match, each));
  }

  expire(keys: readonly string[], ms: number): Promise<void> {
    return this.guard(() => expireKeys(this.client, keys, ms));
  }

  strategies(): KvStrategies {
    return {
      sequential: async (keys) => {
        const out: (Buffer | null)[] = [];
        for (const k of keys) out.push(await this.client.getBuffer(k));
        return out;
      },
      pipelined: async (keys) => {
        const p = this.client.pipeline();
        for (const k of keys) p.getBuffer(k);
        return checkReplies(await p.exec()) as (Buffer | null)[];
      },
      setViaClient: (ops) => execSets(this.client, ops),
    };
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw storeError(this.url, e);
    }
  }

  async close(): Promise<void> {
    await this.bulk.close();
    await this.client.quit().catch(() => this.client.disconnect()); // QUIT needs the server; without it, drop the socket
  }
}
