/**
 * A read-only view of an ONNX model's graph (nodes, initializers, inputs, outputs) and the one edit
 * the engine makes: exposing inner tensors (the Grad-CAM target activation, the head's
 * intermediates) as extra graph outputs, so one forward pass yields everything the explanation needs.
 */
import { InspectorError } from '../../../shared/errors';
import { concat, encodeBytesField, encodeString, encodeVarint, encodeVarintField, float32FromFixed, int64, readFields, readFloats, readInts, str, type Field } from './protobuf';

export const enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  FLOAT16 = 10,
  DOUBLE = 11,
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** Decoded values (float or integer) as numbers; big weight tensors decode on demand. */
  values(): Float64Array;
}

export type AttrValue = number | string | number[] | string[] | OnnxTensor;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** Dimension sizes; a symbolic or missing dimension is -1. */
  shape: number[] | undefined;
  dimNames: (string | undefined)[];
}

export interface OnnxGraph {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** Real inputs: graph inputs that are not also initializers (old exporters list weights as inputs). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: Map<string, ValueInfo>;
}

function parseTensor(buf: Uint8Array): OnnxTensor {
  const f = readFields(buf);
  const dims = readInts(f, 1);
  const dataType = Number(f.find((x) => x.no === 2)?.value ?? 0n);
  const nameField = f.find((x) => x.no === 8);
  const raw = f.find((x) => x.no === 9)?.bytes;
  if (f.some((x) => x.no === 13) && !raw) {
    return {
      name: nameField ? str(nameField) : '',
      dims,
      dataType,
      values: () => {
        throw new InspectorError('ONNX_EXTERNAL_DATA', 'Tensors stored in external data files are not supported for explanation heads.');
      },
    };
  }
  return {
    name: nameField ? str(nameField) : '',
    dims,
    dataType,
    values: () => decodeValues(f, dataType, raw, dims),
  };
}

function decodeValues(f: Field[], dataType: number, raw: Uint8Array | undefined, dims: number[]): Float64Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (raw) {
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      switch (dataType) {
        case DataType.FLOAT: out[i] = dv.getFloat32(i * 4, true); break;
        case DataType.DOUBLE: out[i] = dv.getFloat64(i * 8, true); break;
        case DataType.INT64: out[i] = Number(dv.getBigInt64(i * 8, true)); break;
        case DataType.INT32: out[i] = dv.getInt32(i * 4, true); break;
        case DataType.UINT8: out[i] = dv.getUint8(i); break;
        case DataType.INT8: out[i] = dv.getInt8(i); break;
        default:
          throw new InspectorError('ONNX_UNSUPPORTED_TENSOR', `Tensor data type ${dataType} is not supported here.`);
      }
    }
    return out;
  }
  if (dataType === DataType.FLOAT) return Float64Array.from(readFloats(f, 4));
  if (dataType === DataType.INT64) return Float64Array.from(readInts(f, 7));
  if (dataType === DataType.INT32 || dataType === DataType.UINT8 || dataType === DataType.INT8) return Float64Array.from(readInts(f, 5));
  if (dataType === DataType.DOUBLE) {
    const out: number[] = [];
    for (const x of f) {
      if (x.no !== 10 || !x.bytes) continue;
      const dv = new DataView(x.bytes.buffer, x.bytes.byteOffset, x.bytes.byteLength);
      for (let p = 0; p + 8 <= x.bytes.length; p += 8) out.push(dv.getFloat64(p, true));
    }
    return Float64Array.from(out);
  }
  throw new InspectorError('ONNX_UNSUPPORTED_TENSOR', `Tensor data type ${dataType} is not supported here.`);
}

function parseAttr(buf: Uint8Array): [string, AttrValue] {
  const f = readFields(buf);
  const name = str(f.find((x) => x.no === 1)!);
  const type = Number(f.find((x) => x.no === 20)?.value ?? 0n);
  switch (type) {
    case 1: return [name, float32FromFixed(f.find((x) => x.no === 2)?.value ?? 0n)];
    case 2: return [name, int64(f.find((x) => x.no === 3)?.value ?? 0n)];
    case 3: return [name, str(f.find((x) => x.no === 4)!)];
    case 4: return [name, parseTensor(f.find((x) => x.no === 5)!.bytes!)];
    case 6: return [name, readFloats(f, 7)];
    case 7: return [name, readInts(f, 8)];
    case 8: return [name, f.filter((x) => x.no === 9).map(str)];
    default: return [name, `<attribute type ${type}>`];
  }
}

function parseNode(buf: Uint8Array): OnnxNode {
  const f = readFields(buf);
  const attrs: Record<string, AttrValue> = {};
  for (const a of f.filter((x) => x.no === 5)) {
    const [k, v] = parseAttr(a.bytes!);
    attrs[k] = v;
  }
  return {
    inputs: f.filter((x) => x.no === 1).map(str),
    outputs: f.filter((x) => x.no === 2).map(str),
    name: str(f.find((x) => x.no === 3) ?? { no: 3, wire: 2, value: 0n, start: 0, end: 0 }),
    opType: str(f.find((x) => x.no === 4)!),
    domain: f.find((x) => x.no === 7) ? str(f.find((x) => x.no === 7)!) : '',
    attrs,
  };
}

function parseValueInfo(buf: Uint8Array): ValueInfo {
  const f = readFields(buf);
  const name = str(f.find((x) => x.no === 1)!);
  const type = f.find((x) => x.no === 2)?.bytes;
  const tensor = type ? readFields(type).find((x) => x.no === 1)?.bytes : undefined;
  if (!tensor) return { name, elemType: 0, shape: undefined, dimNames: [] };
  const tf = readFields(tensor);
  const elemType = Number(tf.find((x) => x.no === 1)?.value ?? 0n);
  const shapeBytes = tf.find((x) => x.no === 2)?.bytes;
  if (!shapeBytes) return { name, elemType, shape: undefined, dimNames: [] };
  const shape: number[] = [];
  const dimNames: (string | undefined)[] = [];
  for (const d of readFields(shapeBytes).filter((x) => x.no === 1)) {
    const df = readFields(d.bytes!);
    const value = df.find((x) => x.no === 1);
    const param = df.find((x) => x.no === 2);
    shape.push(value ? int64(value.value) : -1);
    dimNames.push(param ? str(param) : undefined);
  }
  return { name, elemType, shape, dimNames };
}

function graphField(model: Uint8Array): { fields: Field[]; graph: Field } {
  let fields: Field[];
  try {
    fields = readFields(model);
  } catch (err) {
    throw new InspectorError('ONNX_INVALID', `The file is not a valid ONNX model (${(err as Error).message}).`);
  }
  const graph = fields.find((x) => x.no === 7 && x.wire === 2);
  if (!graph?.bytes) throw new InspectorError('ONNX_INVALID', 'The file is not a valid ONNX model (no graph).');
  return { fields, graph };
}

export function parseModel(model: Uint8Array): OnnxGraph {
  const { fields, graph } = graphField(model);
  let g: Field[];
  try {
    g = readFields(graph.bytes!);
  } catch (err) {
    throw new InspectorError('ONNX_INVALID', `The ONNX graph is unreadable (${(err as Error).message}).`);
  }
  const initializers = new Map<string, OnnxTensor>();
  for (const t of g.filter((x) => x.no === 5)) {
    const tensor = parseTensor(t.bytes!);
    initializers.set(tensor.name, tensor);
  }
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of g.filter((x) => x.no === 13)) {
    const vi = parseValueInfo(v.bytes!);
    valueInfo.set(vi.name, vi);
  }
  return {
    irVersion: Number(fields.find((x) => x.no === 1)?.value ?? 0n),
    opsets: fields
      .filter((x) => x.no === 8)
      .map((x) => {
        const of = readFields(x.bytes!);
        return { domain: of.find((y) => y.no === 1) ? str(of.find((y) => y.no === 1)!) : '', version: int64(of.find((y) => y.no === 2)?.value ?? 0n) };
      }),
    nodes: g.filter((x) => x.no === 1).map((x) => parseNode(x.bytes!)),
    initializers,
    inputs: g.filter((x) => x.no === 11).map((x) => parseValueInfo(x.bytes!)).filter((v) => !initializers.has(v.name)),
    outputs: g.filter((x) => x.no === 12).map((x) => parseValueInfo(x.bytes!)),
    valueInfo,
  };
}

/**
 * Returns a copy of the model whose graph also outputs `names` (float tensors). Every other byte of
 * the model is kept as it was, so weights and metadata are untouched.
 */
export function withExtraOutputs(model: Uint8Array, names: readonly string[], elemType = DataType.FLOAT): Uint8Array {
  if (names.length === 0) return model;
  const { graph } = graphField(model);
  const extra = concat(
    names.map((name) => {
      const tensorType = encodeVarintField(1, elemType);
      const type = encodeBytesField(1, tensorType);
      return encodeBytesField(12, concat([encodeString(1, name), encodeBytesField(2, type)]));
    }),
  );
  // Repeated fields may come in any order, so the new outputs go at the end of the graph message:
  // only the graph's length prefix changes. One copy of the (possibly 100 MB) model, no re-encoding.
  const head = Uint8Array.from([...encodeVarint((7 << 3) | 2), ...encodeVarint(graph.bytes!.length + extra.length)]);
  const before = model.subarray(0, graph.start);
  const after = model.subarray(graph.end);
  const out = new Uint8Array(before.length + head.length + graph.bytes!.length + extra.length + after.length);
  let o = 0;
  for (const part of [before, head, graph.bytes!, extra, after]) {
    out.set(part, o);
    o += part.length;
  }
  return out;
}

/** Producer and consumer indexes over a graph, built once per model. */
export class GraphIndex {
  readonly producer = new Map<string, OnnxNode>();
  readonly consumers = new Map<string, OnnxNode[]>();

  constructor(readonly graph: OnnxGraph) {
    for (const n of graph.nodes) {
      for (const o of n.outputs) this.producer.set(o, n);
      for (const i of n.inputs) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(n);
        this.consumers.set(i, list);
      }
    }
  }

  /** A constant tensor: an initializer or the output of a Constant node. */
  constant(name: string): OnnxTensor | undefined {
    const init = this.graph.initializers.get(name);
    if (init) return init;
    const p = this.producer.get(name);
    if (p?.opType === 'Constant') {
      const v = p.attrs['value'];
      if (v && typeof v === 'object' && !Array.isArray(v)) return v;
      const vf = p.attrs['value_float'];
      if (typeof vf === 'number') return { name, dims: [], dataType: DataType.FLOAT, values: () => Float64Array.of(vf) };
      const vfs = p.attrs['value_floats'];
      if (Array.isArray(vfs)) return { name, dims: [vfs.length], dataType: DataType.FLOAT, values: () => Float64Array.from(vfs as number[]) };
      const vi = p.attrs['value_int'];
      if (typeof vi === 'number') return { name, dims: [], dataType: DataType.INT64, values: () => Float64Array.of(vi) };
      const vis = p.attrs['value_ints'];
      if (Array.isArray(vis)) return { name, dims: [vis.length], dataType: DataType.INT64, values: () => Float64Array.from(vis as number[]) };
    }
    return undefined;
  }
}
