/**
 * Just enough of the ONNX protobuf format (onnx/onnx.proto, IR version 7) to write a small inference
 * graph from a test, without a protobuf dependency. Field numbers are onnx.proto's; a mistake here is
 * caught at once, because onnxruntime refuses to load a malformed model.
 */

type Part = Uint8Array;

/** Protobuf wire types. */
const Wire = { Varint: 0, Bytes: 2 } as const;

/** TensorProto.DataType */
export const FLOAT = 1;
export const INT64 = 7;

function varint(value: number | bigint): number[] {
  // int64 fields: a negative value is its 64-bit two's complement (ten bytes).
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

function concat(parts: readonly Part[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function int(field: number, value: number | bigint): Part {
  return Uint8Array.from([...varint((field << 3) | Wire.Varint), ...varint(value)]);
}

function bytes(field: number, value: Uint8Array): Part {
  return concat([Uint8Array.from([...varint((field << 3) | Wire.Bytes), ...varint(value.length)]), value]);
}

function str(field: number, value: string): Part {
  return bytes(field, new TextEncoder().encode(value));
}

/** TensorProto { dims = 1; data_type = 2; name = 8; raw_data = 9 } (raw data is little-endian). */
export function tensor(name: string, dataType: number, dims: readonly number[], data: Float32Array | BigInt64Array): Part {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return concat([...dims.map((d) => int(1, d)), int(2, dataType), str(8, name), bytes(9, raw)]);
}

/** ValueInfoProto { name = 1; type = 2 } with TypeProto.tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } }. */
export function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Part {
  const shape = concat(dims.map((d) => bytes(1, typeof d === 'number' ? int(1, d) : str(2, d))));
  const tensorType = concat([int(1, elemType), bytes(2, shape)]);
  return concat([str(1, name), bytes(2, bytes(1, tensorType))]);
}

/** AttributeProto { name = 1; i = 3; type = 20 (INT = 2) } */
export function intAttribute(name: string, value: number): Part {
  return concat([str(1, name), int(3, value), int(20, 2)]);
}

/** NodeProto { input = 1; output = 2; name = 3; op_type = 4; attribute = 5 } */
export function node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: readonly Part[] = []): Part {
  return concat([
    ...inputs.map((i) => str(1, i)),
    ...outputs.map((o) => str(2, o)),
    str(3, `${opType}_${outputs[0]}`),
    str(4, opType),
    ...attributes.map((a) => bytes(5, a)),
  ]);
}

export interface GraphSpec {
  readonly name: string;
  readonly nodes: readonly Part[];
  readonly initializers: readonly Part[];
  readonly inputs: readonly Part[];
  readonly outputs: readonly Part[];
}

/** ModelProto { ir_version = 1; producer_name = 2; graph = 7 { node = 1; name = 2; initializer = 5; input = 11; output = 12 }; opset_import = 8 { domain = 1; version = 2 } } */
export function model(graph: GraphSpec, opset = 13): Uint8Array {
  const g = concat([
    ...graph.nodes.map((n) => bytes(1, n)),
    str(2, graph.name),
    ...graph.initializers.map((t) => bytes(5, t)),
    ...graph.inputs.map((i) => bytes(11, i)),
    ...graph.outputs.map((o) => bytes(12, o)),
  ]);
  return concat([int(1, 7), str(2, 'cairn-tests'), bytes(7, g), bytes(8, concat([str(1, ''), int(2, opset)]))]);
}
