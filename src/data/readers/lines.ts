/**
 * Streaming line scanner over a file (plain or `.gz`): large buffered reads, no per-line allocation, and the
 * sha256 of the file's bytes computed on the way. Lines are handed to a visitor as byte ranges of a reused
 * buffer, so a reader decodes only what it needs (an id, a JSON object) and never holds the whole file.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { PymkError } from '../../core/errors.js';

/** Receives one line as bytes `buf[start, end)` (no line terminator, `\r` stripped); valid only during the call. */
export type LineVisitor = (buf: Buffer, start: number, end: number, lineNo: number) => void;

/** Where a scan stands; readers use it to bound how many rows can still come. */
export interface ScanProgress {
  /** Plain files: bytes up to the end of the line being visited. .gz: compressed bytes read so far. */
  bytesRead: number;
  /** File size in bytes. */
  size: number;
  compressed: boolean;
}

export interface ScanResult {
  lines: number;
  bytes: number;
  sha256: string;
}

/** Bytes per read; the buffer doubles when one line is longer. */
const CHUNK = 8 << 20;
const NL = 10;
const CR = 13;

interface ByteSource {
  read(into: Buffer, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Lines that do not come from a file: a stream of bytes (e.g. a database's COPY output). `name` stands for the
 * path in reports and errors; `firstLine` is the number given to the first line minus one (default 0), so a
 * header line can be line 0 and the first data row line 1.
 */
export interface StreamInput {
  readonly name: string;
  readonly firstLine?: number;
  chunks(): AsyncIterable<Buffer>;
}

/** What a reader reads: a file path (plain or .gz) or a stream of lines. */
export type LineInput = string | StreamInput;

/** The name that reports and errors use for an input. */
export const inputName = (input: LineInput): string => (typeof input === 'string' ? input : input.name);

/**
 * Calls `visit` for every line of `input`, in order. Throws PYMK_BAD_INPUT naming the path when the file
 * cannot be opened. A final line without a newline is still visited; a UTF-8 byte-order mark is skipped.
 * A stream has no size known up front: its progress reads as compressed (bytes so far, size 0).
 */
export async function scanLines(
  input: LineInput,
  visit: LineVisitor,
  progress?: ScanProgress,
  opts: { chunkSize?: number } = {},
): Promise<ScanResult> {
  const path = typeof input === 'string' ? input : null;
  const size = path === null ? 0 : await fileSize(path);
  const compressed = path === null || path.endsWith('.gz');
  const prog: ScanProgress = progress ?? { bytesRead: 0, size, compressed };
  prog.bytesRead = 0;
  prog.size = size;
  prog.compressed = compressed;
  const hash = createHash('sha256');
  const src = typeof input !== 'string' ? streamSource(input, hash, prog) : compressed ? gzipSource(input, hash, prog) : await plainSource(input, hash);
  let buf: Buffer = Buffer.allocUnsafe(opts.chunkSize ?? CHUNK);
  let filled = 0;
  let lineNo = typeof input === 'string' ? 0 : (input.firstLine ?? 0);
  let bytes = 0;
  /** File offset of buf[0] (after a BOM). */
  let base = 0;
  try {
    for (;;) {
      if (filled === buf.length) buf = grow(buf);
      const n = await src.read(buf, filled, buf.length - filled);
      const eof = n === 0;
      if (bytes === 0 && n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf.copyWithin(0, 3, n);
        filled -= 3;
      }
      bytes += n;
      filled += n;
      const view = buf.subarray(0, filled);
      let pos = 0;
      for (;;) {
        const nl = view.indexOf(NL, pos);
        if (nl === -1) break;
        if (!compressed) prog.bytesRead = base + nl + 1;
        visit(buf, pos, nl > pos && buf[nl - 1] === CR ? nl - 1 : nl, ++lineNo);
        pos = nl + 1;
      }
      if (eof) {
        if (!compressed) prog.bytesRead = base + filled;
        if (pos < filled) visit(buf, pos, buf[filled - 1] === CR ? filled - 1 : filled, ++lineNo);
        break;
      }
      if (pos > 0) buf.copyWithin(0, pos, filled);
      filled -= pos;
      base += pos;
    }
  } finally {
    await src.close();
  }
  return { lines: lineNo, bytes, sha256: hash.digest('hex') };
}

/** Size of a file, or PYMK_BAD_INPUT naming it when it is missing or not a file. */
export async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new PymkError('PYMK_BAD_INPUT', `${path}: not a regular file`, { path });
    return s.size;
  } catch (e) {
    if (e instanceof PymkError) throw e;
    throw new PymkError('PYMK_BAD_INPUT', `${path}: cannot read file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
      path,
    });
  }
}

function grow(buf: Buffer): Buffer {
  const b = Buffer.allocUnsafe(buf.length * 2);
  buf.copy(b);
  return b;
}

async function plainSource(path: string, hash: Hash): Promise<ByteSource> {
  const fh = await open(path, 'r');
  return {
    async read(into, off, len) {
      const { bytesRead } = await fh.read(into, off, len, null);
      if (bytesRead > 0) hash.update(into.subarray(off, off + bytesRead));
      return bytesRead;
    },
    close: () => fh.close(),
  };
}

function gzipSource(path: string, hash: Hash, prog: ScanProgress): ByteSource {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  raw.on('data', (c: string | Buffer) => {
    hash.update(c);
    prog.bytesRead += c.length;
  });
  raw.on('error', (e) => gunzip.destroy(e));
  raw.pipe(gunzip);
  const it = gunzip[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const close = async (): Promise<void> => {
    raw.destroy();
    gunzip.destroy();
  };
  return chunkSource(it, close, (e) => new PymkError('PYMK_BAD_INPUT', `${path}: cannot decompress (${(e as Error).message})`, { path }));
}

/** A stream's chunks as a ByteSource; hashed as they come. Errors keep their own code when they have one. */
function streamSource(input: StreamInput, hash: Hash, prog: ScanProgress): ByteSource {
  const iterable = input.chunks();
  const it = iterable[Symbol.asyncIterator]();
  const counted: AsyncIterator<Buffer> = {
    async next() {
      const r = await it.next();
      if (!r.done) {
        hash.update(r.value);
        prog.bytesRead += r.value.length;
      }
      return r;
    },
  };
  const close = async (): Promise<void> => {
    await it.return?.();
  };
  return chunkSource(counted, close, (e) =>
    e instanceof PymkError ? e : new PymkError('PYMK_BAD_INPUT', `${input.name}: reading failed (${(e as Error).message})`, { path: input.name }),
  );
}

/** Reads from an iterator of chunks, keeping the unread rest of the last chunk. */
function chunkSource(it: AsyncIterator<Buffer>, close: () => Promise<void>, wrap: (e: unknown) => Error): ByteSource {
  let pending: Buffer | null = null;
  return {
    async read(into, off, len) {
      if (pending === null || pending.length === 0) {
        let r: IteratorResult<Buffer>;
        try {
          r = await it.next();
        } catch (e) {
          throw wrap(e);
        }
        if (r.done) return 0;
        pending = r.value;
      }
      const n = Math.min(len, pending.length);
      pending.copy(into, off, 0, n);
      pending = pending.subarray(n);
      return n;
    },
    close,
  };
}
