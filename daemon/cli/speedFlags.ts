// The speed options' flags: per job on `img2img` (txt2img without an init image), `outpaint`, `batch` and the
// scripts (as A1111's override_settings), and as settings on `run` (a .sdprompt spec's own infotext keys win, as
// an override wins over a setting in A1111). The UNet precision and VAE tiling are settings everywhere.
import type { DaemonSettings, Img2ImgParams, VaeMethod } from '../protocol';
import { UsageError, type FlagSpec, type FlagValues } from './args';

const settingFlags: Record<string, FlagSpec> = {
  'vae-tiling': { kind: 'string', help: 'tiled VAE decode/encode: auto (default: images over 1024×1024) | on | off' },
  'unet-precision': { kind: 'string', help: 'UNet arithmetic for checkpoint files: fp32 (default) | int8 (faster on CPUs with VNNI; check quality by eye)' },
};

/** Flags of `run`: every speed option, as settings for all its specs. */
export const speedSettingFlags: Record<string, FlagSpec> = {
  'token-merging-ratio': { kind: 'number', help: 'token merging (ToMe) ratio 0..0.9: faster, a little less detail (default 0 = off; checkpoint files)' },
  's-min-uncond': { kind: 'number', help: 'negative guidance minimum sigma (NGMS): skip the negative prompt on every other step below this noise level (default 0 = off)' },
  'vae-decode': { kind: 'string', help: 'VAE type for decode: full (default) | taesd (tiny autoencoder: much faster, softer)' },
  'vae-encode': { kind: 'string', help: 'VAE type for encode: full (default) | taesd' },
  ...settingFlags,
};

/** Flags of the generation commands. */
export const speedFlags: Record<string, FlagSpec> = {
  ...speedSettingFlags,
  'token-merging-ratio-hr': { kind: 'number', help: 'hires: token merging ratio of the second pass (default: --token-merging-ratio)' },
  'ngms-all-steps': { kind: 'boolean', help: 'with --s-min-uncond: skip on every step below it, not every other one' },
};

function oneOf<T extends string>(flag: string, v: string, allowed: readonly T[]): T {
  const m = allowed.find((a) => a === v.toLowerCase());
  if (!m) throw new UsageError(`--${flag}: expected ${allowed.join(' or ')}, got "${v}"`);
  return m;
}

const vaeMethod = (flag: string, v: string): VaeMethod => (oneOf(flag, v, ['full', 'taesd'] as const) === 'taesd' ? 'TAESD' : 'Full');

/** The per-job options into `p` (override_settings under A1111's option names; NGMS as its top-level field). */
export function speedParamsFromFlags(f: FlagValues, p: Img2ImgParams, o: NonNullable<Img2ImgParams['override_settings']>): void {
  if (typeof f['token-merging-ratio'] === 'number') o.token_merging_ratio = f['token-merging-ratio'];
  if (typeof f['token-merging-ratio-hr'] === 'number') o.token_merging_ratio_hr = f['token-merging-ratio-hr'];
  if (typeof f['s-min-uncond'] === 'number') p.s_min_uncond = f['s-min-uncond'];
  if (f['ngms-all-steps'] === true) o.s_min_uncond_all = true;
  if (typeof f['vae-decode'] === 'string') o.sd_vae_decode_method = vaeMethod('vae-decode', f['vae-decode']);
  if (typeof f['vae-encode'] === 'string') o.sd_vae_encode_method = vaeMethod('vae-encode', f['vae-encode']);
}

/** Settings from the flags: precision and tiling always; with `all`, the per-job options too (for `run`). */
export function speedSettingsFromFlags(f: FlagValues, all = false): Partial<DaemonSettings> {
  const s: Partial<DaemonSettings> = {};
  if (typeof f['unet-precision'] === 'string') s.unetPrecision = oneOf('unet-precision', f['unet-precision'], ['fp32', 'int8'] as const);
  if (typeof f['vae-tiling'] === 'string') s.vaeTiling = oneOf('vae-tiling', f['vae-tiling'], ['auto', 'on', 'off'] as const);
  if (!all) return s;
  if (typeof f['token-merging-ratio'] === 'number') s.tokenMergingRatio = f['token-merging-ratio'];
  if (typeof f['s-min-uncond'] === 'number') s.sMinUncond = f['s-min-uncond'];
  if (typeof f['vae-decode'] === 'string') s.vaeDecodeMethod = vaeMethod('vae-decode', f['vae-decode']);
  if (typeof f['vae-encode'] === 'string') s.vaeEncodeMethod = vaeMethod('vae-encode', f['vae-encode']);
  return s;
}
