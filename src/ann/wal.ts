/**
 * The recent tier's write-ahead log: every upsert and remove is appended before it is applied, so a
 * restarted process replays the log and loses nothing. A torn last record (crash mid-write) is detected by
 * its CRC and cut off.
 *
 *   header  "PYMKWAL\0" | u32 version | u32 dim                         (16 bytes)
 *   record  u32 crc32(op..end) | u8 op (1 upsert, 2 remove) | u32 id | dim × f32 (upsert only)
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { PymkError } from '../core/errors.js';

const MAGIC = Buffer.from('PYMKWAL\0', 'latin1');
const VERSION = 1;
const HEADER = 16;
export const OP_UPSERT = 1;
export const OP_REMOVE = 2;

export type WalRecord = { op: typeof OP_UPSERT; id: number; vector: Float32Array } | { op: typeof OP_REMOVE; id: number };

/** An append-only log of tier changes. */
export class Wal {
  private fd: number;
  private readonly buf: Buffer;

  private constructor(readonly path: string, readonly dim: number, readonly fsync: boolean, fd: number) {
    this.fd = fd;
    this.buf = Buffer.alloc(9 + dim * 4);
  }

  /** Opens (creating if absent) the log and returns it with the records it already held. */
  static open(path: string, dim: number, fsync = false): { wal: Wal; records: WalRecord[] } {
    if (!existsSync(path)) {
      // Created under a temporary name, so a reader never sees a log without its header.
      const head = Buffer.alloc(HEADER);
      MAGIC.copy(head, 0);
      head.writeUInt32LE(VERSION, 8);
      head.writeUInt32LE(dim, 12);
      const tmp = `${path}.tmp-${process.pid}-${threadId}`;
      const fd = openSync(tmp, 'w');
      writeSync(fd, head);
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, path);
    }
    const bytes = readFileSync(path);
    check(bytes, path, dim);
    const { records, end } = parse(bytes, dim);
    const fd = openSync(path, 'r+');
    if (end < bytes.length) ftruncateSync(fd, end); // drop a torn tail so new records follow good ones
    const wal = new Wal(path, dim, fsync, fd);
    wal.offset = end;
    return { wal, records };
  }

  /** The records of a log, read-only (for processes that replay but do not write it). */
  static read(path: string, dim: number): WalRecord[] {
    const bytes = readFileSync(path);
    check(bytes, path, dim);
    return parse(bytes, dim).records;
  }

  private offset = HEADER;

  /** Bytes in the log. */
  get bytes(): number {
    return this.offset;
  }

  append(r: WalRecord): void {
    const b = this.buf;
    b.writeUInt8(r.op, 4);
    b.writeUInt32LE(r.id, 5);
    let len = 9;
    if (r.op === OP_UPSERT) {
      Buffer.from(r.vector.buffer, r.vector.byteOffset, this.dim * 4).copy(b, 9);
      len += this.dim * 4;
    }
    b.writeUInt32LE(crc32(b.subarray(4, len)), 0);
    let done = 0;
    while (done < len) done += writeSync(this.fd, b, done, len - done, this.offset + done);
    this.offset += len;
    if (this.fsync) fsyncSync(this.fd);
  }

  /** Forces the log to disk. */
  sync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

function check(bytes: Buffer, path: string, dim: number): void {
  if (bytes.length < HEADER || !bytes.subarray(0, 8).equals(MAGIC) || bytes.readUInt32LE(8) !== VERSION) {
    throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: not a pymk recent-tier log`, { file: path });
  }
  if (bytes.readUInt32LE(12) !== dim) throw new PymkError('PYMK_BUNDLE_INVALID', `${path}: log is ${bytes.readUInt32LE(12)}-d, index is ${dim}-d`, { file: path });
}

function parse(bytes: Buffer, dim: number): { records: WalRecord[]; end: number } {
  const records: WalRecord[] = [];
  let o = HEADER;
  while (o + 9 <= bytes.length) {
    const op = bytes.readUInt8(o + 4);
    const len = op === OP_UPSERT ? 9 + dim * 4 : op === OP_REMOVE ? 9 : -1;
    if (len < 0 || o + len > bytes.length || crc32(bytes.subarray(o + 4, o + len)) !== bytes.readUInt32LE(o)) break;
    const id = bytes.readUInt32LE(o + 5);
    if (op === OP_UPSERT) {
      const vector = new Float32Array(dim);
      Buffer.from(vector.buffer).set(bytes.subarray(o + 9, o + len));
      records.push({ op, id, vector });
    } else records.push({ op: OP_REMOVE, id });
    o += len;
  }
  return { records, end: o };
}
