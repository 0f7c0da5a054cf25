/**
 * A minimal protocol-buffers writer: just what encoding an ONNX ModelProto needs (varints, length-delimited
 * bytes and nested messages, packed scalars). Fields are written in the order they are added; readers accept
 * any order. No reader: ONNX Runtime is the consumer and the validator of what is written here.
 */

const WIRE_VARINT = 0;
const WIRE_I32 = 5;
const WIRE_LEN = 2;

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  /** Bytes written so far (a copy-free view, valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /** An integer field (int32/int64/enum/bool); negative values use the 10-byte two's complement form. */
  int(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.varint(BigInt(value));
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WIRE_I32);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  string(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value));
  }

  /** A length-delimited field holding raw bytes. */
  raw(field: number, value: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.varint(BigInt(value.length));
    this.reserve(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  /** A nested message, built by `fill` on a fresh writer. */
  message(field: number, fill: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    fill(w);
    return this.raw(field, w.bytes());
  }

  /** A packed repeated varint field (int64 lists such as dims and ints). */
  packedInts(field: number, values: ArrayLike<number>): this {
    const w = new ProtoWriter();
    for (let i = 0; i < values.length; i++) w.varint(BigInt(values[i]));
    return this.raw(field, w.bytes());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const f = Float32Array.from(values);
    return this.raw(field, new Uint8Array(f.buffer, f.byteOffset, f.byteLength));
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  private varint(v: bigint): void {
    let x = v < 0n ? BigInt.asUintN(64, v) : v;
    this.reserve(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
