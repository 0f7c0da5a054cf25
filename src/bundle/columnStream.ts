/**
 * Writes one typed-array file (the format of binary.ts) whose columns arrive in slices — one range of users
 * at a time, say — without holding any column whole. Each column is appended to its own spill file next to
 * the target, keeping a running CRC-32; `chunks()` then yields the header and the spilled payloads in file
 * order, for writeChunks or ctx.writeArrayStream. The file is byte-identical to writeArrays of the
 * concatenated columns.
 *
 * The price is writing the payload twice (spill, then final file) and reading it once: sequential disk
 * traffic, cheap next to computing columns too big for memory.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { PymkError } from '../core/errors.js';
import { dtypeOf, encodeHeader, type ArrayOf, type ColumnSpec } from './binary.js';

/** Some columns of a spec (a slice to append). */
export type ColumnSlice<S extends ColumnSpec> = { [K in keyof S]?: ArrayOf<S[K]> };

interface Spill {
  name: string;
  path: string;
  fh: FileHandle;
  length: number;
  bytes: number;
  crc: number;
}

const READ_BYTES = 8 << 20;

export class ColumnStreamWriter<S extends ColumnSpec> {
  private closed = false;

  private constructor(
    private readonly spec: S,
    private readonly spills: Spill[],
  ) {}

  /** Creates the spill files `<prefix>.<column>.spill` (removed again by close() or a drained chunks()). */
  static async open<S extends ColumnSpec>(prefix: string, spec: S): Promise<ColumnStreamWriter<S>> {
    const spills: Spill[] = [];
    try {
      for (const name of Object.keys(spec)) {
        const path = `${prefix}.${name}.spill`;
        spills.push({ name, path, fh: await open(path, 'w+'), length: 0, bytes: 0, crc: 0 });
      }
    } catch (e) {
      await closeSpills(spills);
      throw e;
    }
    return new ColumnStreamWriter(spec, spills);
  }

  /** Elements appended so far, per column. */
  get lengths(): Record<keyof S, number> {
    return Object.fromEntries(this.spills.map((s) => [s.name, s.length])) as Record<keyof S, number>;
  }

  /** Appends the given columns' values (columns may advance unevenly; each must match its dtype). */
  async append(slice: ColumnSlice<S>): Promise<void> {
    if (this.closed) throw new PymkError('PYMK_INTERNAL', 'append after the column stream was closed');
    for (const s of this.spills) {
      const a = slice[s.name];
      if (a === undefined) continue;
      const want = this.spec[s.name];
      if (dtypeOf(a) !== want) throw new PymkError('PYMK_BAD_INPUT', `column '${s.name}' is ${dtypeOf(a)}, expected ${want}`);
      const b = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (let done = 0; done < b.length; ) {
        const { bytesWritten } = await s.fh.write(b, done, Math.min(b.length - done, 1 << 30), s.bytes + done);
        done += bytesWritten;
      }
      s.crc = crc32(b, s.crc);
      s.bytes += b.length;
      s.length += a.length;
    }
  }

  /**
   * The encoded file: header, then each column read back from its spill (fresh buffers of at most 8 MiB),
   * zero-padded to 8 bytes. Closes the writer once drained or abandoned.
   */
  async *chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield encodeHeader(this.spills.map((s) => ({ name: s.name, dtype: this.spec[s.name], length: s.length, crc32: s.crc })));
      for (const s of this.spills) {
        for (let pos = 0; pos < s.bytes; ) {
          const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, s.bytes - pos));
          let got = 0;
          while (got < buf.length) {
            const { bytesRead } = await s.fh.read(buf, got, buf.length - got, pos + got);
            if (bytesRead === 0) throw new PymkError('PYMK_INTERNAL', `spill file ${s.path} shrank while reading`);
            got += bytesRead;
          }
          pos += got;
          yield buf;
        }
        const padding = ((s.bytes + 7) & ~7) - s.bytes;
        if (padding) yield Buffer.alloc(padding);
      }
    } finally {
      await this.close();
    }
  }

  /** Removes the spill files; safe to call more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeSpills(this.spills);
  }
}

async function closeSpills(spills: Spill[]): Promise<void> {
  for (const s of spills) {
    await s.fh.close().catch(() => {}); // a scratch file being deleted: nothing read from it depends on the close
    await rm(s.path, { force: true });
  }
}

