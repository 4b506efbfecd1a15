/** The public API of A1111 prompt handling: one parser for the pipeline, the CLI and the language server. */
export { ClipTokenizer, cleanText, type TextEncoderKind } from './clipTokenizer';
export {
  parsePromptAttention,
  tryParsePromptAttention,
  AttentionWeightError,
  type AttentionFragment,
} from './attention';
export { parseScheduleSyntax, walkSyntax, type SyntaxNode, type SyntaxTree, type Span } from './syntax';
export {
  getLearnedConditioningPromptSchedules,
  scheduleAt,
  img2imgTextsPerStep,
  type ScheduleEntry,
} from './schedules';
export { getMulticondPromptList, splitAnd, type AndPart } from './multicond';
export {
  parseExtraNetworks,
  readLora,
  readHypernet,
  type ExtraNetworkTag,
  type LoraUse,
} from './extraNetworks';
export { parsePrompt, type PromptDocument, type PromptPart, type PromptDiagnostic, type ParseOptions } from './parser';
export {
  tokenizeChunks,
  toModelInput,
  emptyChunk,
  padChunks,
  type PromptChunk,
  type ChunkFix,
  type ChunkOptions,
  type TokenizedPrompt,
} from './chunker';
export { applyEmphasisOriginal, applyEmphasisNoNorm } from './emphasis';
export { combineDenoised, type WeightedDenoised } from './cfg';
export { inspectPrompt, type PromptInspection, type InspectOptions, type InspectResult } from './inspect';
