// `--config FILE`: what the weights cannot say. Accepts the sd-tiny `*.config.json` form (sections
// `unet_config`, `hf_config`, `open_clip_text_cfg`, optional `prediction_type`) or A1111's ldm `.yaml`
// (`num_heads`, `num_head_channels`, `parameterization: "v"`). Structural numbers in it are ignored: they are
// read from the tensors.
import { readFileSync } from 'node:fs';
import type { UnetHeads } from './unet';

export type Prediction = 'epsilon' | 'v_prediction';

export interface ArchConfig {
  unetHeads?: UnetHeads;
  /** The text encoder's heads (SD1 CLIP or SD2 OpenCLIP, whichever section gives it). */
  textHeads?: number;
  /** SDXL's two encoders separately: CLIP-L (`hf_config`) and OpenCLIP bigG (`open_clip_text_cfg`). */
  clipHeads?: number;
  openClipHeads?: number;
  prediction?: Prediction;
  /** Where it came from, for messages and build stamps. */
  source: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function heads(numHeads: number | undefined, headChannels: number | undefined): UnetHeads | undefined {
  if (headChannels !== undefined && headChannels > 0) return { headChannels };
  if (numHeads !== undefined && numHeads > 0) return { numHeads };
  return undefined;
}

function fromJson(j: Record<string, unknown>, source: string): ArchConfig {
  const unet = (j.unet_config ?? {}) as Record<string, unknown>;
  const hf = (j.hf_config ?? {}) as Record<string, unknown>;
  const oc = (j.open_clip_text_cfg ?? {}) as Record<string, unknown>;
  const pred = j.prediction_type ?? j.parameterization;
  return {
    unetHeads: heads(num(unet.num_heads), num(unet.num_head_channels)),
    textHeads: num(hf.num_attention_heads) ?? num(oc.heads),
    clipHeads: num(hf.num_attention_heads),
    openClipHeads: num(oc.heads),
    prediction: pred === 'v' || pred === 'v_prediction' ? 'v_prediction' : pred === 'eps' || pred === 'epsilon' ? 'epsilon' : undefined,
    source,
  };
}

/** The first `key: value` in an ldm yaml, as text (no YAML library: these files are flat enough). */
function yamlValue(text: string, key: string): string | undefined {
  const m = new RegExp(`^\\s*${key}\\s*:\\s*["']?([^"'#\\s]+)`, 'm').exec(text);
  return m?.[1];
}

function fromYaml(text: string, source: string): ArchConfig {
  const n = (k: string): number | undefined => {
    const v = yamlValue(text, k);
    return v === undefined ? undefined : Number(v);
  };
  const param = yamlValue(text, 'parameterization');
  return {
    unetHeads: heads(n('num_heads'), n('num_head_channels')),
    prediction: param === 'v' ? 'v_prediction' : param === 'eps' ? 'epsilon' : undefined,
    source,
  };
}

export function parseArchConfig(text: string, source: string): ArchConfig {
  const t = text.trimStart();
  if (t.startsWith('{')) {
    try {
      return fromJson(JSON.parse(t) as Record<string, unknown>, source);
    } catch (e) {
      throw new ConfigError(`${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  if (!/^\s*model\s*:/m.test(text)) throw new ConfigError(`${source}: neither a JSON architecture description nor an ldm .yaml (no "model:" section)`);
  return fromYaml(text, source);
}

export function readArchConfig(path: string): ArchConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseArchConfig(text, path);
}
