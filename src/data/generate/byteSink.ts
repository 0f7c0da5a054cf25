/**
 * A text file written as bytes straight into 1 MiB buffers (no per-line strings, no UTF-8 encoding pass):
 * the generator's text files are hundreds of millions of short lines. Full buffers go to a write stream;
 * at line ends the caller checks `full` and awaits `flush()`, which respects the stream's backpressure.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

const CHUNK = 1 << 20;
/** Room kept free at the end of a buffer so one line never overflows it. */
const MAX_LINE = 64 * 1024;

export class ByteSink {
  private readonly stream: WriteStream;
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  private error: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path, { highWaterMark: 4 * CHUNK });
    this.stream.on('error', (err) => (this.error = err));
  }

  /** Appends bytes that are already encoded (at most MAX_LINE per line). */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n > 16) {
      this.buf.set(b, this.pos);
    } else {
      const buf = this.buf;
      const p = this.pos;
      for (let i = 0; i < n; i++) buf[p + i] = b[i];
    }
    this.pos += n;
  }

  /** Appends one ASCII character code. */
  char(c: number): void {
    this.buf[this.pos++] = c;
  }

  /** Appends a non-negative integer in decimal. */
  uint(x: number): void {
    const buf = this.buf;
    if (x < 10) {
      buf[this.pos++] = 48 + x;
      return;
    }
    let digits = 1;
    for (let t = x; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    let v = x;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--p] = 48 + (v - q * 10);
      v = q;
    }
    buf[--p] = 48 + v;
  }

  /** True when the buffer is nearly full: the caller should `await flush()` before the next line. */
  get full(): boolean {
    return this.pos > CHUNK - MAX_LINE;
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.error) throw this.error;
  }

  async flush(): Promise<void> {
    if (this.error) throw this.error;
    if (this.pos === 0) return;
    const ok = this.stream.write(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(CHUNK); // the stream keeps the old one until written
    this.pos = 0;
    if (!ok) await once(this.stream, 'drain');
  }
}

/** UTF-8 bytes of a string, for pre-encoding the fixed parts of lines. */
export function utf8(s: string): Uint8Array {
  return Buffer.from(s, 'utf8');
}
