/**
 * ONNX models as plain data, and their encoding into ModelProto bytes (field numbers from onnx.proto).
 * The graphs themselves are built in graphs.ts; this file knows the format, nothing about models.
 */
import { ProtoWriter } from './protobuf.js';

/** ONNX TensorProto.DataType codes of the element types used here. */
export const ELEM = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type ElemType = keyof typeof ELEM;

export interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

/** A node attribute: the kind is explicit because ONNX distinguishes ints from floats. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: ArrayLike<number> }
  | { kind: 'floats'; value: ArrayLike<number> }
  | { kind: 'strings'; value: string[] };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  ints: (value: ArrayLike<number>): Attr => ({ kind: 'ints', value }),
  floats: (value: ArrayLike<number>): Attr => ({ kind: 'floats', value }),
  strings: (value: string[]): Attr => ({ kind: 'strings', value }),
};

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  name?: string;
  attrs?: Record<string, Attr>;
}

/** A graph input or output: a tensor whose dims are numbers or symbolic names ('N' for the batch). */
export interface ValueInfo {
  name: string;
  type: ElemType;
  dims: (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Operator sets: '' is the default ONNX domain. */
  opsets: Record<string, number>;
  /** ModelProto.metadata_props. */
  metadata?: Record<string, string>;
  docString?: string;
}

const IR_VERSION = 8;
const PRODUCER = 'pymk';

/** Encodes a graph as an ONNX ModelProto. */
export function encodeModel(g: OnnxGraph): Uint8Array {
  const m = new ProtoWriter();
  m.int(1, IR_VERSION);
  m.string(2, PRODUCER);
  m.string(3, '1');
  if (g.docString) m.string(6, g.docString);
  m.message(7, (w) => writeGraph(w, g));
  for (const [domain, version] of Object.entries(g.opsets)) {
    m.message(8, (w) => {
      if (domain) w.string(1, domain);
      w.int(2, version);
    });
  }
  for (const [key, value] of Object.entries(g.metadata ?? {})) {
    m.message(14, (w) => w.string(1, key).string(2, value));
  }
  return m.bytes().slice();
}

function writeGraph(w: ProtoWriter, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (x) => writeNode(x, n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (x) => writeTensor(x, t));
  for (const v of g.inputs) w.message(11, (x) => writeValueInfo(x, v));
  for (const v of g.outputs) w.message(12, (x) => writeValueInfo(x, v));
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, a] of Object.entries(n.attrs ?? {})) w.message(5, (x) => writeAttr(x, name, a));
  if (n.domain) w.string(7, n.domain);
}

// AttributeProto.AttributeType codes.
const ATTR_TYPE = { float: 1, int: 2, string: 3, floats: 6, ints: 7, strings: 8 } as const;

function writeAttr(w: ProtoWriter, name: string, a: Attr): void {
  w.string(1, name);
  w.int(20, ATTR_TYPE[a.kind]);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'floats':
      w.packedFloats(7, a.value);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
  }
}

function writeTensor(w: ProtoWriter, t: Initializer): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new RangeError(`initializer '${t.name}': dims [${t.dims}] hold ${count} values, data has ${t.data.length}`);
  w.packedInts(1, t.dims);
  w.int(2, ELEM[t.type]);
  w.string(8, t.name);
  w.raw(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, ELEM[v.type]);
      tensor.message(2, (shape) => {
        for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
      });
    }),
  );
}
