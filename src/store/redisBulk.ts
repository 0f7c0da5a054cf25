/**
 * Mass insertion over the raw Redis protocol, the way `redis-cli --pipe` does it (Redis docs, "Bulk
 * loading"): a chunk of SETs is serialised into one buffer and written in one go, and the replies are only
 * counted. Publishing uses it because a general client builds an object and several buffers per command;
 * at millions of keys that was the bottleneck (docs/store.md has the numbers). Only SET is ever sent here,
 * so every reply is one line: `+OK` or an error (`-…`), which fails the batch it belongs to.
 */
import { connect, type Socket } from 'node:net';
import { PymkError } from '../core/errors.js';
import type { SetOp } from './kv.js';

export interface BulkTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

interface Batch {
  remaining: number;
  firstError: string | null;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class BulkWriter {
  private readonly queue: Batch[] = [];
  private carry: Buffer = Buffer.alloc(0);
  private failed: Error | null = null;

  private constructor(
    private readonly sock: Socket,
    private readonly name: string,
  ) {
    sock.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error): void => {
      this.failed ??= e;
      for (const b of this.queue.splice(0)) b.reject(e);
    };
    sock.on('error', (e) => fail(new PymkError('PYMK_STORE_UNAVAILABLE', `${name}: ${e.message}`)));
    sock.on('close', () => fail(new PymkError('PYMK_STORE_UNAVAILABLE', `${name}: connection closed`)));
  }

  static async connect(t: BulkTarget): Promise<BulkWriter> {
    const name = `${t.host}:${t.port}`;
    const sock = connect(t.port, t.host);
    sock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', (e) => reject(new PymkError('PYMK_STORE_UNAVAILABLE', `${name}: ${e.message}`)));
    });
    const w = new BulkWriter(sock, name);
    const setup: string[][] = [];
    if (t.password) setup.push(t.username ? ['AUTH', t.username, t.password] : ['AUTH', t.password]);
    if (t.db) setup.push(['SELECT', String(t.db)]);
    if (setup.length > 0) await w.send(Buffer.concat(setup.map(command)), setup.length);
    return w;
  }

  /** Writes the SETs in one buffer; resolves when every reply is in, rejects with the first error reply. */
  set(ops: readonly SetOp[]): Promise<void> {
    return ops.length === 0 ? Promise.resolve() : this.send(serializeSets(ops), ops.length);
  }

  /** Writes `count` commands already serialised (RespSets); resolves as set() does. */
  raw(resp: Uint8Array, count: number): Promise<void> {
    return count === 0 ? Promise.resolve() : this.send(resp, count);
  }

  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  /** True once the connection failed; a pool then replaces it. */
  broken(): boolean {
    return this.failed !== null;
  }

  private send(buf: Uint8Array, replies: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ remaining: replies, firstError: null, resolve, reject });
      this.sock.write(buf);
    });
  }

  private onData(d: Buffer): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, d]) : d;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      const head = this.queue[0];
      if (!head) {
        this.failed = new PymkError('PYMK_STORE_UNAVAILABLE', `${this.name}: unexpected reply`);
        this.sock.destroy();
        return;
      }
      if (buf[start] === 45 /* '-' */ && head.firstError === null) head.firstError = buf.toString('utf8', start + 1, nl - 1);
      start = nl + 1;
      if (--head.remaining === 0) {
        this.queue.shift();
        if (head.firstError) head.reject(new PymkError('PYMK_STORE_UNAVAILABLE', `${this.name}: ${head.firstError}`));
        else head.resolve();
      }
    }
    this.carry = start < buf.length ? Buffer.from(buf.subarray(start)) : Buffer.alloc(0);
  }
}

/**
 * A few bulk connections to one server, used in turn. Redis reads each connection's pipeline in slices per
 * event-loop turn; several connections let one turn read several slices, which measured ~1.7x the SETs per
 * second of a single connection (docs/store.md).
 */
export class BulkPool {
  private readonly writers: Promise<BulkWriter>[] = [];
  private next = 0;

  constructor(
    private readonly target: BulkTarget,
    private readonly size = 4,
  ) {}

  set(ops: readonly SetOp[]): Promise<void> {
    return this.use((w) => w.set(ops));
  }

  /** Serialised SETs (RespSets.bytes()), `count` of them. */
  raw(resp: Uint8Array, count: number): Promise<void> {
    return this.use((w) => w.raw(resp, count));
  }

  private async use(write: (w: BulkWriter) => Promise<void>): Promise<void> {
    const i = this.next++ % this.size;
    let w = this.writers[i];
    if (!w) {
      w = BulkWriter.connect(this.target);
      w.catch(() => {}); // a failed connect is thrown by the await below, to this call only
      this.writers[i] = w;
    }
    let writer: BulkWriter;
    try {
      writer = await w;
    } catch (e) {
      delete this.writers[i]; // reconnect on the next call
      throw e;
    }
    try {
      await write(writer);
    } catch (e) {
      if (writer.broken()) delete this.writers[i];
      throw e;
    }
  }

  async close(): Promise<void> {
    // A writer that never connected has nothing to close; its connect error went to the call that made it.
    for (const w of this.writers) (await w?.catch(() => null))?.close();
    this.writers.length = 0;
  }
}

function command(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`, 'utf8');
}

/** `SET key value [PX ms]` for every op, in RESP, in one buffer (RespSets with the whole key as its middle). */
export function serializeSets(ops: readonly SetOp[]): Buffer {
  let size = 0;
  for (const op of ops) size += 64 + op.key.length * 3 + (typeof op.value === 'string' ? op.value.length * 3 : op.value.length);
  const sets = new RespSets(Math.max(64, size));
  for (const op of ops) sets.set(NO_BYTES, op.key, null, op.value, op.px);
  return sets.written();
}

const NO_BYTES = new Uint8Array(0);
const SET5 = Buffer.from('*5\r\n$3\r\nSET\r\n$');
const SET3 = Buffer.from('*3\r\n$3\r\nSET\r\n$');
const CRLF_DOLLAR = Buffer.from('\r\n$');
const CRLF = Buffer.from('\r\n');
const PX_SUFFIX = new Map<number, Buffer>();

/**
 * SET commands serialised straight into one growing buffer, without a string or an object per key: a key
 * is written as a constant head (e.g. `<prefix>:g3:{`), a middle (a number, written as digits, or a string)
 * and a constant tail (e.g. `}c`). serializeSets writes SetOp objects through it.
 */
export class RespSets {
  private buf: Buffer;
  private o = 0;
  /** SET commands written. */
  count = 0;
  /** Key and value bytes written (without the protocol's framing). */
  payload = 0;

  /** Starts in `reuse` (a buffer handed back by release()) when it is at least `initial` bytes. */
  constructor(initial = 1 << 20, reuse?: Buffer) {
    this.buf = reuse && reuse.length >= initial ? reuse : Buffer.allocUnsafeSlow(initial);
  }

  /** The buffer, for another RespSets once these commands were written (reusing memory already paged in). */
  release(): Buffer {
    this.o = 0;
    this.count = 0;
    return this.buf;
  }

  /** `SET <head><mid><tail> <value> [PX px]`; a numeric value is written as its decimal digits, a string as utf8. */
  set(head: Uint8Array, mid: number | string, tail: Uint8Array | null, value: Uint8Array | number | string, px: number): void {
    const midLen = typeof mid === 'number' ? digits(mid) : Buffer.byteLength(mid);
    const keyLen = head.length + midLen + (tail ? tail.length : 0);
    const valLen = typeof value === 'number' ? digits(value) : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
    let suffix = PX_SUFFIX.get(px);
    if (!suffix) {
      suffix = Buffer.from(px > 0 ? `\r\n$2\r\nPX\r\n$${String(px).length}\r\n${px}\r\n` : '\r\n');
      if (PX_SUFFIX.size < 256) PX_SUFFIX.set(px, suffix); // publish uses a few per-kind TTLs; other callers any
    }
    // Framing: '*5\r\n$3\r\nSET\r\n' + two '$<len>\r\n…\r\n' + the PX suffix (its length is known exactly).
    this.room(32 + digits(keyLen) + digits(valLen) + keyLen + valLen + suffix.length);
    this.bytes(px > 0 ? SET5 : SET3);
    this.num(keyLen);
    this.bytes(CRLF);
    this.bytes(head);
    if (typeof mid === 'number') this.num(mid);
    else this.text(mid, midLen);
    if (tail) this.bytes(tail);
    this.bytes(CRLF_DOLLAR);
    this.num(valLen);
    this.bytes(CRLF);
    if (typeof value === 'number') this.num(value);
    else if (typeof value === 'string') this.text(value, valLen);
    else {
      this.buf.set(value, this.o);
      this.o += value.length;
    }
    this.bytes(suffix);
    this.count++;
    this.payload += keyLen + valLen;
  }

  /** The commands written so far (a view, valid until the next set()). */
  written(): Buffer {
    return this.buf.subarray(0, this.o);
  }

  /** Bytes written so far. */
  size(): number {
    return this.o;
  }

  /** A string of `len` utf8 bytes: char codes directly when it is ASCII (byte length = length). */
  private text(s: string, len: number): void {
    if (len === s.length) for (let j = 0; j < s.length; j++) this.buf[this.o++] = s.charCodeAt(j);
    else this.o += this.buf.write(s, this.o, 'utf8');
  }

  private bytes(b: Uint8Array): void {
    const out = this.buf;
    let o = this.o;
    for (let j = 0; j < b.length; j++) out[o++] = b[j];
    this.o = o;
  }

  private num(x: number): void {
    const out = this.buf;
    const end = (this.o += digits(x));
    let o = end;
    do {
      out[--o] = 48 + (x % 10);
      x = Math.floor(x / 10);
    } while (x > 0);
  }

  private room(n: number): void {
    if (this.o + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.o + n));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }
}

/** Decimal digits of a non-negative integer. */
function digits(x: number): number {
  let d = 1;
  while (x >= 10) {
    x = Math.floor(x / 10);
    d++;
  }
  return d;
}
