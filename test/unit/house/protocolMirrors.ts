// daemon/protocol.ts has no imports, so the types it shares with the daemon's internals are written twice: once
// there (the contract clients compile against) and once where the work is done. These compile-time checks fail
// `npm run typecheck` the moment the two copies drift: change both, or neither.
import type { Container } from '../../../daemon/infotext/imageMeta';
import type { FileInfo } from '../../../daemon/infotext/readInfo';
import type { samplerCatalog } from '../../../daemon/sampling/catalog';
import type { FewStepPreset as InternalPreset } from '../../../daemon/sampling/presets';
import type {
  MergeMethod, ModelFileHashes, ModelsConvertOnnxParams, ModelsConvertOnnxResult, ModelsConvertParams, ModelsConvertResult,
  ModelsMergeParams, ModelsMergeResult, PngInfo, SamplerInfo, FewStepPreset,
} from '../../../daemon/protocol';
import type { ExternalWriteResult } from '../../../models/arch/externalModel';
import type { Prediction } from '../../../models/arch/archConfig';
import type { BuildOptions } from '../../../models/checkpointToOnnx';
import type { ConvertOptions, ConvertResult } from '../../../models/convert';
import type { Detection, Precision, SdFamily, Variant } from '../../../models/detect';
import type { FileHashes } from '../../../models/hash';
import type { MergeMethod as InternalMergeMethod, MergeOptions, MergeResult } from '../../../models/merge';

/** One object type with the same properties as T (so an intersection and an interface with its fields compare equal). */
type Flat<T> = T extends object ? { [K in keyof T]: T[K] } : T;
/** true when A and B are the same type (not merely assignable either way: optional vs required counts). */
export type Equal<A, B> = (<T>() => T extends Flat<A> ? 1 : 2) extends (<T>() => T extends Flat<B> ? 1 : 2) ? true : false;
type Expect<T extends true> = T;

/** Fields a request adds for the job machinery, and options only a library call has (cancel, progress, caches, tuning). */
type JobFields = 'jobId' | 'workDoneToken';
type CallbackOptions = 'signal' | 'onProgress' | 'hashCache' | 'tuning';
/** The convert-onnx result of an SD checkpoint (the result type may grow other kinds). */
type SdConvertOnnxResult = Extract<ModelsConvertOnnxResult, { family: unknown }>;

export type ProtocolMirrors = [
  // models/hash
  Expect<Equal<ModelFileHashes, FileHashes>>,
  // models/merge: the params are MergeOptions with `metadata` for `extraMetadata`; the result adds the job id.
  Expect<Equal<MergeMethod, InternalMergeMethod>>,
  Expect<Equal<Omit<ModelsMergeParams, JobFields | 'metadata'>, Omit<MergeOptions, CallbackOptions | 'extraMetadata'>>>,
  Expect<Equal<ModelsMergeParams['metadata'], MergeOptions['extraMetadata']>>,
  Expect<Equal<ModelsMergeResult, { jobId: string } & MergeResult>>,
  // models/convert: the result leaves out the written metadata.
  Expect<Equal<Omit<ModelsConvertParams, JobFields>, Omit<ConvertOptions, CallbackOptions>>>,
  Expect<Equal<ModelsConvertResult, { jobId: string } & Omit<ConvertResult, 'metadata'>>>,
  // models/convertOnnx: what the detection and the build report.
  Expect<Equal<SdConvertOnnxResult['family'], SdFamily>>,
  Expect<Equal<SdConvertOnnxResult['variant'], Variant>>,
  Expect<Equal<SdConvertOnnxResult['precision'], Precision>>,
  Expect<Equal<SdConvertOnnxResult['prediction'], Prediction>>,
  Expect<Equal<SdConvertOnnxResult['predictionSource'], Detection['predictionSource']>>,
  Expect<Equal<SdConvertOnnxResult['parts'][string], Pick<ExternalWriteResult, 'pointed' | 'converted' | 'convertedBytes'>>>,
  Expect<Equal<NonNullable<ModelsConvertOnnxParams['prediction']>, NonNullable<BuildOptions['prediction']>>>,
  // sd/pngInfo.read: the generation info of one file.
  Expect<Equal<PngInfo, FileInfo>>,
  Expect<Equal<PngInfo['container'], Container>>,
  // sd/samplers.list
  Expect<Equal<SamplerInfo, ReturnType<typeof samplerCatalog>[number]>>,
  Expect<Equal<FewStepPreset, InternalPreset>>,
];
