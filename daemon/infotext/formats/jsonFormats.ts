// Generators that store one JSON record: SwarmUI (sui_image_params; PNG "parameters", JPEG/WebP EXIF
// UserComment) and InvokeAI 3+ (invokeai_metadata). Prompts are kept verbatim: these formats store them as given.

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
