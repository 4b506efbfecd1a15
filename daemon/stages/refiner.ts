// A1111's SDXL refiner ("Refiner" + "Switch at", modules/sd_samplers_common.py: apply_refiner): before every
// model call the sampler's progress is measured — by default as (999 − t) / 1000 with t the index of the
// training sigma nearest the current σ; with "refiner_switch_by_sample_steps" as calls / total steps — and once it
// reaches "switch at" the refiner checkpoint replaces the model (A1111 reloads weights; we swap the loaded model,
// so the base's sessions are freed), the conditioning is made again for it (CLIP-G only, five time_ids with the
// aesthetic scores) and sampling goes on from the same latent. Infotext "Refiner: <name> [<short hash>]",
// "Refiner switch at", written only when the switch happened.
import { existsSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join } from 'node:path';
import { filesUnder } from '../../models/folderWalk';
import { sha256Short } from '../../models/hash';
import { invalidParam } from '../errors';
import type { SdModel } from '../parts/sdModel';
import type { StepConditioning } from './denoise';
import type { JobConditioning } from './encodePrompt';

const CHECKPOINT_EXTS = ['.safetensors', '.ckpt'];

export interface RefinerRequest {
  /** A1111's `refiner_checkpoint`: a path, a file name, a name, or a title "name [hash]" under Stable-diffusion/. */
  checkpoint: string;
  /** 0..1, A1111's default 0.8. */
  switchAt: number;
  bySteps: boolean;
}

/**
 * A1111's checkpoint lookup by title (sd_models.get_closet_checkpoint_match) under `<root>/Stable-diffusion` or
 * `<root>/models/Stable-diffusion`: an existing path as is; else by file name, name, or "name [hash]". (The models
 * root's folder layout belongs in one registry module; this is the one lookup the refiner needs.)
 */
export function findCheckpoint(modelsRoot: string, title: string): string | undefined {
  if (isAbsolute(title) && existsSync(title)) return title;
  const name = title.replace(/\s*\[[0-9a-f]{8,10}\]\s*$/i, '').trim();
  for (const d of checkpointDirs(modelsRoot)) {
    for (const f of filesUnder(d, CHECKPOINT_EXTS)) {
      const stem = basename(f.name, extname(f.name));
      if (f.name === name || stem === name || f.path.slice(d.length + 1) === name || f.path.slice(d.length + 1, -extname(f.name).length) === name) return f.path;
    }
  }
  return undefined;
}

/** The checkpoints under Stable-diffusion/, named by their path in it (A1111's checkpoint titles without hash). */
export function listCheckpoints(modelsRoot: string): string[] {
  const out: string[] = [];
  for (const d of checkpointDirs(modelsRoot)) for (const f of filesUnder(d, CHECKPOINT_EXTS)) out.push(f.path.slice(d.length + 1));
  return out;
}

function checkpointDirs(modelsRoot: string): string[] {
  return modelsRoot ? [join(modelsRoot, 'Stable-diffusion'), join(modelsRoot, 'models', 'Stable-diffusion')].filter((d) => existsSync(d) && statSync(d).isDirectory()) : [];
}

/** The refiner asked for, or undefined when off ("None", empty, or switch at 1: A1111 never switches then). */
export function resolveRefiner(r: RefinerRequest | undefined, modelsRoot: string): { file: string; switchAt: number; bySteps: boolean } | undefined {
  if (!r || ['', 'None', 'none'].includes(r.checkpoint.trim()) || r.switchAt >= 1) return undefined;
  const file = findCheckpoint(modelsRoot, r.checkpoint);
  if (!file) throw invalidParam('refiner_checkpoint', `refiner "${r.checkpoint}" not found${modelsRoot ? ` in ${join(modelsRoot, 'Stable-diffusion')}` : ' (no models root set)'}`, 'a checkpoint path, or a name under Stable-diffusion/');
  return { file, switchAt: r.switchAt, bySteps: r.bySteps };
}

/** A1111's completed ratio at σ: (999 − argmin |σ_table − σ|) / 1000. */
export function completedRatio(sigma: number, table: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < table.length; i++) if (Math.abs(table[i]! - sigma) < Math.abs(table[best]! - sigma)) best = i;
  return (999 - best) / 1000;
}

/** What the denoiser continues with after the switch. */
export interface Refined {
  model: SdModel;
  conditioning: JobConditioning;
}

export interface RefinerSwitch {
  /** For `denoise`'s `switchModel`: checked before each model call (`call` counts them from 0). */
  check(sigma: number, call: number): Promise<{ model: SdModel; conditioning: (call: number) => StepConditioning } | undefined>;
  /** Infotext keys once a switch happened in this job. */
  readonly infotext: Record<string, string> | undefined;
}

/**
 * One switch per sampling run; `load` brings the refiner in with its conditioning (once per job, the
 * conditioning is reused by later batches). `totalSteps`: the steps the sampler runs (for the by-steps ratio).
 */
export function refinerSwitch(o: { file: string; switchAt: number; bySteps: boolean; sigmaTable: ArrayLike<number>; totalSteps: number; load: () => Promise<Refined> }): { forRun(): RefinerSwitch['check']; readonly infotext: Record<string, string> | undefined } {
  let infotext: Record<string, string> | undefined;
  let conditioning: JobConditioning | undefined;
  return {
    forRun() {
      let done = false;
      return async (sigma, call) => {
        if (done) return undefined;
        const ratio = o.bySteps ? call / o.totalSteps : completedRatio(sigma, o.sigmaTable);
        if (ratio < o.switchAt) return undefined;
        done = true;
        const r = await o.load();
        conditioning ??= r.conditioning;
        const c = conditioning;
        infotext = {
          Refiner: `${basename(o.file, extname(o.file))} [${await sha256Short(o.file)}]`,
          'Refiner switch at': String(o.switchAt),
          ...(o.bySteps ? { 'Refiner switch by sampling steps': 'True' } : {}),
        };
        return { model: r.model, conditioning: (k) => c.at(k) };
      };
    },
    get infotext() {
      return infotext;
    },
  };
}
