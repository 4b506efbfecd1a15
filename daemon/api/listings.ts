// The GET lists of A1111's API, shaped as `modules/api/api.py` (and the built-in Lora extension's
// `/sdapi/v1/loras`) return them, from what the daemon finds under its models root.
import { freemem, totalmem } from 'node:os';
import { listCheckpoints } from '../modelFiles/checkpoints';
import { listUpscalers } from '../extras/upscalerRegistry';
import { findRestorerModel } from '../parts/faceRestorer';
import { samplerCatalog, samplerInfo, schedulerNames } from '../sampling';
import { listVaeFiles } from '../modelFiles/sdVae';
import { LATENT_UPSCALE_MODES } from '../validate';
import type { ApiContext } from './context';

const root = (api: ApiContext): string => api.server.settings.modelsRoot;

export async function sdModels(api: ApiContext): Promise<unknown[]> {
  const s = api.server.settings;
  return (await listCheckpoints(s.modelsRoot, s.model)).map((c) => ({
    title: c.title, model_name: c.modelName, hash: c.hash ?? null, sha256: c.sha256 ?? null, filename: c.filename, config: c.config ?? null,
  }));
}

export function sdVae(api: ApiContext): unknown[] {
  return [...listVaeFiles(root(api)).entries()].map(([name, filename]) => ({ model_name: name, filename }));
}

/** `sd_samplers.all_samplers`: name, aliases and the options A1111's table gives each sampler. */
export function samplers(): unknown[] {
  return samplerCatalog().map((c) => {
    const i = samplerInfo(c.name);
    const options: Record<string, unknown> = {};
    if (i.defaultScheduler !== 'Automatic') options.scheduler = i.defaultScheduler.toLowerCase();
    if (i.discardPenultimate) options.discard_next_to_last_sigma = true;
    if (i.usesEnsd) options.uses_ensd = true;
    if (i.secondOrder) options.second_order = true;
    if (i.brownianNoise) options.brownian_noise = true;
    return { name: c.name, aliases: c.aliases, options };
  });
}

/** `sd_schedulers.schedulers`: the `Scheduler` dataclass fields (default_rho -1 and no aliases unless set). */
export function schedulers(): unknown[] {
  const rho: Record<string, number> = { Karras: 7.0, Polyexponential: 1.0 };
  const inner = new Set(['Uniform', 'SGM Uniform', 'Simple', 'Normal', 'DDIM', 'Beta']);
  const aliases: Record<string, string[]> = { 'SGM Uniform': ['SGMUniform'] };
  return schedulerNames.map((label) => ({
    name: label.toLowerCase().replace(/ /g, '_'), label, aliases: aliases[label] ?? null, default_rho: rho[label] ?? -1, need_inner_model: inner.has(label),
  }));
}

export function upscalers(api: ApiContext): unknown[] {
  return listUpscalers(root(api)).map((u) => {
    const scale = /(\d+)x/i.exec(u.name)?.[1];
    return { name: u.name, model_name: u.kind === 'model' ? u.name : null, model_path: u.path ?? null, model_url: null, scale: scale ? Number(scale) : 4 };
  });
}

/**
 * `shared.latent_upscale_modes`, the hires fix's latent upscalers (their keys, in A1111's order). A1111 lists them
 * here only: /upscalers is `shared.sd_upscalers`, the image upscalers.
 */
export function latentUpscaleModes(): unknown[] {
  return Object.keys(LATENT_UPSCALE_MODES).map((name) => ({ name }));
}

export function faceRestorers(api: ApiContext): unknown[] {
  const dir = (kind: 'codeformer' | 'gfpgan'): string | null => {
    try {
      return findRestorerModel(root(api), kind);
    } catch {
      return null;
    }
  };
  return [{ name: 'CodeFormer', cmd_dir: dir('codeformer') }, { name: 'GFPGAN', cmd_dir: dir('gfpgan') }];
}

/** The Lora extension's `create_lora_json`: name, alias (the name: no metadata alias is read here), path. */
export function loras(api: ApiContext): unknown[] {
  return [...api.services.networks.get(root(api)).loras.values()].map((f) => ({ name: f.name, alias: f.name, path: f.path, metadata: {} }));
}

export async function embeddings(api: ApiContext): Promise<unknown> {
  const loaded: Record<string, unknown> = {};
  for (const e of (await api.services.embeddings.forRoot(root(api))?.list()) ?? []) {
    const t = e.terms[0]!;
    loaded[e.name] = { step: null, sd_checkpoint: null, sd_checkpoint_name: null, shape: t.width, vectors: t.vectors };
  }
  return { loaded, skipped: {} };
}

/** `PromptStyleItem`s of the daemon's styles.csv (the one `sd/styles.*` reads and the generations apply). */
export async function promptStyles(api: ApiContext): Promise<unknown[]> {
  return (await api.server.call('sd/styles.list', {})).styles.map((s) => ({ name: s.name, prompt: s.prompt, negative_prompt: s.negative_prompt }));
}

/** `get_memory`: the process's RAM (A1111 reports its own RSS as "used"); "cuda" only means something on CUDA. */
export function memory(api: ApiContext): unknown {
  const total = totalmem();
  const rss = process.memoryUsage().rss;
  return {
    ram: { free: freemem(), used: rss, total },
    cuda: api.server.settings.executionProvider === 'cuda' ? { error: 'memory statistics are not reported by ONNX Runtime' } : { error: 'unavailable' },
  };
}
