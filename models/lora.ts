// kohya-style LoRA and LoCon (`lora_unet_*` / `lora_te_*` modules with `lora_down`, `lora_up`, optional
// `lora_mid` and `alpha`; SDXL: `lora_unet_*` in sgm's own block names, `lora_te1_*` for CLIP-L and `lora_te2_*`
// for CLIP-G in HF names) merged into a checkpoint's weights before its graphs are built, as A1111's built-in
// Lora extension does it (extensions-builtin/Lora: networks.py convert_diffusers_name_to_compvis and load_network's
// SDXL fallbacks, network.py calc_scale / multiplier, network_lora.py, lyco_helpers.rebuild_conventional /
// rebuild_cp_decomposition):
//
//   W' = W + multiplier · scale · reshape(up.reshape(out, -1) @ down.reshape(rank, -1), W.shape)
//   scale = alpha / rank (rank = lora_down.shape[0]); 1.0 without an alpha key
//   multiplier = te weight for text-encoder modules, unet weight for the rest
//
// Builds apply W' inside the graph (loraGraph.ts: the factors stay in the LoRA file, ONNX Runtime folds the sum
// once when the session is created); mergeLoras computes the same in float64. The user's files are only read.
import { openWeights, stateDict } from './formats/open';
import { TensorReader, contiguousStrides, numel, type TensorRecord } from './formats/tensorRecord';

/** One LoRA to merge: the file and its two multipliers (A1111 `<lora:name:te:unet>`; unet defaults to te). */
export interface LoraApply {
  name: string;
  file: string;
  te: number;
  unet: number;
}

export class LoraError extends Error {
  override name = 'LoraError';
}

const SUFFIX_RESNETS: Record<string, string> = {
  conv1: 'in_layers_2',
  conv2: 'out_layers_3',
  norm1: 'in_layers_0',
  norm2: 'out_layers_0',
  time_emb_proj: 'emb_layers_1',
  conv_shortcut: 'skip_connection',
};

/** A1111's `convert_diffusers_name_to_compvis`: kohya module name → compvis module path with `.`→`_`. */
export function convertDiffusersNameToCompvis(key: string, isSd2: boolean): string {
  let m: RegExpMatchArray | null;
  const n = (s: string | undefined): number => Number(s);
  if ((m = key.match(/^lora_unet_conv_in(.*)$/))) return `diffusion_model_input_blocks_0_0${m[1]}`;
  if ((m = key.match(/^lora_unet_conv_out(.*)$/))) return `diffusion_model_out_2${m[1]}`;
  if ((m = key.match(/^lora_unet_time_embedding_linear_(\d+)(.*)$/))) return `diffusion_model_time_embed_${n(m[1]) * 2 - 2}${m[2]}`;
  if ((m = key.match(/^lora_unet_down_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$/))) {
    const suffix = m[2] === 'resnets' ? (SUFFIX_RESNETS[m[4]!] ?? m[4]) : m[4];
    return `diffusion_model_input_blocks_${1 + n(m[1]) * 3 + n(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix}`;
  }
  if ((m = key.match(/^lora_unet_mid_block_(attentions|resnets)_(\d+)_(.+)$/))) {
    const suffix = m[1] === 'resnets' ? (SUFFIX_RESNETS[m[3]!] ?? m[3]) : m[3];
    return `diffusion_model_middle_block_${m[1] === 'attentions' ? 1 : n(m[2]) * 2}_${suffix}`;
  }
  if ((m = key.match(/^lora_unet_up_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)$/))) {
    const suffix = m[2] === 'resnets' ? (SUFFIX_RESNETS[m[4]!] ?? m[4]) : m[4];
    return `diffusion_model_output_blocks_${n(m[1]) * 3 + n(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix}`;
  }
  if ((m = key.match(/^lora_unet_down_blocks_(\d+)_downsamplers_0_conv/))) return `diffusion_model_input_blocks_${3 + n(m[1]) * 3}_0_op`;
  if ((m = key.match(/^lora_unet_up_blocks_(\d+)_upsamplers_0_conv/))) return `diffusion_model_output_blocks_${2 + n(m[1]) * 3}_${n(m[1]) > 0 ? 2 : 1}_conv`;
  if ((m = key.match(/^lora_te_text_model_encoder_layers_(\d+)_(.+)$/))) {
    const rest = m[2]!;
    if (isSd2) return openClipModule('model', m[1]!, rest);
    return `transformer_text_model_encoder_layers_${m[1]}_${rest}`;
  }
  // SDXL's CLIP-G (conditioner.embedders.1) in HF names → open_clip's.
  if ((m = key.match(/^lora_te2_text_model_encoder_layers_(\d+)_(.+)$/))) return openClipModule('1_model', m[1]!, m[2]!);
  return key;
}

/** HF CLIP layer names → open_clip's resblock names (mlp fc1/fc2 → c_fc/c_proj, self_attn → attn). */
function openClipModule(prefix: string, layer: string, rest: string): string {
  if (rest.includes('mlp_fc1')) return `${prefix}_transformer_resblocks_${layer}_${rest.replace('mlp_fc1', 'mlp_c_fc')}`;
  if (rest.includes('mlp_fc2')) return `${prefix}_transformer_resblocks_${layer}_${rest.replace('mlp_fc2', 'mlp_c_proj')}`;
  return `${prefix}_transformer_resblocks_${layer}_${rest.replace('self_attn', 'attn')}`;
}

interface Target {
  key: string;
  /** Row block of a fused `in_proj_weight` (OpenCLIP q/k/v: 0/1/2); undefined = the whole tensor. */
  block?: number;
  te: boolean;
}

/**
 * A1111's `network_layer_mapping`: module path (without `model.` / `cond_stage_model.`; SDXL's embedders as
 * `<index>_<path>`) with `.`→`_` → the weight key, built from the checkpoint's own keys (the `_` in kohya names
 * cannot be reversed by rules).
 */
function layerMapping(tensors: ReadonlyMap<string, TensorRecord>): Map<string, { key: string; fused: boolean; te: boolean }> {
  const map = new Map<string, { key: string; fused: boolean; te: boolean }>();
  for (const key of tensors.keys()) {
    let path: string;
    let te: boolean;
    if (key.startsWith('model.diffusion_model.')) {
      path = key.slice('model.'.length);
      te = false;
    } else if (key.startsWith('cond_stage_model.')) {
      path = key.slice('cond_stage_model.'.length);
      te = true;
    } else if (key.startsWith('conditioner.embedders.')) {
      path = key.slice('conditioner.embedders.'.length);
      te = true;
    } else continue;
    if (path.endsWith('.in_proj_weight')) map.set(path.slice(0, -'.in_proj_weight'.length).replace(/\./g, '_'), { key, fused: true, te });
    else if (path.endsWith('.weight')) map.set(path.slice(0, -'.weight'.length).replace(/\./g, '_'), { key, fused: false, te });
  }
  return map;
}

function resolveTarget(module: string, mapping: ReturnType<typeof layerMapping>, isSd2: boolean): Target | undefined {
  const compvis = convertDiffusersNameToCompvis(module, isSd2);
  const direct = mapping.get(compvis);
  if (direct && !direct.fused) return { key: direct.key, te: direct.te };
  // OpenCLIP q/k/v live in one in_proj_weight (A1111 re_x_proj): rows [q; k; v].
  const m = compvis.match(/^(.*)_([qkv])_proj$/);
  if (m) {
    const fused = mapping.get(m[1]!);
    if (fused?.fused) return { key: fused.key, block: 'qkv'.indexOf(m[2]!), te: fused.te };
  }
  // A1111 load_network: SDXL LoRAs already carry compvis names ("lora_unet" → "diffusion_model"); CLIP-L's
  // "lora_te1_text_model" is embedder 0 (or, in some SD1 files, the plain text model).
  const fallbacks = module.includes('lora_unet')
    ? [module.replace('lora_unet', 'diffusion_model')]
    : module.includes('lora_te1_text_model')
      ? [module.replace('lora_te1_text_model', '0_transformer_text_model'), module.replace('lora_te1_text_model', 'transformer_text_model')]
      : [];
  for (const f of fallbacks) {
    const hit = mapping.get(f);
    if (hit && !hit.fused) return { key: hit.key, te: hit.te };
  }
  return undefined;
}

interface LoraModule {
  up: TensorRecord;
  down: TensorRecord;
  mid?: TensorRecord;
  alpha?: TensorRecord;
}

/** Groups a LoRA file's tensors by module; other keys (e.g. LyCORIS types we don't merge) are reported. */
function loraModules(t: ReadonlyMap<string, TensorRecord>): { modules: Map<string, LoraModule>; unknown: string[] } {
  const parts = new Map<string, Partial<LoraModule>>();
  const unknown: string[] = [];
  for (const [k, r] of t) {
    const m = k.match(/^(.+?)\.(lora_up\.weight|lora_down\.weight|lora_mid\.weight|alpha)$/);
    if (!m) {
      unknown.push(k);
      continue;
    }
    const p = parts.get(m[1]!) ?? {};
    if (m[2] === 'lora_up.weight') p.up = r;
    else if (m[2] === 'lora_down.weight') p.down = r;
    else if (m[2] === 'lora_mid.weight') p.mid = r;
    else p.alpha = r;
    parts.set(m[1]!, p);
  }
  const modules = new Map<string, LoraModule>();
  for (const [name, p] of parts) {
    if (p.up && p.down) modules.set(name, p as LoraModule);
    else unknown.push(`${name} (${p.up ? 'no lora_down' : 'no lora_up'})`);
  }
  return { modules, unknown };
}

const f64 = async (reader: TensorReader, r: TensorRecord): Promise<Float64Array> => Float64Array.from((await reader.read(r, 'F32')) as Float32Array);

/** up.reshape(out, -1) @ down.reshape(rank, -1) (or A1111's cp-decomposition with a mid tensor), float64. */
async function updown(reader: TensorReader, mod: Pick<LoraDelta, 'up' | 'down' | 'mid'>): Promise<Float64Array> {
  const up = await f64(reader, mod.up);
  const down = await f64(reader, mod.down);
  const rank = mod.down.shape[0]!;
  const out = mod.up.shape[0]!;
  if (mod.mid) {
    // rebuild_cp_decomposition: einsum('n m k l, i n, m j -> i j k l', mid, up[out,r], down[r,in]).
    const mid = await f64(reader, mod.mid);
    const [mr0, mr1, kh = 1, kw = 1] = mod.mid.shape as [number, number, number?, number?];
    const inCh = numel(mod.down.shape) / mod.down.shape[0]!;
    const res = new Float64Array(out * inCh * kh * kw);
    const k = kh * kw;
    for (let i = 0; i < out; i++) {
      for (let nIdx = 0; nIdx < mr0; nIdx++) {
        const u = up[i * mr0 + nIdx]!;
        if (u === 0) continue;
        for (let mIdx = 0; mIdx < mr1; mIdx++) {
          for (let j = 0; j < inCh; j++) {
            const d = down[mIdx * inCh + j]!;
            if (d === 0) continue;
            const base = (i * inCh + j) * k;
            const mb = (nIdx * mr1 + mIdx) * k;
            for (let q = 0; q < k; q++) res[base + q]! += u * mid[mb + q]! * d;
          }
        }
      }
    }
    return res;
  }
  const inner = numel(mod.down.shape) / rank;
  const res = new Float64Array(out * inner);
  for (let i = 0; i < out; i++) {
    for (let r = 0; r < rank; r++) {
      const u = up[i * rank + r]!;
      if (u === 0) continue;
      const row = i * inner;
      const drow = r * inner;
      for (let j = 0; j < inner; j++) res[row + j]! += u * down[drow + j]!;
    }
  }
  return res;
}

/** One LoRA module's change to one checkpoint weight: W += scale · reshape(up @ down, …) (mid: cp decomposition). */
export interface LoraDelta {
  lora: string;
  up: TensorRecord;
  down: TensorRecord;
  mid?: TensorRecord;
  /** multiplier · alpha / rank (alpha absent: multiplier). */
  scale: number;
  /** Row block of a fused OpenCLIP `in_proj_weight` (q/k/v: 0/1/2); undefined = the whole tensor. */
  block?: number;
}

export interface LoraDeltas {
  /** Checkpoint key → the deltas that change it, in LoRA order. */
  byKey: Map<string, LoraDelta[]>;
  /** LoRA modules with no matching layer in this checkpoint (A1111 skips them too, with a log line). */
  unmatched: string[];
}

/**
 * What each LoRA changes, without computing it: the targeted checkpoint keys and the low-rank factors, with
 * shapes checked against the target. LoRAs (or parts) whose multiplier is 0 change nothing (W + 0·Δ = W).
 */
export async function loraDeltas(tensors: ReadonlyMap<string, TensorRecord>, loras: readonly LoraApply[], opts: { isSd2: boolean }): Promise<LoraDeltas> {
  const mapping = layerMapping(tensors);
  const byKey = new Map<string, LoraDelta[]>();
  const unmatched: string[] = [];
  const reader = new TensorReader();
  try {
    for (const lora of loras) {
      if (lora.te === 0 && lora.unet === 0) continue;
      const lt = stateDict(await openWeights(lora.file));
      const { modules, unknown } = loraModules(lt);
      if (modules.size === 0) throw new LoraError(`${lora.file}: not a kohya LoRA/LoCon (no *.lora_up.weight / *.lora_down.weight; found ${[...lt.keys()].slice(0, 5).join(', ')}${lt.size > 5 ? ', …' : ''})`);
      unmatched.push(...unknown.map((u) => `${lora.name}: ${u}`));
      for (const [name, mod] of modules) {
        const target = resolveTarget(name, mapping, opts.isSd2);
        if (!target) {
          unmatched.push(`${lora.name}: ${name}`);
          continue;
        }
        const mult = target.te ? lora.te : lora.unet;
        if (mult === 0) continue;
        const w = tensors.get(target.key)!;
        const rank = mod.down.shape[0]!;
        const out = mod.up.shape[0]!;
        const values = mod.mid ? out * (numel(mod.down.shape) / rank) * numel(mod.mid.shape.slice(2)) : out * (numel(mod.down.shape) / rank);
        if (!mod.mid && numel(mod.up.shape) / out !== rank) throw new LoraError(`${lora.file}: ${name}: lora_up [${mod.up.shape.join(', ')}] and lora_down [${mod.down.shape.join(', ')}] have different ranks`);
        if (mod.mid && (numel(mod.up.shape) / out !== mod.mid.shape[0] || mod.mid.shape[1] !== rank)) throw new LoraError(`${lora.file}: ${name}: lora_mid shape [${mod.mid.shape.join(', ')}] does not fit lora_up/lora_down`);
        const rows = target.block !== undefined ? w.shape[0]! / 3 : w.shape[0]!;
        const per = numel(w.shape) / w.shape[0]!;
        if (values !== rows * per) {
          throw new LoraError(`${lora.file}: ${name} gives ${values} values for ${target.key} [${w.shape.join(', ')}]${target.block !== undefined ? ` (block ${target.block})` : ''}: the LoRA is for another model`);
        }
        const alpha = mod.alpha ? Number((await reader.read(mod.alpha, 'F32'))[0]) : undefined;
        const delta: LoraDelta = { lora: lora.name, up: mod.up, down: mod.down, scale: mult * (alpha !== undefined ? alpha / rank : 1.0), ...(mod.mid ? { mid: mod.mid } : {}), ...(target.block !== undefined ? { block: target.block } : {}) };
        byKey.set(target.key, [...(byKey.get(target.key) ?? []), delta]);
      }
    }
  } finally {
    await reader.close();
  }
  return { byKey, unmatched };
}

export interface LoraMergeResult {
  tensors: Map<string, TensorRecord>;
  /** Checkpoint keys whose values changed. */
  merged: string[];
  /** LoRA modules with no matching layer in this checkpoint (A1111 skips them too, with a log line). */
  unmatched: string[];
}

/**
 * `tensors` with every LoRA merged in, computed in float64 and rounded once: targeted weights become in-memory
 * F32 records (`file` stays the checkpoint's, `inline` holds the bytes), the rest are the same records. Builds
 * apply the same deltas inside the graph instead (loraGraph.ts); this is the reference they are checked against.
 */
export async function mergeLoras(tensors: ReadonlyMap<string, TensorRecord>, loras: readonly LoraApply[], opts: { isSd2: boolean }): Promise<LoraMergeResult> {
  const { byKey, unmatched } = await loraDeltas(tensors, loras, opts);
  const reader = new TensorReader();
  const out = new Map(tensors);
  try {
    for (const [key, deltas] of byKey) {
      const w = tensors.get(key)!;
      const a = Float64Array.from((await reader.read(w, 'F32')) as Float32Array);
      for (const d of deltas) {
        const values = await updown(reader, d);
        const start = (d.block ?? 0) * values.length;
        for (let i = 0; i < values.length; i++) a[start + i]! += d.scale * values[i]!;
      }
      const inline = new Uint8Array(Float32Array.from(a).buffer);
      out.set(key, { name: key, file: w.file, offset: 0, dtype: 'F32', shape: [...w.shape], strides: contiguousStrides(w.shape), storageOffset: 0, storageBytes: inline.byteLength, inline });
    }
  } finally {
    await reader.close();
  }
  return { tensors: out, merged: [...byKey.keys()], unmatched };
}
