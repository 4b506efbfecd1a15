// Generators that store one JSON record: SwarmUI (sui_image_params), Fooocus (metadata_scheme "fooocus"),
// InvokeAI 3+ (invokeai_metadata), InvokeAI 2.x / lstein (sd-metadata, Dream). Prompts are kept verbatim:
// these formats store them as given.

import { emptyResult, int, modelName, num, seedOf, str, type FormatResult } from '../generationInfo';
import { isObject, type JsonValue } from '../json';

type Obj = { [key: string]: JsonValue };

export function readSwarm(p: Obj, source: string): FormatResult {
  const s = isObject(p.sui_image_params) ? p.sui_image_params : {};
  const r = emptyResult('swarmui', source);
  r.generator = `SwarmUI${typeof s.swarm_version === 'string' ? ` ${s.swarm_version}` : ''}`;
  r.prompt = str(s.prompt);
  r.negativePrompt = str(s.negativeprompt);
  r.steps = int(s.steps);
  r.sampler = str(s.sampler);
  r.scheduleType = str(s.scheduler);
  r.cfgScale = num(s.cfgscale);
  r.seed = seedOf(s.seed);
  r.width = int(s.width);
  r.height = int(s.height);
  r.model = modelName(s.model);
  r.denoisingStrength = num(s.initimagecreativity);
  const models = Array.isArray(p.sui_models) ? p.sui_models : [];
  const main = models.find((m) => isObject(m) && m.param === 'model');
  r.modelHash = isObject(main) ? str(main.hash) : null;
  r.parameters = { ...s };
  return r;
}

export function readFooocus(p: Obj, source: string): FormatResult {
  const r = emptyResult('fooocus', source);
  r.generator = str(p.version) ?? 'Fooocus';
  r.prompt = str(p.prompt);
  r.negativePrompt = str(p.negative_prompt);
  r.steps = int(p.steps);
  r.sampler = str(p.sampler);
  r.scheduleType = str(p.scheduler);
  r.cfgScale = num(p.guidance_scale);
  r.seed = seedOf(p.seed, true);
  const res = /^\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(str(p.resolution) ?? '');
  if (res) {
    r.width = Number(res[1]);
    r.height = Number(res[2]);
  }
  r.model = str(p.base_model);
  r.modelHash = str(p.base_model_hash);
  r.denoisingStrength = num(p.denoising_strength);
  r.parameters = { ...p };
  return r;
}

export function readInvoke(m: Obj, source: string): FormatResult {
  const r = emptyResult('invokeai', source);
  r.generator = `InvokeAI${typeof m.app_version === 'string' ? ` ${m.app_version}` : ''}`;
  r.prompt = str(m.positive_prompt);
  r.negativePrompt = str(m.negative_prompt);
  r.steps = int(m.steps);
  r.sampler = str(m.scheduler); // InvokeAI calls the sampler "scheduler" (euler_a, dpmpp_2m_k, ...)
  r.cfgScale = num(m.cfg_scale);
  r.seed = seedOf(m.seed);
  r.width = int(m.width);
  r.height = int(m.height);
  const model = isObject(m.model) ? m.model : {};
  r.model = str(model.name) ?? str(model.model_name);
  r.modelHash = str(model.hash);
  r.denoisingStrength = num(m.strength);
  r.parameters = { ...m };
  return r;
}

/** `Dream` text: `"prompt" -s 20 -W 512 …` or an unquoted prompt before the first switch. */
export function parseDream(text: string): { prompt: string; switches: Record<string, string> } {
  let rest = text.trim();
  let prompt: string;
  const quoted = /^"((?:\\.|[^"\\])*)"/.exec(rest);
  if (quoted) {
    prompt = quoted[1]!.replace(/\\(.)/g, '$1');
    rest = rest.slice(quoted[0].length);
  } else {
    const sw = rest.search(/(^|\s)-[A-Za-z]+(\s|$)/);
    prompt = (sw < 0 ? rest : rest.slice(0, sw)).trim();
    rest = sw < 0 ? '' : rest.slice(sw);
  }
  const switches: Record<string, string> = {};
  for (const m of rest.matchAll(/(?:^|\s)-{1,2}([A-Za-z_]+)(?:\s+((?!-[A-Za-z])\S+))?/g)) switches[m[1]!] = m[2] ?? 'true';
  return { prompt, switches };
}

/** InvokeAI 2.x / lstein `sd-metadata` (`image` or `images[0]`), with the `Dream` line folded in. */
export function readInvokeLegacy(meta: Obj | null, dream: string | null, source: string): FormatResult {
  const r = emptyResult('invokeai-legacy', meta ? source : 'Dream');
  const img = meta ? (isObject(meta.image) ? meta.image : Array.isArray(meta.images) && isObject(meta.images[0]) ? meta.images[0] : {}) : {};
  const d = dream !== null ? parseDream(dream) : null;
  if (meta) r.generator = [str(meta.app_id), str(meta.app_version)].filter(Boolean).join(' ') || null;
  const prompt = img.prompt;
  if (Array.isArray(prompt)) r.prompt = prompt.map((p) => (isObject(p) ? str(p.prompt) ?? '' : '')).join(' ');
  else r.prompt = str(prompt) ?? d?.prompt ?? null;
  r.steps = int(img.steps) ?? int(d?.switches.s);
  r.sampler = str(img.sampler) ?? d?.switches.A ?? null;
  r.cfgScale = num(img.cfg_scale) ?? num(d?.switches.C);
  r.seed = seedOf(img.seed) ?? seedOf(d?.switches.S);
  r.width = int(img.width) ?? int(d?.switches.W);
  r.height = int(img.height) ?? int(d?.switches.H);
  r.modelHash = meta ? str(meta.model_hash) : null;
  r.model = meta ? str(meta.model_id) : null;
  if (img.type === 'img2img') r.denoisingStrength = num(img.strength) ?? num(d?.switches.f);
  const params: Obj = {};
  if (meta) for (const [k, v] of Object.entries(meta)) if (k !== 'image' && k !== 'images') params[k] = v;
  Object.assign(params, img);
  if (d) {
    params.dream_prompt = d.prompt;
    params.dream_switches = d.switches;
  }
  r.parameters = params;
  return r;
}
