/**
 * A small self-describing file format for named typed-array columns (one file may hold several).
 *
 * Layout (little-endian; every column starts on an 8-byte boundary so readers get views, not copies):
 *
 *   0  magic      8 bytes  "PYMKARR\0"
 *   8  version    u32      FORMAT_VERSION
 *  12  tocBytes   u32      length of the table of contents (UTF-8 JSON), padded to a multiple of 8
 *  16  fileBytes  u64      total file length: truncation or trailing garbage is detected from the header
 *  24  tocCrc     u32      CRC-32 of the table of contents
 *  28  reserved   u32      0
 *  32  toc        JSON     { columns: [{ name, dtype, length, offset, crc32 }] }, space-padded
 *  …   payloads            raw element bytes, zero-padded to 8
 *
 * Every problem (bad magic, truncation, CRC mismatch, unknown dtype) is a PymkError 'PYMK_BUNDLE_INVALID'
 * whose message names the file.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { PymkError } from '../core/errors.js';

export const FORMAT_VERSION = 1;
const MAGIC = Buffer.from('PYMKARR\0', 'latin1');
const HEADER_BYTES = 32;

/** The element types a column may have, with their array constructors. */
export const DTYPES = {
  int8: Int8Array,
  uint8: Uint8Array,
  uint8c: Uint8ClampedArray,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
  bigint64: BigInt64Array,
  biguint64: BigUint64Array,
} as const;
export type DType = keyof typeof DTYPES;
/** Array types over any buffer (views into a file's bytes included), by dtype. */
interface ArrayTypes {
  int8: Int8Array<ArrayBufferLike>;
  uint8: Uint8Array<ArrayBufferLike>;
  uint8c: Uint8ClampedArray<ArrayBufferLike>;
  int16: Int16Array<ArrayBufferLike>;
  uint16: Uint16Array<ArrayBufferLike>;
  int32: Int32Array<ArrayBufferLike>;
  uint32: Uint32Array<ArrayBufferLike>;
  float32: Float32Array<ArrayBufferLike>;
  float64: Float64Array<ArrayBufferLike>;
  bigint64: BigInt64Array<ArrayBufferLike>;
  biguint64: BigUint64Array<ArrayBufferLike>;
}
export type TypedArray = ArrayTypes[DType];
/** The array type of a dtype, e.g. ArrayOf<'int32'> = Int32Array. */
export type ArrayOf<D extends DType> = ArrayTypes[D];
/** Named columns as written or read. */
export type Columns = Record<string, TypedArray>;
/** Expected column types, used to check and type what a reader returns. */
export type ColumnSpec = Record<string, DType>;
export type ColumnsOf<S extends ColumnSpec> = { [K in keyof S]: ArrayOf<S[K]> };

interface TocEntry {
  name: string;
  dtype: DType;
  length: number;
  offset: number;
  crc32: number;
}

/** The dtype name of a typed array (throws for anything else). */
export function dtypeOf(a: unknown): DType {
  for (const [name, C] of Object.entries(DTYPES)) {
    if (a instanceof C) return name as DType;
  }
  throw new PymkError('PYMK_BAD_INPUT', `not a supported typed array: ${Object.prototype.toString.call(a)}`);
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new PymkError('PYMK_INTERNAL', 'typed-array files need a little-endian host');
}

const pad8 = (n: number): number => (n + 7) & ~7;
const bytesOf = (a: TypedArray): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** What the header records of one column: its name, dtype, element count and the CRC-32 of its bytes. */
export interface ColumnInfo {
  name: string;
  dtype: DType;
  length: number;
  crc32: number;
}

/**
 * Encodes the header and table of contents of a file holding `columns` in that order; the payloads follow
 * it, each zero-padded to 8 bytes. Shared by encodeArrays and ColumnStreamWriter.
 */
export function encodeHeader(columns: readonly ColumnInfo[]): Buffer {
  const entries: TocEntry[] = [];
  // The TOC length decides where payloads start, and the TOC holds the offsets: grow it until it fits.
  let tocBytes = 0;
  let toc = '';
  let end = HEADER_BYTES;
  for (;;) {
    entries.length = 0;
    end = HEADER_BYTES + tocBytes;
    for (const c of columns) {
      entries.push({ name: c.name, dtype: c.dtype, length: c.length, offset: end, crc32: c.crc32 });
      end = pad8(end + c.length * DTYPES[c.dtype].BYTES_PER_ELEMENT);
    }
    toc = JSON.stringify({ columns: entries });
    const need = pad8(Buffer.byteLength(toc));
    if (need <= tocBytes) break;
    tocBytes = need;
  }
  const head = Buffer.alloc(HEADER_BYTES + tocBytes, 0x20);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(FORMAT_VERSION, 8);
  head.writeUInt32LE(tocBytes, 12);
  head.writeBigUInt64LE(BigInt(end), 16);
  head.write(toc, HEADER_BYTES, 'utf8');
  head.writeUInt32LE(crc32(head.subarray(HEADER_BYTES)), 24);
  head.writeUInt32LE(0, 28);
  return head;
}

/** Encodes columns into the chunks of one file (header first); column payloads are views, not copies. */
export function encodeArrays(cols: Columns): Buffer[] {
  assertLittleEndian();
  const names = Object.keys(cols);
  const head = encodeHeader(names.map((name) => ({ name, dtype: dtypeOf(cols[name]), length: cols[name].length, crc32: crc32(bytesOf(cols[name])) })));
  const chunks: Buffer[] = [head];
  for (const name of names) {
    const b = bytesOf(cols[name]);
    chunks.push(b);
    const padding = pad8(b.length) - b.length;
    if (padding) chunks.push(Buffer.alloc(padding));
  }
  return chunks;
}

/** What a write produced: the file's size and SHA-256 (hex), computed while writing. */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

/**
 * Writes chunks to `path` via a temporary file and a rename, fsynced, hashing as it goes.
 * Used for every artifact so a crash never leaves a half-written file under the final name.
 */
export async function writeChunks(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<WrittenFile> {
  const tmp = `${path}.tmp-${process.pid}`;
  const hash = createHash('sha256');
  let bytes = 0;
  const fh = await open(tmp, 'w');
  try {
    for await (const chunk of chunks) {
      hash.update(chunk);
      // A single write(2) moves at most ~2 GiB; loop so columns of any size are written whole.
      for (let done = 0; done < chunk.byteLength; ) {
        const len = Math.min(chunk.byteLength - done, 1 << 30);
        const { bytesWritten } = await fh.write(chunk, done, len);
        done += bytesWritten;
      }
      bytes += chunk.byteLength;
    }
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {}); // the write's own error propagates; the temp file is removed next
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  await rename(tmp, path);
  return { bytes, sha256: hash.digest('hex') };
}

/** Writes named typed arrays to one file. Returns its size and SHA-256. */
export function writeArrays(path: string, cols: Columns): Promise<WrittenFile> {
  return writeChunks(path, encodeArrays(cols));
}

function invalid(file: string, what: string): PymkError {
  return new PymkError('PYMK_BUNDLE_INVALID', `${file}: ${what}`, { file });
}

export interface DecodeOptions {
  /** Check each column's CRC-32 (default true; skip when the whole file was already checksummed). */
  verify?: boolean;
  /** The file name used in error messages. */
  file?: string;
}

/**
 * Checks the header and table of contents at the start of `buf` (at least the header; the TOC too once its
 * length is known) against a file of `fileBytes` bytes, and returns the TOC's entries.
 */
function parseHead(buf: Buffer, fileBytes: number, file: string): { tocBytes: number; entries: TocEntry[] } {
  if (buf.length < HEADER_BYTES) throw invalid(file, `truncated: ${buf.length} bytes, header needs ${HEADER_BYTES}`);
  if (!buf.subarray(0, 8).equals(MAGIC)) throw invalid(file, 'not a pymk array file (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw invalid(file, `unsupported array format version ${version} (expected ${FORMAT_VERSION})`);
  const said = Number(buf.readBigUInt64LE(16));
  if (said !== fileBytes) throw invalid(file, `truncated or padded: header says ${said} bytes, file has ${fileBytes}`);
  const tocBytes = buf.readUInt32LE(12);
  if (HEADER_BYTES + tocBytes > fileBytes || HEADER_BYTES + tocBytes > buf.length) throw invalid(file, 'table of contents runs past the end of the file');
  const tocBuf = buf.subarray(HEADER_BYTES, HEADER_BYTES + tocBytes);
  if (crc32(tocBuf) !== buf.readUInt32LE(24)) throw invalid(file, 'table of contents is corrupt (CRC mismatch)');
  let entries: TocEntry[];
  try {
    entries = (JSON.parse(tocBuf.toString('utf8')) as { columns: TocEntry[] }).columns;
  } catch {
    throw invalid(file, 'table of contents is not valid JSON');
  }
  for (const e of entries) {
    const C = Object.hasOwn(DTYPES, e.dtype) ? DTYPES[e.dtype] : undefined;
    if (!C) throw invalid(file, `column '${e.name}' has unknown dtype '${e.dtype}'`);
    if (e.offset % 8 !== 0 || e.offset < HEADER_BYTES + tocBytes || e.offset + e.length * C.BYTES_PER_ELEMENT > fileBytes) {
      throw invalid(file, `column '${e.name}' lies outside the file`);
    }
  }
  return { tocBytes, entries };
}

/** Decodes a whole file's bytes into column views over `bytes` (copied once only if misaligned). */
export function decodeArrays(bytes: Uint8Array, opts: DecodeOptions = {}): Columns {
  assertLittleEndian();
  const file = opts.file ?? '<buffer>';
  if (bytes.byteLength < HEADER_BYTES) throw invalid(file, `truncated: ${bytes.byteLength} bytes, header needs ${HEADER_BYTES}`);
  if (bytes.byteOffset % 8 !== 0) bytes = new Uint8Array(bytes); // copy to an aligned buffer
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { entries } = parseHead(buf, buf.length, file);
  const out: Columns = {};
  for (const e of entries) {
    const C = DTYPES[e.dtype];
    const payload = buf.subarray(e.offset, e.offset + e.length * C.BYTES_PER_ELEMENT);
    if (opts.verify !== false && crc32(payload) !== e.crc32) throw invalid(file, `column '${e.name}' is corrupt (CRC mismatch)`);
    out[e.name] = new C(buf.buffer as ArrayBuffer, buf.byteOffset + e.offset, e.length);
  }
  return out;
}

/**
 * Reads only the columns of `expect` from a typed-array file: the header and table of contents, then each
 * column's bytes (one fresh aligned buffer per column), each checked against its CRC-32 unless `verify` is
 * false — the same checks decodeArrays makes, for those columns, without reading the others.
 */
export async function readColumns<S extends ColumnSpec>(path: string, expect: S, opts: DecodeOptions = {}): Promise<ColumnsOf<S>> {
  assertLittleEndian();
  const file = opts.file ?? path;
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const readAt = async (pos: number, len: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafeSlow(len);
      for (let done = 0; done < len; ) {
        const { bytesRead } = await fh.read(buf, done, Math.min(len - done, 1 << 30), pos + done);
        if (bytesRead === 0) throw invalid(file, `truncated: ended at ${pos + done} of ${size} bytes`);
        done += bytesRead;
      }
      return buf;
    };
    const head = await readAt(0, Math.min(size, HEADER_BYTES));
    if (head.length < HEADER_BYTES) throw invalid(file, `truncated: ${head.length} bytes, header needs ${HEADER_BYTES}`);
    const tocBytes = head.readUInt32LE(12);
    const { entries } = parseHead(await readAt(0, Math.min(size, HEADER_BYTES + tocBytes)), size, file);
    const out: Columns = {};
    for (const name of Object.keys(expect)) {
      const e = entries.find((x) => x.name === name);
      if (!e) throw invalid(file, `missing column '${name}' (has: ${entries.map((x) => x.name).join(', ') || 'none'})`);
      const C = DTYPES[e.dtype];
      const payload = await readAt(e.offset, e.length * C.BYTES_PER_ELEMENT);
      if (opts.verify !== false && crc32(payload) !== e.crc32) throw invalid(file, `column '${e.name}' is corrupt (CRC mismatch)`);
      out[name] = new C(payload.buffer as ArrayBuffer, payload.byteOffset, e.length);
    }
    return checkColumns(out, expect, file);
  } finally {
    await fh.close();
  }
}

/** Checks that `cols` has every column of `expect` with its dtype, naming the file and column otherwise. */
export function checkColumns<S extends ColumnSpec>(cols: Columns, expect: S, file: string): ColumnsOf<S> {
  for (const [name, dtype] of Object.entries(expect)) {
    const a = cols[name];
    if (!a) throw invalid(file, `missing column '${name}' (has: ${Object.keys(cols).join(', ') || 'none'})`);
    if (dtypeOf(a) !== dtype) throw invalid(file, `column '${name}' is ${dtypeOf(a)}, expected ${dtype}`);
  }
  return cols as ColumnsOf<S>;
}

/**
 * Reads a whole file into one fresh (unpooled, so 8-byte aligned) buffer with few large reads: measurably
 * faster than fs.promises.readFile for big artifacts, and off the event loop.
 */
export async function readWholeFile(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, Math.min(size - done, 1 << 30), done);
      if (bytesRead === 0) return buf.subarray(0, done); // shrank while reading
      done += bytesRead;
    }
    return buf;
  } finally {
    await fh.close();
  }
}

/**
 * Reads a file written by writeArrays: one read, then aligned views. Pass `expect` to check the columns'
 * names and dtypes and get precise types (same shape as Bundle.readArrays and ctx.readArrays).
 */
export async function readArrays(path: string, expect?: undefined, opts?: DecodeOptions): Promise<Columns>;
export async function readArrays<S extends ColumnSpec>(path: string, expect: S, opts?: DecodeOptions): Promise<ColumnsOf<S>>;
export async function readArrays(path: string, expect?: ColumnSpec, opts: DecodeOptions = {}): Promise<Columns> {
  const file = opts.file ?? path;
  const cols = decodeArrays(await readWholeFile(path), { ...opts, file });
  return expect ? checkColumns(cols, expect, file) : cols;
}
