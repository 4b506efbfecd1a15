// ComfyUI: the `prompt` chunk is the executed graph in API form ({id: {class_type, inputs}}), inputs either
// literals or links [sourceId, outputSlot]. Settings are found by following links from the image output
// back to its sampler, and from the sampler's positive/negative/model/latent inputs to their sources —
// never by node order or by guessing which text box is longest.

import { emptyResult, int, modelName, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, type JsonValue } from '../json';

interface Node { class_type: string; inputs: { [key: string]: JsonValue } }
type Graph = Map<string, Node>;
type Link = [string, number];

function asLink(v: JsonValue | undefined): Link | null {
  return Array.isArray(v) && v.length === 2 && (typeof v[0] === 'string' || typeof v[0] === 'number') && typeof v[1] === 'number'
    ? [String(v[0]), v[1]] : null;
}

export function toGraph(prompt: JsonValue): Graph | null {
  if (!isObject(prompt)) return null;
  const g: Graph = new Map();
  for (const [id, n] of Object.entries(prompt)) {
    if (isObject(n) && typeof n.class_type === 'string') g.set(id, { class_type: n.class_type, inputs: isObject(n.inputs) ? n.inputs : {} });
  }
  return g.size ? g : null;
}

const isSampler = (n: Node) => /sampler/i.test(n.class_type) && ('latent_image' in n.inputs || 'positive' in n.inputs || 'guider' in n.inputs);
const isOutput = (n: Node) => /save|preview|output/i.test(n.class_type) && 'images' in n.inputs;

/** The sampler that produced the saved image: breadth-first from each output node, nearest first. */
function findSampler(g: Graph): [string, Node] | null {
  const starts = [...g].filter(([, n]) => isOutput(n)).map(([id]) => id);
  const seen = new Set<string>(starts);
  const queue = [...starts];
  while (queue.length) {
    const id = queue.shift()!;
    const n = g.get(id)!;
    if (isSampler(n)) return [id, n];
    for (const v of Object.values(n.inputs)) {
      const l = asLink(v);
      if (l && g.has(l[0]) && !seen.has(l[0])) {
        seen.add(l[0]);
        queue.push(l[0]);
      }
    }
  }
  return [...g].find(([, n]) => isSampler(n)) ?? null;
}

const VALUE_KEYS = ['value', 'seed', 'noise_seed', 'int', 'float', 'number', 'string', 'text', 'Text', 'STRING', 'INT', 'FLOAT'];

/** A literal input, following links into primitive / value nodes (depth-limited against cycles). */
function literal(g: Graph, v: JsonValue | undefined, depth = 0): JsonValue | undefined {
  const l = asLink(v);
  if (!l) return v;
  const src = g.get(l[0]);
  if (!src || depth > 8) return undefined;
  for (const k of VALUE_KEYS) if (k in src.inputs) return literal(g, src.inputs[k], depth + 1);
  return undefined;
}

/** Text reaching a conditioning input: through combine / control-net / area nodes to the text encoders. */
function conditioningText(g: Graph, v: JsonValue | undefined, depth = 0): string[] {
  const l = asLink(v);
  const n = l ? g.get(l[0]) : undefined;
  if (!l || !n || depth > 16) return [];
  for (const k of ['text', 'text_g', 'prompt', 'positive_prompt', 'string']) {
    const t = literal(g, n.inputs[k]);
    if (typeof t === 'string') return [t];
  }
  // A node with both polarities (ControlNetApplyAdvanced, InpaintModelConditioning): slot 0 is positive.
  if ('positive' in n.inputs && 'negative' in n.inputs) return conditioningText(g, n.inputs[l[1] === 1 ? 'negative' : 'positive'], depth + 1);
  const out: string[] = [];
  for (const [k, iv] of Object.entries(n.inputs)) if (/^conditioning|^cond/.test(k)) out.push(...conditioningText(g, iv, depth + 1));
  return out;
}

/** The checkpoint behind a model input, and the LoRAs applied on the way. */
function modelSource(g: Graph, v: JsonValue | undefined): { ckpt: string | null; loras: string[] } {
  const loras: string[] = [];
  let link = asLink(v);
  for (let depth = 0; link && depth < 32; depth++) {
    const n = g.get(link[0]);
    if (!n) break;
    const ckpt = n.inputs.ckpt_name ?? n.inputs.unet_name ?? n.inputs.model_name;
    if (typeof ckpt === 'string') return { ckpt, loras: loras.reverse() };
    if (typeof n.inputs.lora_name === 'string') loras.push(`${n.inputs.lora_name}:${String(n.inputs.strength_model ?? 1)}`);
    link = asLink(n.inputs.model);
  }
  return { ckpt: null, loras: loras.reverse() };
}

/** Width/height from the latent chain: empty latent or latent upscale (img2img: from the image, unknown). */
function latentSize(g: Graph, v: JsonValue | undefined): [number | null, number | null] {
  let link = asLink(v);
  for (let depth = 0; link && depth < 32; depth++) {
    const n = g.get(link[0]);
    if (!n) break;
    const w = int(literal(g, n.inputs.width));
    const h = int(literal(g, n.inputs.height));
    if (w !== null && h !== null) return [w, h];
    link = asLink(n.inputs.samples ?? n.inputs.latent_image ?? n.inputs.latent);
  }
  return [null, null];
}

/** A node's literal inputs, for `parameters`. */
function literals(g: Graph, n: Node | undefined): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  if (n) for (const [k, v] of Object.entries(n.inputs)) {
    const x = literal(g, v);
    if (x !== undefined && !asLink(x)) out[k] = x;
  }
  return out;
}

export function readComfy(prompt: JsonValue, source: string): FormatResult | null {
  const g = toGraph(prompt);
  if (!g) return null;
  const r = emptyResult('comfyui', source);
  r.generator = 'ComfyUI';
  const found = findSampler(g);
  if (!found) {
    r.problems = ['ComfyUI graph has no sampler node'];
    return r;
  }
  const [id, s] = found;
  const params: { [key: string]: JsonValue } = { sampler_node: id, sampler_class: s.class_type };
  // SamplerCustomAdvanced splits its settings over guider / noise / sampler / sigmas nodes.
  const via = (name: string) => { const l = asLink(s.inputs[name]); return l ? g.get(l[0]) : undefined; };
  const guider = via('guider');
  const sigmas = via('sigmas');
  const samplerSel = via('sampler');
  const noise = via('noise');
  const inputs = { ...literals(g, sigmas), ...literals(g, samplerSel), ...literals(g, noise), ...literals(g, guider), ...literals(g, s) };
  Object.assign(params, inputs);
  const cond = guider ?? s;
  const pos = conditioningText(g, cond.inputs.positive ?? cond.inputs.conditioning);
  const neg = conditioningText(g, cond.inputs.negative);
  r.prompt = pos.length ? pos.join('\n') : null;
  r.negativePrompt = neg.length ? neg.join('\n') : 'negative' in cond.inputs ? '' : null;
  r.steps = int(inputs.steps);
  r.sampler = str(inputs.sampler_name);
  r.scheduleType = str(inputs.scheduler);
  r.cfgScale = num(inputs.cfg);
  r.seed = seedOf(inputs.seed ?? inputs.noise_seed);
  r.denoisingStrength = num(inputs.denoise);
  [r.width, r.height] = latentSize(g, s.inputs.latent_image);
  const m = modelSource(g, cond.inputs.model ?? s.inputs.model);
  r.model = modelName(m.ckpt);
  if (m.ckpt) params.ckpt_name = m.ckpt;
  if (m.loras.length) params.loras = m.loras;
  r.parameters = params;
  return r;
}
