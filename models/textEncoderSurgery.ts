// Graph surgery on a stock (diffusers / Optimum) ONNX CLIP text encoder, so every export supports what A1111 does
// with the text model:
//  - textual inversion: a variant that takes `inputs_embeds` [batch, tokens, D] instead of token ids, made by
//    cutting the token-embedding Gather (the position embeddings stay in the graph); the cut table is saved next
//    to it so the caller can look up ordinary tokens;
//  - CLIP skip N: `last_hidden_state` becomes final_layer_norm(hidden_states[-N]) (A1111
//    `encode_with_transformers`), found by walking the residual stream back from the final LayerNorm.
// Derived models are cached on disk under <cache>/surgery/, keyed by the source file's SHA-256.
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { onnx } from 'onnx-proto';
import { decodeModel, encodeModelProto } from './graph';
import { writeFileAtomic } from './formats/atomicFile';
import { writeSafetensors } from './formats/safetensors';
import { defaultCacheDir, sha256Full } from './hash';
import { touchFiles } from './buildCache';

/** Bump when the surgery changes: old cache entries are then ignored. */
const SURGERY_VERSION = 1;

export interface SurgeryOptions {
  /** Replace the token ids by `inputs_embeds` (token embeddings before position embeddings are added). */
  inputsEmbeds: boolean;
  /** 1 (or 0): the stock output; N ≥ 2: final LayerNorm applied to hidden_states[-N]. */
  clipSkip: number;
  /**
   * Outputs to keep instead of the hidden state alone (SDXL: a raw `hidden_states.N` and the pooled
   * `text_embeds`, which still reads the token ids: the variant then takes ids and embeddings).
   */
  outputs?: readonly string[];
}

export interface TokenEmbeddingTable {
  dtype: 'F32' | 'F16';
  /** [vocab, D] */
  shape: [number, number];
  bytes: Uint8Array;
}

export interface SurgeryResult {
  model: onnx.IModelProto;
  /** The cut Gather's table (inputsEmbeds only). */
  tokenEmbedding?: TokenEmbeddingTable;
  /** Encoder layers found on the residual stream (when CLIP skip was asked for). */
  layers?: number;
}

/** The export cannot give what was asked; the message says why and what would work. */
export class SurgeryError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'SurgeryError';
  }
}

const INT32 = 6;
const INT64 = 7;
const FLOAT = 1;
const FLOAT16 = 10;
const HIDDEN_OUTPUTS = ['last_hidden_state', 'text_embeddings', 'hidden_states'];
export const INPUTS_EMBEDS = 'inputs_embeds';

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

type Node = onnx.INodeProto;

class GraphIndex {
  readonly producer = new Map<string, Node>();
  readonly consumers = new Map<string, Node[]>();
  constructor(readonly nodes: Node[]) {
    for (const n of nodes) {
      for (const o of n.output ?? []) if (o) this.producer.set(o, n);
      for (const i of n.input ?? []) {
        if (!i) continue;
        const list = this.consumers.get(i) ?? [];
        list.push(n);
        this.consumers.set(i, list);
      }
    }
  }
  uses(v: string): Node[] {
    return this.consumers.get(v) ?? [];
  }
}

/** Values computed from `start` through Cast/Identity only (an ids input is often cast before the Gather). */
function castClosure(g: GraphIndex, start: string): Set<string> {
  const out = new Set([start]);
  const todo = [start];
  while (todo.length) {
    for (const n of g.uses(todo.pop()!)) {
      if ((n.opType === 'Cast' || n.opType === 'Identity') && !out.has(n.output![0]!)) {
        out.add(n.output![0]!);
        todo.push(n.output![0]!);
      }
    }
  }
  return out;
}

/** A value that starts a LayerNorm (fused op, or the exported ReduceMean/Sub pattern), possibly through Casts. */
function feedsNorm(g: GraphIndex, v: string, depth = 0): boolean {
  return g.uses(v).some((n) => n.opType === 'LayerNormalization' || n.opType === 'ReduceMean' || (depth < 2 && n.opType === 'Cast' && feedsNorm(g, n.output![0]!, depth + 1)));
}

/** The input of the LayerNorm that produces `out` (hidden_states[-1]), or null. */
function finalNormInput(g: GraphIndex, out: string): string | null {
  const seen = new Set<string>();
  let frontier = [out];
  for (let depth = 0; depth < 12 && frontier.length; depth++) {
    const next: string[] = [];
    for (const v of frontier) {
      const n = g.producer.get(v);
      if (!n || seen.has(v)) continue;
      seen.add(v);
      if (n.opType === 'LayerNormalization') return n.input![0]!;
      if (n.opType === 'Sub') {
        const mean = g.producer.get(n.input![1]!);
        if (mean?.opType === 'ReduceMean' && mean.input![0] === n.input![0]) return n.input![0]!;
      }
      next.push(...(n.input ?? []).filter(Boolean));
    }
    frontier = next;
  }
  return null;
}

/** One step back along the residual stream: `v = Add(residual, branch)` → residual, else null. */
function residualOf(g: GraphIndex, v: string): string | null {
  const n = g.producer.get(v);
  if (!n || n.opType !== 'Add') return null;
  const cands = (n.input ?? []).filter((i) => i && feedsNorm(g, i));
  return cands.length === 1 ? cands[0]! : null;
}

/** Drop nodes, initializers, inputs and value infos that no graph output needs any more. */
function prune(graph: onnx.IGraphProto, keepInputs: Set<string>): void {
  const nodes = graph.node ?? [];
  const g = new GraphIndex(nodes);
  const live = new Set<string>((graph.output ?? []).map((o) => o.name!));
  const keep = new Set<Node>();
  const todo = [...live];
  while (todo.length) {
    const v = todo.pop()!;
    const n = g.producer.get(v);
    if (!n || keep.has(n)) continue;
    keep.add(n);
    for (const i of n.input ?? []) {
      if (i && !live.has(i)) {
        live.add(i);
        todo.push(i);
      }
    }
  }
  graph.node = nodes.filter((n) => keep.has(n));
  graph.initializer = (graph.initializer ?? []).filter((t) => live.has(t.name!));
  graph.input = (graph.input ?? []).filter((i) => live.has(i.name!) || keepInputs.has(i.name!));
  const known = new Set([...live]);
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => known.has(v.name!));
}

function tableBytes(t: onnx.ITensorProto, file: string): Uint8Array {
  if (t.rawData && t.rawData.length) return t.rawData;
  if (t.floatData && t.floatData.length) {
    const f = Float32Array.from(t.floatData);
    return new Uint8Array(f.buffer);
  }
  if (t.int32Data && t.int32Data.length && t.dataType === FLOAT16) {
    const h = Uint16Array.from(t.int32Data);
    return new Uint8Array(h.buffer);
  }
  throw new SurgeryError(file, `the token-embedding table "${t.name}" has no inline data`);
}

/**
 * The surgery itself, on a decoded model (edited in place and returned). External data must be inlined first
 * (`loadModelInline`).
 */
export function surgeTextEncoder(model: onnx.IModelProto, opts: SurgeryOptions, file = 'text encoder'): SurgeryResult {
  const graph = model.graph;
  if (!graph) throw new SurgeryError(file, 'the model has no graph');
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  const result: SurgeryResult = { model };
  const out = (graph.output ?? []).find((o) => HIDDEN_OUTPUTS.includes(o.name!))?.name;
  if (!out) throw new SurgeryError(file, `no hidden-state output (found ${(graph.output ?? []).map((o) => o.name).join(', ')})`);
  const idsInput = (graph.input ?? []).find((i) => !inits.has(i.name!) && [INT32, INT64].includes(i.type?.tensorType?.elemType ?? -1));
  // Our own checkpoint conversions already output `clip_skip_N`: nothing to cut then.
  const direct = opts.clipSkip > 1 ? (graph.output ?? []).find((o) => o.name === `clip_skip_${opts.clipSkip}`)?.name : undefined;
  const keep = direct ?? out;

  if (opts.clipSkip > 1 && !direct) {
    const g = new GraphIndex(nodes);
    const last = finalNormInput(g, out);
    if (!last) {
      throw new SurgeryError(file, `CLIP skip ${opts.clipSkip} is not supported by this export: "${out}" does not come from a LayerNorm (fused or optimised graph?); use a stock diffusers/Optimum export`);
    }
    // Count the layers: two residual Adds per pre-LN transformer layer.
    const stream = [last];
    for (let v: string | null = residualOf(g, last); v; v = residualOf(g, v)) stream.push(v);
    const layers = Math.floor((stream.length - 1) / 2);
    result.layers = layers;
    if (layers === 0) {
      throw new SurgeryError(file, `CLIP skip ${opts.clipSkip} is not supported by this export: no residual layer structure before the final LayerNorm (fused layers such as SkipLayerNormalization?); use a stock diffusers/Optimum export`);
    }
    const need = 2 * (opts.clipSkip - 1);
    if (need > stream.length - 1) {
      throw new SurgeryError(file, `CLIP skip ${opts.clipSkip} needs hidden_states[-${opts.clipSkip}], but this text encoder has ${layers} layer${layers === 1 ? '' : 's'} (CLIP skip up to ${layers + 1} works)`);
    }
    const source = stream[need]!;
    // The final LayerNorm: nodes reachable from `last` that lead to `out`.
    const forward = new Set<Node>();
    const reach = [last];
    const reached = new Set<string>(reach);
    while (reach.length) {
      for (const n of g.uses(reach.pop()!)) {
        if (forward.has(n)) continue;
        forward.add(n);
        for (const o of n.output ?? []) if (o && !reached.has(o)) (reached.add(o), reach.push(o));
      }
    }
    const toOut = new Set<Node>();
    const back = [out];
    while (back.length) {
      const n = g.producer.get(back.pop()!);
      if (!n || toOut.has(n) || !forward.has(n)) continue;
      toOut.add(n);
      back.push(...(n.input ?? []).filter(Boolean));
    }
    const lnNodes = nodes.filter((n) => toOut.has(n));
    const suffix = `/clip_skip_${opts.clipSkip}`;
    const rename = new Map<string, string>([[last, source]]);
    const clones: Node[] = lnNodes.map((n) => ({
      ...n,
      name: `${n.name ?? n.opType}${suffix}`,
      input: (n.input ?? []).map((i) => rename.get(i) ?? i),
      output: (n.output ?? []).map((o) => {
        const r = o === out ? out : `${o}${suffix}`;
        rename.set(o, r);
        return r;
      }),
    }));
    // The original LayerNorm's output is renamed away (then pruned): the graph output keeps its name.
    for (const n of lnNodes) n.output = (n.output ?? []).map((o) => (o === out ? `${out}/last_layer` : o));
    const at = nodes.indexOf(lnNodes[lnNodes.length - 1]!) + 1;
    nodes.splice(at, 0, ...clones);
  }

  if (opts.inputsEmbeds) {
    if (!idsInput) throw new SurgeryError(file, 'no integer token-id input to replace by inputs_embeds');
    const g = new GraphIndex(nodes);
    const ids = castClosure(g, idsInput.name!);
    const gather = nodes.find((n) => n.opType === 'Gather' && ids.has(n.input![1]!) && (inits.get(n.input![0]!)?.dims?.length ?? 0) === 2);
    if (!gather) throw new SurgeryError(file, `textual inversion needs the token-embedding Gather on "${idsInput.name}", and this export has none`);
    const table = inits.get(gather.input![0]!)!;
    const [vocab, dim] = (table.dims ?? []).map(num) as [number, number];
    if (table.dataType !== FLOAT && table.dataType !== FLOAT16) throw new SurgeryError(file, `the token-embedding table has ONNX element type ${table.dataType}, not float32/float16`);
    result.tokenEmbedding = { dtype: table.dataType === FLOAT ? 'F32' : 'F16', shape: [vocab, dim], bytes: tableBytes(table, file) };
    const idDims = idsInput.type?.tensorType?.shape?.dim ?? [];
    graph.input = [
      ...(graph.input ?? []),
      {
        name: INPUTS_EMBEDS,
        type: { tensorType: { elemType: table.dataType, shape: { dim: [idDims[0] ?? { dimParam: 'batch' }, idDims[1] ?? { dimParam: 'sequence' }, { dimValue: dim }] } } },
      },
    ];
    const cut = gather.output![0]!;
    for (const n of nodes) n.input = (n.input ?? []).map((i) => (i === cut ? INPUTS_EMBEDS : i));
    graph.node = nodes.filter((n) => n !== gather);
  }

  // Only the hidden states are wanted (the pooled output reads the ids, which the embeds variant may drop).
  const wanted = opts.outputs ?? [keep];
  const missing = wanted.filter((w) => !(graph.output ?? []).some((o) => o.name === w));
  if (missing.length) throw new SurgeryError(file, `no output ${missing.map((m) => `"${m}"`).join(', ')} (found ${(graph.output ?? []).map((o) => o.name).join(', ')})`);
  graph.output = (graph.output ?? []).filter((o) => wanted.includes(o.name!));
  prune(graph, new Set(opts.inputsEmbeds ? [INPUTS_EMBEDS] : (idsInput ? [idsInput.name!] : [])));
  return result;
}

/** Decodes an .onnx file and reads any external-data initializers into it (inline), for re-encoding. */
export async function loadModelInline(path: string): Promise<onnx.IModelProto> {
  const model = decodeModel(await readFile(path));
  const dir = dirname(path);
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataLocation !== 1) continue; // EXTERNAL
    const kv = new Map((t.externalData ?? []).map((e) => [e.key!, e.value!]));
    const location = kv.get('location');
    if (!location) throw new SurgeryError(path, `initializer "${t.name}" has external data without a location`);
    const offset = Number(kv.get('offset') ?? 0);
    let length = kv.has('length') ? Number(kv.get('length')) : -1;
    const fh = await open(join(dir, location), 'r');
    try {
      if (length < 0) length = (await fh.stat()).size - offset;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      if (bytesRead !== length) throw new SurgeryError(path, `external data of "${t.name}" is truncated in ${location}`);
      t.rawData = buf;
    } finally {
      await fh.close();
    }
    t.dataLocation = 0;
    t.externalData = [];
  }
  return model;
}

export interface DerivedTextEncoder {
  /** The derived .onnx file. */
  modelPath: string;
  /** safetensors file with `token_embedding` [vocab, D] (inputsEmbeds only). */
  tokenEmbeddingPath?: string;
}

const variantName = (o: SurgeryOptions): string =>
  [o.inputsEmbeds ? 'embeds' : '', o.clipSkip > 1 ? `skip${o.clipSkip}` : '', ...(o.outputs ?? []).map((n) => n.replace(/[^\w]/g, ''))].filter(Boolean).join('-') || 'stock';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** `${SD_STUDIO_CACHE_DIR or XDG cache}/sd-studio/surgery`. */
export function surgeryCacheDir(): string {
  return join(defaultCacheDir(), 'surgery');
}

/**
 * The derived model for `source` with `opts`, from the cache or made now (seconds for a real text encoder).
 * Throws SurgeryError when the export cannot support it. Callers that may ask twice at once keep the promise
 * (daemon/parts/textEncoder.ts does, per variant).
 */
export async function deriveTextEncoder(source: string, opts: SurgeryOptions, cacheDir = surgeryCacheDir()): Promise<DerivedTextEncoder> {
  const sha = (await sha256Full(source)).slice(0, 16);
  const base = join(cacheDir, `${sha}.v${SURGERY_VERSION}`);
  const modelPath = `${base}.${variantName(opts)}.onnx`;
  const tokenEmbeddingPath = opts.inputsEmbeds ? `${base}.token-embedding.safetensors` : undefined;
  if ((await exists(modelPath)) && (!tokenEmbeddingPath || (await exists(tokenEmbeddingPath)))) {
    touchFiles(modelPath, ...(tokenEmbeddingPath ? [tokenEmbeddingPath] : []));
    return { modelPath, tokenEmbeddingPath };
  }
  const r = surgeTextEncoder(await loadModelInline(source), opts, source);
  await mkdir(cacheDir, { recursive: true });
  if (tokenEmbeddingPath && r.tokenEmbedding) {
    const t = r.tokenEmbedding;
    // (the writer renames a temp file into place)
    await writeSafetensors(tokenEmbeddingPath, [{ name: 'token_embedding', dtype: t.dtype, shape: [...t.shape], data: t.bytes }], { source: resolve(source) });
  }
  await writeFileAtomic(modelPath, encodeModelProto(r.model));
  return { modelPath, tokenEmbeddingPath };
}
