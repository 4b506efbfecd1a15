// THE list of A1111 sampler names (UI order), their aliases, defaults and quirks — shared by the CLI, the
// daemon, the panels and the .sdprompt completions. Sources: sd_samplers_kdiffusion.samplers_k_diffusion,
// sd_samplers_timesteps.samplers_timesteps, sd_samplers_lcm.
import { schedulerAliases, schedulerNames } from './schedules';

export interface SamplerInfo {
  name: string;
  aliases: string[];
  /** Label "Automatic" resolves to ("Automatic" = the model's discrete Uniform schedule). */
  defaultScheduler: string;
  discardPenultimate: boolean;
  /** Eta noise seed delta applies (A1111 `uses_ensd`). */
  usesEnsd: boolean;
  /** Noise from a Brownian tree seeded with the batch seeds (A1111 `brownian_noise`). */
  brownianNoise: boolean;
  secondOrder: boolean;
  /** DDIM / PLMS / UniPC: timestep-based, schedule type ignored. LCM: its own LCM schedule. */
  kind: 'k-diffusion' | 'timesteps' | 'lcm';
  /** Factor on the CFG scale inside the CFG denoiser (A1111 `cond_scale_miltiplier`; CFG++: 1/12.5). */
  cfgScaleMultiplier: number;
}

const k = (name: string, aliases: string[], o: Partial<SamplerInfo> = {}): SamplerInfo => ({
  name, aliases, defaultScheduler: 'Automatic', discardPenultimate: false, usesEnsd: false, brownianNoise: false,
  secondOrder: false, kind: 'k-diffusion', cfgScaleMultiplier: 1, ...o,
});

const CATALOG: SamplerInfo[] = [
  k('DPM++ 2M', ['k_dpmpp_2m'], { defaultScheduler: 'Karras' }),
  k('DPM++ SDE', ['k_dpmpp_sde'], { defaultScheduler: 'Karras', secondOrder: true, brownianNoise: true }),
  k('DPM++ 2M SDE', ['k_dpmpp_2m_sde'], { defaultScheduler: 'Exponential', brownianNoise: true }),
  k('DPM++ 2M SDE Heun', ['k_dpmpp_2m_sde_heun'], { defaultScheduler: 'Exponential', brownianNoise: true }),
  k('DPM++ 2S a', ['k_dpmpp_2s_a'], { defaultScheduler: 'Karras', usesEnsd: true, secondOrder: true }),
  k('DPM++ 3M SDE', ['k_dpmpp_3m_sde'], { defaultScheduler: 'Exponential', discardPenultimate: true, brownianNoise: true }),
  k('Euler a', ['k_euler_a', 'k_euler_ancestral'], { usesEnsd: true }),
  k('Euler', ['k_euler']),
  k('LMS', ['k_lms']),
  k('Heun', ['k_heun'], { secondOrder: true }),
  k('DPM2', ['k_dpm_2'], { defaultScheduler: 'Karras', discardPenultimate: true, secondOrder: true }),
  k('DPM2 a', ['k_dpm_2_a'], { defaultScheduler: 'Karras', discardPenultimate: true, usesEnsd: true, secondOrder: true }),
  k('DPM fast', ['k_dpm_fast'], { usesEnsd: true }),
  k('DPM adaptive', ['k_dpm_ad'], { usesEnsd: true }),
  k('Restart', ['restart'], { defaultScheduler: 'Karras', secondOrder: true }),
  k('DDIM', ['ddim'], { kind: 'timesteps' }),
  k('DDIM CFG++', ['ddim_cfgpp'], { kind: 'timesteps', cfgScaleMultiplier: 1 / 12.5 }),
  k('PLMS', ['plms'], { kind: 'timesteps' }),
  k('UniPC', ['unipc'], { kind: 'timesteps' }),
  k('LCM', ['k_lcm'], { kind: 'lcm' }),
];

/** Pre-1.9 combined names ("DPM++ 2M Karras") and their k_*_ka aliases. */
const LEGACY_KARRAS_ALIASES: Record<string, string> = {
  k_lms_ka: 'LMS', k_dpm_2_ka: 'DPM2', k_dpm_2_a_ka: 'DPM2 a', k_dpmpp_2s_a_ka: 'DPM++ 2S a',
  k_dpmpp_2m_ka: 'DPM++ 2M', k_dpmpp_sde_ka: 'DPM++ SDE', k_dpmpp_2m_sde_ka: 'DPM++ 2M SDE',
  k_dpmpp_2m_sde_heun_ka: 'DPM++ 2M SDE Heun', k_dpmpp_3m_sde_ka: 'DPM++ 3M SDE',
};

export function samplerCatalog(): { name: string; aliases: string[]; defaultScheduler: string }[] {
  return CATALOG.map((s) => ({ name: s.name, aliases: [...s.aliases], defaultScheduler: s.defaultScheduler }));
}
export { schedulerNames };
export const samplerNames: string[] = CATALOG.map((s) => s.name);

export function samplerInfo(name: string): SamplerInfo {
  const s = CATALOG.find((c) => c.name === name);
  if (!s) throw new Error(`unknown sampler "${name}"; valid samplers: ${samplerNames.join(', ')}`);
  return s;
}

function findSampler(name: string): SamplerInfo | undefined {
  const n = name.trim();
  const lower = n.toLowerCase();
  return CATALOG.find((c) => c.name === n) ?? CATALOG.find((c) => c.name.toLowerCase() === lower || c.aliases.includes(n) || c.aliases.includes(lower));
}

function findScheduler(name: string): string | undefined {
  const n = name.trim();
  return schedulerNames.find((s) => s === n) ?? schedulerAliases[n] ?? schedulerNames.find((s) => s.toLowerCase() === n.toLowerCase())
    ?? schedulerAliases[n.toLowerCase()];
}

export interface ResolvedSampler {
  sampler: string;
  /** The resolved label as written to infotext "Schedule type" ("Karras" for DPM++ 2M + Automatic; "Automatic" stays for Euler a). */
  scheduler: string;
  /** The label the user chose (or the legacy name implied), before Automatic was resolved. */
  requestedScheduler: string;
  discardPenultimate: boolean;
  usesEnsd: boolean;
  brownianNoise: boolean;
  kind: SamplerInfo['kind'];
  cfgScaleMultiplier: number;
}

/**
 * A sampler name as typed or found in an infotext (display name, k_* alias, or a legacy combined name such as
 * "DPM++ 2M Karras" / "k_dpmpp_2m_ka") plus an optional schedule type → sampler + resolved schedule label.
 */
export function resolveSampler(name: string, scheduler?: string): ResolvedSampler {
  let info = findSampler(name);
  let implied: string | undefined;
  const legacy = LEGACY_KARRAS_ALIASES[name.trim()];
  if (!info && legacy) {
    info = findSampler(legacy);
    implied = 'Karras';
  }
  if (!info) {
    // "<sampler> <schedule label>" (A1111 infotext_utils: a sampler name ending in a scheduler label)
    for (const label of [...schedulerNames, 'SGMUniform']) {
      if (label === 'Automatic') continue;
      if (name.trim().endsWith(' ' + label)) {
        const base = findSampler(name.trim().slice(0, -label.length - 1));
        if (base) { info = base; implied = findScheduler(label); break; }
      }
    }
  }
  if (!info) throw new Error(`unknown sampler "${name}"; valid samplers: ${samplerNames.join(', ')}`);
  let requested = 'Automatic';
  if (scheduler !== undefined && scheduler.trim() !== '') {
    const s = findScheduler(scheduler);
    if (!s) throw new Error(`unknown schedule type "${scheduler}"; valid schedule types: ${schedulerNames.join(', ')}`);
    requested = s;
  }
  if (requested === 'Automatic' && implied) requested = implied;
  const resolved = info.kind !== 'k-diffusion' ? requested : requested === 'Automatic' ? info.defaultScheduler : requested;
  return {
    sampler: info.name, scheduler: resolved, requestedScheduler: requested, discardPenultimate: info.discardPenultimate,
    usesEnsd: info.usesEnsd, brownianNoise: info.brownianNoise, kind: info.kind, cfgScaleMultiplier: info.cfgScaleMultiplier,
  };
}
