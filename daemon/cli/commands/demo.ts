import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomicSync } from '../../../models/formats/atomicFile';
import type { ExtrasParams, Img2ImgParams } from '../../protocol';
import { parseFlags, usageText, type FlagSpec } from '../args';
import { DaemonClient } from '../client';
import type { CliCommand } from '../command';
import { drawDemoImage, sideBySide, writeNumberedPng } from '../demoImage';
import { runJobWithProgress } from '../runJob';
import { cachedTinyModel } from '../tinyModelCache';

const flags: Record<string, FlagSpec> = {
  model: { kind: 'string', short: 'm', help: 'a diffusers ONNX model folder (default: $SD_STUDIO_MODEL, else the built-in tiny test model)' },
  outdir: { kind: 'string', short: 'o', help: 'output root (default ./outputs)' },
};

/** The sample picture's size, and the size the demo generates at. */
export const DEMO_SIZE = 512;
/** The built-in upscaler the demo enlarges its result with (a real network, shipped with SD Studio). */
export const DEMO_UPSCALER = 'ESRGAN-Slim 2x';

function cacheDir(): string {
  return resolve(process.env.SD_STUDIO_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sd-studio'));
}

/**
 * The demo's img2img request. The built-in tiny model's analytic denoiser keeps the picture at low strength and
 * drifts from it as strength grows; 0.45 shows both the picture and a visible restyle. A real model gets A1111's
 * usual 0.6.
 */
export function demoImg2imgParams(source: string, model: string, real: boolean, outdir: string): Img2ImgParams & { prompt: string; steps: number; sampler_name: string } {
  return {
    prompt: 'a lighthouse on a hill at dusk, (warm light:1.2), oil painting',
    negative_prompt: 'blurry, lowres',
    init_images: [source],
    denoising_strength: real ? 0.6 : 0.45,
    sampler_name: 'Euler a',
    steps: 20,
    cfg_scale: 7,
    seed: 1234567,
    width: DEMO_SIZE,
    height: DEMO_SIZE,
    resize_mode: 1,
    model,
    outdir,
  };
}

/** The demo's extras request: ×2 with the built-in ESRGAN-Slim, saved in `<outdir>/extras-images/`. */
export function demoExtrasParams(image: string, outdir: string): ExtrasParams {
  return { images: [image], resize_mode: 0, upscaling_resize: 2, upscaler_1: DEMO_UPSCALER, outdir };
}

/**
 * The built-in tiny model and the sample picture are the CLI's own set-up, made before a daemon exists (built by
 * code, no download); the daemon only ever sees a model folder and image files, reached like any others through
 * `sd/img2img`, `sd/pngInfo.read`, `sd/infotext.parse` and `sd/extras`.
 */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'img2img on a sample picture with a fixed prompt and seed, then a ×2 AI upscale and a side-by-side (the built-in tiny model when none is configured)',
  usage: () => usageText('demo', '[--model DIR] [--outdir DIR]', flags),
  async run(argv) {
    const { flags: f } = parseFlags(argv, flags);
    const configured = (f.model as string | undefined) ?? process.env.SD_STUDIO_MODEL;
    const real = Boolean(configured);
    const model = configured ? resolve(configured) : await cachedTinyModel(cacheDir());
    const outdir = resolve((f.outdir as string | undefined) ?? 'outputs');
    const work = join(cacheDir(), 'demo');
    mkdirSync(work, { recursive: true });
    const source = join(work, 'sample-dusk.png');
    writeFileAtomicSync(source, await drawDemoImage(DEMO_SIZE, DEMO_SIZE));
    const params = demoImg2imgParams(source, model, real, outdir);
    process.stderr.write(`sd-studio demo: img2img of ${source}\n  model: ${model}${real ? '' : ' (built-in tiny TEST model)'}\n`);
    const client = await DaemonClient.start();
    try {
      const outcome = await runJobWithProgress(client, 'sd/img2img', params, 'demo');
      const img = outcome.result?.images[0];
      if (!img?.path) {
        process.stderr.write(`sd-studio demo: ${outcome.error ?? 'img2img wrote no image'}\n`);
        return outcome.exitCode ?? 1;
      }
      // Read the written PNG back and parse its infotext, through the protocol like a panel would.
      const { infos } = await client.request('sd/pngInfo.read', { files: [img.path] });
      const text = infos[0]?.raw['parameters'] ?? '';
      const back = await client.request('sd/infotext.parse', { text });
      const same = back.fields['Seed'] === String(img.seed) && back.fields['Steps'] === String(params.steps) && back.fields['Sampler'] === params.sampler_name && back.params.prompt === params.prompt;
      process.stdout.write(`${img.path}\n`);
      process.stderr.write(`  parameters chunk:\n    ${text.replace(/\n/g, '\n    ')}\n  parses back to the same settings: ${same ? 'yes' : 'NO'}\n`);
      if (!same) return 1;

      const up = await runJobWithProgress(client, 'sd/extras', demoExtrasParams(img.path, outdir), 'upscale');
      const upscaled = up.result?.images[0];
      if (!upscaled?.path) {
        process.stderr.write(`sd-studio demo: upscale: ${upscaled?.error ?? up.error ?? 'no image written'}\n`);
        return up.exitCode ?? 1;
      }
      process.stdout.write(`${upscaled.path}\n`);
      process.stderr.write(`  ×2 with ${DEMO_UPSCALER} (built in): ${upscaled.width}×${upscaled.height}\n`);

      const row = writeNumberedPng(join(outdir, 'demo'), 'side-by-side', await sideBySide([source, img.path, upscaled.path]));
      process.stdout.write(`${row}\n`);
      process.stderr.write('  side by side: input | img2img | upscaled\n');
      if (!real) {
        process.stderr.write(
          '\nThe img2img comes from a tiny TEST model built by SD Studio itself: an analytic autoencoder and denoiser, no training.\n' +
            'It keeps the picture at low denoising strength and drifts from it at high strength; the prompt only tints.\n' +
            'The upscale is a real network. For real art, point at a Stable Diffusion model (a diffusers ONNX folder, or an SD 1.x/2.x .safetensors/.ckpt):\n' +
            '  npm run demo -- --model /path/to/stable-diffusion-v1-5-onnx\n' +
            '  or set SD_STUDIO_MODEL (CLI) / the sdStudio.modelsRoot and sdStudio.model settings (VS Code).\n',
        );
      }
      return 0;
    } finally {
      await client.stop();
    }
  },
};
