/**
 * The shard router: an AnnSearcher over N shard processes, user u living on shard u mod N. A search is
 * broadcast to every shard (each gets only the exclusions it owns), the replies are merged into the global
 * top-k, and a shard that fails or misses the deadline is left out: the answer is flagged `partial` with
 * the missing shards listed, never turned into an error (unless no shard answered at all). Writes go to
 * the owning shard. A lost connection is re-opened on the next request.
 */
import { connect, type Socket } from 'node:net';
import { PymkError, type ErrorCode } from '../../core/errors.js';
import { checkId, checkK, checkRows } from '../distance.js';
import { portableExclusion } from '../exclude.js';
import { mergeHits } from '../topk.js';
import type { AnnSearcher, BatchOptions, Hits, Metric, SearchOptions, SearchResult } from '../types.js';
import { b64, f32, fromWire, readLines, shardOf, type ShardReply, type ShardRequest, type WireHits } from './protocol.js';

export interface Endpoint {
  host: string;
  port: number;
}

export interface RouterOptions {
  dim: number;
  metric: Metric;
  /** How long a search waits for a shard before answering without it (ms). */
  deadlineMs: number;
  /** How long writes and lookups wait (ms). */
  writeTimeoutMs: number;
}

export const ROUTER_DEFAULTS = { deadlineMs: 200, writeTimeoutMs: 5000 };

type Req = ShardRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** One shard's connection with its requests in flight. */
class ShardLink {
  private socket: Socket | null = null;
  private connecting: Promise<Socket> | null = null;
  private seq = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  constructor(readonly shard: number, readonly endpoint: Endpoint) {}

  /** Sends a request; rejects on failure or after `timeoutMs`. */
  request(req: Req, timeoutMs: number): Promise<unknown> {
    const id = this.seq++;
    const reply = this.open().then(
      (socket) =>
        new Promise((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          socket.write(JSON.stringify({ ...req, id }) + '\n');
        }),
    );
    return withTimeout(reply, timeoutMs, this.shard).finally(() => this.pending.delete(id));
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = connect(this.endpoint.port, this.endpoint.host);
      s.setNoDelay(true);
      s.once('connect', () => {
        this.socket = s;
        this.connecting = null;
        resolve(s);
      });
      s.on('error', (e) => {
        this.connecting = null;
        reject(e);
      });
      s.on('close', () => {
        if (this.socket === s) this.socket = null;
        const err = new PymkError('PYMK_NOT_READY', `ANN shard ${this.shard} closed the connection`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      readLines(s, (line) => {
        const r = JSON.parse(line) as ShardReply;
        const p = this.pending.get(r.id);
        if (!p) return; // answered after its deadline
        if (r.ok) p.resolve(r.value);
        else p.reject(new PymkError(r.code as ErrorCode, r.message));
      });
    });
    return this.connecting;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, shard: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PymkError('PYMK_NOT_READY', `ANN shard ${shard} missed its ${ms} ms deadline`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class ShardRouter implements AnnSearcher {
  private readonly links: ShardLink[];
  readonly options: RouterOptions;

  constructor(endpoints: readonly Endpoint[], options: Partial<RouterOptions> & Pick<RouterOptions, 'dim' | 'metric'>) {
    if (endpoints.length === 0) throw new PymkError('PYMK_BAD_PARAM', 'a shard router needs at least one shard');
    this.links = endpoints.map((e, i) => new ShardLink(i, e));
    this.options = { ...ROUTER_DEFAULTS, ...options };
  }

  get dim(): number {
    return this.options.dim;
  }
  get metric(): Metric {
    return this.options.metric;
  }
  get shards(): number {
    return this.links.length;
  }

  /** Sum of the shard sizes (shards that do not answer count 0). */
  async size(): Promise<number> {
    const sizes = await this.broadcast(() => ({ op: 'size' }), this.options.deadlineMs);
    return sizes.reduce<number>((s, v) => s + ((v as number | null) ?? 0), 0);
  }

  async search(query: Float32Array, opts: SearchOptions): Promise<SearchResult> {
    checkK(opts.k);
    checkRows(query, this.dim, 'query');
    const q = b64(query);
    const ex = this.splitExclusions(portableExclusion(opts.exclude));
    const replies = await this.broadcast((i) => ({ op: 'search', q, k: opts.k, ex: ex[i] }), this.options.deadlineMs);
    return this.merge(replies.map((r) => (r ? fromWire(r as WireHits) : null)), opts.k);
  }

  async searchBatch(queries: Float32Array, opts: BatchOptions): Promise<SearchResult[]> {
    checkK(opts.k);
    const n = checkRows(queries, this.dim, 'queries');
    const q = b64(queries);
    const split = (opts.excludes ?? []).map((e) => this.splitExclusions(portableExclusion(e)));
    const replies = await this.broadcast((i) => ({ op: 'batch', q, k: opts.k, exs: split.length ? Array.from({ length: n }, (_, j) => split[j]?.[i]) : undefined }), this.options.deadlineMs * Math.max(1, n / 8));
    return Array.from({ length: n }, (_, j) => this.merge(replies.map((r) => (r ? fromWire((r as WireHits[])[j]) : null)), opts.k));
  }

  /** Looks the user's vector up on its shard, then searches everywhere without the user. */
  async searchUser(id: number, opts: SearchOptions): Promise<SearchResult | null> {
    checkId(id);
    const owner = shardOf(id, this.links.length);
    let v: string | null;
    try {
      v = (await this.links[owner].request({ op: 'vector', user: id }, this.options.deadlineMs)) as string | null;
    } catch {
      // The owner is down: we cannot know the user's vector, so the answer is empty and flagged.
      return { ids: new Int32Array(0), distances: new Float32Array(0), partial: true, missingShards: [owner] };
    }
    if (v === null) return null;
    const exclude = new Set(portableExclusion(opts.exclude) ?? []);
    exclude.add(id);
    return this.search(f32(v), { k: opts.k, exclude });
  }

  async upsert(id: number, vector: Float32Array): Promise<void> {
    checkId(id);
    checkRows(vector, this.dim);
    await this.links[shardOf(id, this.links.length)].request({ op: 'upsert', user: id, v: b64(vector.slice(0, this.dim)) }, this.options.writeTimeoutMs);
  }

  async remove(id: number): Promise<boolean> {
    checkId(id);
    return (await this.links[shardOf(id, this.links.length)].request({ op: 'remove', user: id }, this.options.writeTimeoutMs)) as boolean;
  }

  async close(): Promise<void> {
    for (const l of this.links) l.close();
  }

  /** Sends one request per shard; a shard that fails or is late gives null, which merge() reports in `missingShards`. */
  private broadcast(make: (shard: number) => Req, timeoutMs: number): Promise<(unknown | null)[]> {
    return Promise.all(this.links.map((l, i) => l.request(make(i), timeoutMs).catch(() => null)));
  }

  private merge(parts: (Hits | null)[], k: number): SearchResult {
    const missingShards = parts.flatMap((p, i) => (p ? [] : [i]));
    if (missingShards.length === parts.length) throw new PymkError('PYMK_NOT_READY', 'no ANN shard answered');
    const merged = mergeHits(parts.filter((p): p is Hits => p !== null), k);
    return { ...merged, partial: missingShards.length > 0, missingShards };
  }

  /** Each shard gets the excluded ids it owns. */
  private splitExclusions(ex: number[] | undefined): (number[] | undefined)[] {
    if (!ex) return this.links.map(() => undefined);
    const parts: number[][] = this.links.map(() => []);
    for (const id of ex) if (Number.isInteger(id) && id >= 0) parts[shardOf(id, this.links.length)].push(id);
    return parts.map((p) => (p.length ? p : undefined));
  }
}
