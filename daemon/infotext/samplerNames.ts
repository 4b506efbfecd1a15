// Other generators' sampler and schedule names → A1111's, for send-to and for the infotexts built from their
// settings. One table per source family (each family names samplers its own way: ComfyUI's k-diffusion function
// names, NovelAI's k_* ids, InvokeAI's diffusers-scheduler ids, kohya's and Easy Diffusion's option values, Draw
// Things' display names). Every result is a name `sampling/catalog.ts: resolveSampler` accepts; a name with no
// A1111 equivalent (TCD, DDPM, DEIS, ...) is reported as unmapped, never passed on for img2img to reject.

import { resolveSampler } from '../sampling';
import type { InfoFormat } from './generationInfo';

export type NameFamily =
  | 'a1111' | 'comfyui' | 'novelai' | 'invokeai' | 'invokeai-legacy' | 'diffusers' | 'kohya' | 'easydiffusion' | 'drawthings'
  | 'any'; // an unknown writer: every table is tried

/** A1111 sampler, or sampler plus the schedule the id implies ("dpmpp_2m_k" → DPM++ 2M, Karras). */
type Target = string | readonly [sampler: string, schedule: string];
type Table = Readonly<Record<string, Target>>;
/** Schedule id → A1111 schedule type. */
type Schedules = Readonly<Record<string, string>>;

// ComfyUI KSampler.SAMPLERS (comfy/samplers.py); SwarmUI, Fooocus, TensorArt and ComfyUI save nodes use them too.
const COMFY: Table = {
  euler: 'Euler', euler_ancestral: 'Euler a', heun: 'Heun', dpm_2: 'DPM2', dpm_2_ancestral: 'DPM2 a', lms: 'LMS',
  dpm_fast: 'DPM fast', dpm_adaptive: 'DPM adaptive', dpmpp_2s_ancestral: 'DPM++ 2S a', dpmpp_sde: 'DPM++ SDE',
  dpmpp_sde_gpu: 'DPM++ SDE', dpmpp_2m: 'DPM++ 2M', dpmpp_2m_sde: 'DPM++ 2M SDE', dpmpp_2m_sde_gpu: 'DPM++ 2M SDE',
  dpmpp_3m_sde: 'DPM++ 3M SDE', dpmpp_3m_sde_gpu: 'DPM++ 3M SDE', ddim: 'DDIM', uni_pc: 'UniPC', uni_pc_bh2: 'UniPC',
  lcm: 'LCM', restart: 'Restart', plms: 'PLMS',
};
// ComfyUI KSampler.SCHEDULERS, plus Fooocus' additions. "normal" is what A1111's Automatic gives these samplers.
const COMFY_SCHEDULES: Schedules = {
  normal: 'Automatic', karras: 'Karras', exponential: 'Exponential', sgm_uniform: 'SGM Uniform', simple: 'Simple',
  ddim_uniform: 'DDIM', beta: 'Beta', kl_optimal: 'KL Optimal', align_your_steps: 'Align Your Steps',
};
// NovelAI's sampler ids (Comment "sampler") and noise_schedule values.
const NOVELAI: Table = {
  k_euler: 'Euler', k_euler_ancestral: 'Euler a', k_dpmpp_2s_ancestral: 'DPM++ 2S a', k_dpmpp_2m: 'DPM++ 2M',
  k_dpmpp_sde: 'DPM++ SDE', k_dpmpp_2m_sde: 'DPM++ 2M SDE', k_dpm_2: 'DPM2', k_dpm_2_ancestral: 'DPM2 a', k_lms: 'LMS',
  k_heun: 'Heun', k_dpm_adaptive: 'DPM adaptive', k_dpm_fast: 'DPM fast', ddim: 'DDIM', ddim_v3: 'DDIM', plms: 'PLMS',
};
const NOVELAI_SCHEDULES: Schedules = { native: 'Automatic', karras: 'Karras', exponential: 'Exponential', polyexponential: 'Polyexponential' };
// InvokeAI 3.x/4.x `scheduler` values (invokeai/backend/stable_diffusion/schedulers); "_k" = Karras sigmas.
const INVOKEAI: Table = {
  ddim: 'DDIM', lms: 'LMS', lms_k: ['LMS', 'Karras'], pndm: 'PLMS', heun: 'Heun', heun_k: ['Heun', 'Karras'],
  euler: 'Euler', euler_k: ['Euler', 'Karras'], euler_a: 'Euler a', kdpm_2: 'DPM2', kdpm_2_k: ['DPM2', 'Karras'],
  kdpm_2_a: 'DPM2 a', kdpm_2_a_k: ['DPM2 a', 'Karras'], dpmpp_sde: 'DPM++ SDE', dpmpp_sde_k: ['DPM++ SDE', 'Karras'],
  dpmpp_2m: 'DPM++ 2M', dpmpp_2m_k: ['DPM++ 2M', 'Karras'], dpmpp_2m_sde: 'DPM++ 2M SDE',
  dpmpp_2m_sde_k: ['DPM++ 2M SDE', 'Karras'], unipc: 'UniPC', unipc_k: ['UniPC', 'Karras'], lcm: 'LCM',
};
// InvokeAI 2.x / lstein (ldm/invoke/args.py SAMPLER_CHOICES): k-diffusion ids; 2.3's diffusers ids as 3.x.
const INVOKEAI_LEGACY: Table = {
  ...INVOKEAI, plms: 'PLMS', k_lms: 'LMS', k_dpm_2: 'DPM2', k_dpm_2_a: 'DPM2 a', k_dpmpp_2: 'DPM++ 2M',
  k_dpmpp_2_a: 'DPM++ 2S a', k_euler: 'Euler', k_euler_a: 'Euler a', k_heun: 'Heun',
};
// diffusers scheduler classes (what HF Spaces and diffusers-based trainers record).
const DIFFUSERS: Table = {
  DDIMScheduler: 'DDIM', PNDMScheduler: 'PLMS', LMSDiscreteScheduler: 'LMS', EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a', HeunDiscreteScheduler: 'Heun', DPMSolverMultistepScheduler: 'DPM++ 2M',
  DPMSolverSDEScheduler: 'DPM++ SDE', KDPM2DiscreteScheduler: 'DPM2', KDPM2AncestralDiscreteScheduler: 'DPM2 a',
  UniPCMultistepScheduler: 'UniPC', LCMScheduler: 'LCM',
};
// kohya sd-scripts `--sampler` / `sample_sampler` choices (library/train_util.py: get_my_scheduler).
const KOHYA: Table = {
  ddim: 'DDIM', pndm: 'PLMS', lms: 'LMS', k_lms: 'LMS', euler: 'Euler', k_euler: 'Euler', euler_a: 'Euler a',
  k_euler_a: 'Euler a', heun: 'Heun', dpm_2: 'DPM2', k_dpm_2: 'DPM2', dpm_2_a: 'DPM2 a', k_dpm_2_a: 'DPM2 a',
  'dpmsolver++': 'DPM++ 2M',
};
// Easy Diffusion `sampler_name` values (sdkit's sampler list).
const EASYDIFFUSION: Table = {
  plms: 'PLMS', ddim: 'DDIM', heun: 'Heun', euler: 'Euler', euler_a: 'Euler a', dpm2: 'DPM2', dpm2_a: 'DPM2 a', lms: 'LMS',
  dpmpp_2s_a: 'DPM++ 2S a', dpmpp_2m: 'DPM++ 2M', dpmpp_2m_sde: 'DPM++ 2M SDE', dpmpp_3m_sde: 'DPM++ 3M SDE',
  dpmpp_sde: 'DPM++ SDE', dpm_fast: 'DPM fast', dpm_adaptive: 'DPM adaptive', unipc_snr: 'UniPC', unipc_tu: 'UniPC',
  unipc_snr_2: 'UniPC', unipc_tu_2: 'UniPC', unipc_tq: 'UniPC', lcm: 'LCM',
};
// Draw Things display names: a base sampler and a schedule word ("DPM++ 2M Karras", "Euler A Trailing", "UniPC AYS").
const DRAWTHINGS: Table = {
  'dpm++ 2m': 'DPM++ 2M', 'euler a': 'Euler a', 'euler ancestral': 'Euler a', ddim: 'DDIM', plms: 'PLMS',
  'dpm++ sde': 'DPM++ SDE', unipc: 'UniPC', lcm: 'LCM',
};
const DRAWTHINGS_SCHEDULE_WORDS: Readonly<Record<string, string>> = {
  karras: 'Karras', trailing: 'SGM Uniform', ays: 'Align Your Steps', substep: 'Automatic',
};

const SAMPLER_TABLES: Record<Exclude<NameFamily, 'a1111' | 'any'>, Table> = {
  comfyui: COMFY, novelai: NOVELAI, invokeai: INVOKEAI, 'invokeai-legacy': INVOKEAI_LEGACY, diffusers: DIFFUSERS,
  kohya: KOHYA, easydiffusion: EASYDIFFUSION, drawthings: DRAWTHINGS,
};
const SCHEDULE_TABLES: Partial<Record<NameFamily, Schedules>> = { comfyui: COMFY_SCHEDULES, novelai: NOVELAI_SCHEDULES };

/** The family whose names a format's `sampler` / `scheduleType` fields carry. */
export function familyOf(format: InfoFormat): NameFamily {
  switch (format) {
    case 'comfyui': case 'swarmui': case 'fooocus': case 'tensorart': case 'civitai': return 'comfyui';
    case 'novelai': case 'invokeai': case 'invokeai-legacy': case 'kohya': case 'diffusers': case 'easydiffusion': case 'drawthings':
      return format;
    case 'json': return 'any';
    default: return 'a1111';
  }
}

export interface A1111Names {
  sampler_name?: string;
  scheduler?: string;
  /** The names that have no A1111 equivalent (left to the img2img defaults). */
  unmapped: string[];
}

/** A name A1111 itself knows ("Euler a", "k_euler_a", "DPM++ 2M Karras") → sampler and schedule it implies. */
function asA1111(name: string): { sampler: string; schedule?: string } | undefined {
  try {
    const r = resolveSampler(name);
    return { sampler: r.sampler, ...(r.requestedScheduler !== 'Automatic' ? { schedule: r.requestedScheduler } : {}) };
  } catch {
    return undefined;
  }
}

function asA1111Schedule(name: string): string | undefined {
  try {
    return resolveSampler('Euler', name).requestedScheduler;
  } catch {
    return undefined;
  }
}

const split = (t: Target): { sampler: string; schedule?: string } => (typeof t === 'string' ? { sampler: t } : { sampler: t[0], schedule: t[1] });

function lookup<T>(table: Readonly<Record<string, T>>, id: string): T | undefined {
  return Object.hasOwn(table, id) ? table[id] : Object.hasOwn(table, id.toLowerCase()) ? table[id.toLowerCase()] : undefined;
}

/** One family's reading of a sampler id (family-specific spellings first, then A1111's own names). */
function samplerIn(family: Exclude<NameFamily, 'any'>, id: string): { sampler: string; schedule?: string } | undefined {
  if (family === 'a1111') return asA1111(id);
  const table = SAMPLER_TABLES[family];
  // k-diffusion's function names ("sample_dpmpp_2m": older ComfyUI graphs, scripts) name the same samplers.
  const direct = lookup(table, id) ?? (/^sample_/i.test(id) ? lookup(table, id.slice(7)) : undefined);
  if (direct) return split(direct);
  if (family === 'comfyui') {
    // ComfyUI Image Saver writes "<sampler>_<scheduler>" ("euler_karras", "dpmpp_2m_sde_gpu_exponential").
    for (const [sched, label] of Object.entries(COMFY_SCHEDULES)) {
      const base = id.endsWith(`_${sched}`) ? lookup(table, id.slice(0, -sched.length - 1)) : undefined;
      if (base) return { sampler: split(base).sampler, ...(label !== 'Automatic' ? { schedule: label } : {}) };
    }
  }
  if (family === 'drawthings') {
    const m = /^(.*?)\s+(karras|trailing|ays|substep)$/i.exec(id.trim());
    const base = m ? lookup(table, m[1]!) : undefined;
    const label = m ? DRAWTHINGS_SCHEDULE_WORDS[m[2]!.toLowerCase()] : undefined;
    if (base && label) return { sampler: split(base).sampler, ...(label !== 'Automatic' ? { schedule: label } : {}) };
  }
  return asA1111(id);
}

function scheduleIn(family: Exclude<NameFamily, 'any'>, id: string): string | undefined {
  const table = SCHEDULE_TABLES[family];
  return (table ? lookup(table, id) : undefined) ?? asA1111Schedule(id);
}

/** Longer than any sampler or schedule name any tool writes. */
const MAX_NAME = 120;

const FAMILIES_TRIED: Array<Exclude<NameFamily, 'any'>> = ['a1111', 'comfyui', 'invokeai-legacy', 'novelai', 'diffusers', 'kohya', 'easydiffusion', 'drawthings'];

/**
 * A1111's sampler and schedule type for another generator's names. The schedule a sampler id implies
 * ("dpmpp_2m_k", "DPM++ 2M Karras") is used unless another schedule is given.
 */
export function a1111Names(family: NameFamily, sampler: string | null, schedule: string | null): A1111Names {
  const out: A1111Names = { unmapped: [] };
  // Names come from untrusted metadata: a name longer than any real one is not looked up (the lookups' regexes
  // stay cheap) and is quoted cut short.
  if (sampler && sampler.length > MAX_NAME) {
    out.unmapped.push(`${sampler.slice(0, 60)}…`);
    sampler = null;
  }
  if (schedule && schedule.length > MAX_NAME) {
    out.unmapped.push(`${schedule.slice(0, 60)}…`);
    schedule = null;
  }
  const families = family === 'any' ? FAMILIES_TRIED : [family];
  if (sampler) {
    const found = families.map((f) => samplerIn(f, sampler)).find((x) => x !== undefined);
    if (found) {
      out.sampler_name = found.sampler;
      if (found.schedule) out.scheduler = found.schedule;
    } else out.unmapped.push(sampler);
  }
  if (schedule) {
    const found = families.map((f) => scheduleIn(f, schedule)).find((x) => x !== undefined);
    if (found === undefined) out.unmapped.push(schedule);
    // An explicit schedule wins; "Automatic" (ComfyUI's "normal") does not undo one the sampler id implies.
    else if (found !== 'Automatic' || out.scheduler === undefined) out.scheduler = found;
  }
  return out;
}
