// Public surface of the graph layer: build ONNX models in TypeScript without touching protobuf.
export { GraphBuilder } from './builder';
export type { ConvOptions, ConvTransposeOptions, GemmOptions, IntsOrName, PoolOptions, ResizeMode, ResizeOptions } from './builder';
export type { GraphBuilderOptions, NodeOptions, ValueSpec } from './core';
export { attr } from './attrs';
export type { Attr, AttrValue, Attrs, TensorValue } from './attrs';
export { ElemType, elemSize, elemTypeOf, elemTypeName, bytesOf, numElements } from './dtypes';
export type { Dim, TensorData } from './dtypes';
export { f32ToF16Bits, f16BitsToF32 } from './float16';
export { decodeModel, encodeModelProto } from './serialize';
export type { WriteModelOptions } from './serialize';
