// A1111's SDXL refiner ("Refiner" + "Switch at", modules/sd_samplers_common.py: apply_refiner): before every
// model call the sampler's progress is measured — by default as (999 − t) / 1000 with t the index of the
// training sigma nearest the current σ; with "refiner_switch_by_sample_steps" as calls / total steps — and once it
// reaches "switch at" the refiner checkpoint replaces the model (A1111 reloads weights; we swap the loaded model,
// so the base's sessions are freed), the conditioning is made again for it (CLIP-G only, five time_ids with the
// aesthetic scores) and sampling goes on from the same latent. Infotext "Refiner: <name> [<short hash>]",
// "Refiner switch at", written only when the switch happened.
import { basename, extname } from 'node:path';
import { sha256Short } from '../../models/hash';
import { checkpointTitle, resolveCheckpointName } from '../modelFiles/checkpointName';
import type { SdModel } from '../parts/sdModel';
import type { StepConditioning } from './denoise';
import type { JobConditioning } from './encodePrompt';

export interface RefinerRequest {
  /** A1111's `refiner_checkpoint`: a path, a file name, a name, or a title "name [hash]" (modelFiles/checkpointName.ts). */
  checkpoint: string;
  /** 0..1, A1111's default 0.8. */
  switchAt: number;
  bySteps: boolean;
}

/** The refiner asked for, or undefined when off ("None", empty, or switch at 1: A1111 never switches then). */
export function resolveRefiner(r: RefinerRequest | undefined, modelsRoot: string): { file: string; switchAt: number; bySteps: boolean } | undefined {
  if (!r || ['', 'None', 'none'].includes(r.checkpoint.trim()) || r.switchAt >= 1) return undefined;
  return { file: resolveCheckpointName(r.checkpoint, modelsRoot, 'refiner_checkpoint'), switchAt: r.switchAt, bySteps: r.bySteps };
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
export function refinerSwitch(o: {
  file: string; switchAt: number; bySteps: boolean; sigmaTable: ArrayLike<number>; totalSteps: number; load: () => Promise<Refined>;
  /** The job has a hires pass: the refiner runs in the first one (infotext "Hires refiner: first pass"). */
  hires?: boolean;
}): { forRun(): RefinerSwitch['check']; readonly infotext: Record<string, string> | undefined } {
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
          Refiner: checkpointTitle(basename(o.file, extname(o.file)), await sha256Short(o.file)),
          'Refiner switch at': String(o.switchAt),
          ...(o.bySteps ? { 'Refiner switch by sampling steps': 'True' } : {}),
          ...(o.hires ? { 'Hires refiner': 'first pass' } : {}),
        };
        return { model: r.model, conditioning: (k) => c.at(k) };
      };
    },
    get infotext() {
      return infotext;
    },
  };
}
