// Few-step checkpoints are ordinary SD 1.x/2.x/SDXL files distilled to need few steps and no (or little) guidance;
// what makes them work is the sampler, schedule, steps and CFG their model cards name. A1111 has no presets for
// them: these are those recommendations in A1111's sampler and schedule names.

/** One preset (protocol.ts FewStepPreset mirrors it). */
export interface FewStepPreset {
  name: string;
  /** Which checkpoints or LoRAs it is for. */
  models: string;
  sampler_name: string;
  scheduler: string;
  steps: number;
  cfg_scale: number;
  /** The ranges that also work, as the model cards put them. */
  note: string;
}

export const FEW_STEP_PRESETS: readonly FewStepPreset[] = [
  {
    name: 'LCM', models: 'LCM checkpoints and LCM-LoRA (SD 1.5, SDXL)', sampler_name: 'LCM', scheduler: 'Automatic', steps: 4, cfg_scale: 1,
    note: '2–8 steps, CFG 1–2 (A1111\'s LCM sampler)',
  },
  {
    name: 'Turbo', models: 'SD-Turbo, SDXL-Turbo', sampler_name: 'Euler a', scheduler: 'Automatic', steps: 4, cfg_scale: 1,
    note: '1–4 steps, CFG 1 (trained without guidance); img2img needs steps × denoising ≥ 1',
  },
  {
    name: 'Lightning', models: 'SDXL-Lightning and SD 1.5 Lightning (2-, 4-, 8-step files and LoRAs)', sampler_name: 'Euler', scheduler: 'SGM Uniform', steps: 4, cfg_scale: 1,
    note: 'steps as the file says (2, 4 or 8); Euler with trailing timesteps (SGM Uniform), CFG 1',
  },
  {
    name: 'Hyper-SD', models: 'Hyper-SD / Hyper-SDXL 8-step LoRAs and checkpoints', sampler_name: 'Euler a', scheduler: 'SGM Uniform', steps: 8, cfg_scale: 1,
    note: '1–12 steps as the file says; CFG 1–1.5 (the "CFG" LoRAs want 3–7)',
  },
];
