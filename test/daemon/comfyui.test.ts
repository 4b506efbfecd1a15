// The ComfyUI backend against recorded ComfyUI traffic (no ComfyUI server runs here): the graphs it builds from
// standard nodes, progress and previews from the websocket, results saved with their infotext, cancel, errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { parseGenerationParameters } from '../../daemon/infotext/a1111';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import { ErrorCodes } from '../../daemon/protocol';
import { startFakeComfy, type FakeComfy } from './fakeComfyUi';
import { startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir('sd-studio-comfy-');
let comfy: FakeComfy;
let daemon: TestDaemon;
const png = (w: number, h: number, c: string): Promise<Buffer> => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();

before(async () => {
  comfy = await startFakeComfy(await png(64, 64, '#246'), await png(8, 8, '#888'));
  daemon = await startDaemon({ outputDir: join(work, 'out'), previewEvery: 1, model: 'tiny', backends: [{ name: 'comfy', kind: 'comfyui', url: comfy.url }] });
});
after(async () => {
  await daemon?.stop();
  await comfy?.close();
});

describe('comfyui backend (recorded traffic)', () => {
  it('lists its checkpoints', async () => {
    const { backends } = await daemon.request('sd/backends.list', {});
    assert.deepEqual(backends[0]?.models, ['sd_xl_base_1.0.safetensors', 'sd15/tiny.safetensors']);
    assert.equal(backends[0]?.state, 'up');
  });

  it('txt2img: one standard-node prompt per image with A1111 seeds; progress, previews, results saved with infotext', async () => {
    let progress = 0;
    let previews = 0;
    daemon.on('sd/job.progress', (p) => p.jobId === 't2i' && progress++);
    daemon.on('sd/job.preview', (p) => p.jobId === 't2i' && previews++);
    const before = comfy.prompts.length;
    const r = await daemon.request('sd/img2img', { prompt: 'a lighthouse', negative_prompt: 'fog', seed: 50, n_iter: 2, steps: 4, cfg_scale: 6, width: 64, height: 64, sampler_name: 'Euler a', jobId: 't2i', override_settings: { CLIP_stop_at_last_layers: 2 } });
    assert.equal(r.backend, 'comfy');
    const graphs = comfy.prompts.slice(before);
    assert.equal(graphs.length, 2);
    const types = Object.values(graphs[0]!).map((n) => n.class_type).sort();
    assert.deepEqual(types, ['CLIPSetLastLayer', 'CLIPTextEncode', 'CLIPTextEncode', 'CheckpointLoaderSimple', 'EmptyLatentImage', 'KSampler', 'PreviewImage', 'VAEDecode']);
    const ks = Object.values(graphs[0]!).find((n) => n.class_type === 'KSampler')!.inputs;
    assert.deepEqual({ ...ks, positive: undefined, negative: undefined, latent_image: undefined, model: undefined }, { seed: 50, steps: 4, cfg: 6, sampler_name: 'euler_ancestral', scheduler: 'normal', denoise: 1, positive: undefined, negative: undefined, latent_image: undefined, model: undefined });
    assert.equal(Object.values(graphs[1]!).find((n) => n.class_type === 'KSampler')!.inputs.seed, 51);
    assert.equal(Object.values(graphs[0]!).find((n) => n.class_type === 'CheckpointLoaderSimple')!.inputs.ckpt_name, 'sd15/tiny.safetensors');
    assert.equal(Object.values(graphs[0]!).find((n) => n.class_type === 'CLIPSetLastLayer')!.inputs.stop_at_clip_layer, -2);
    assert.deepEqual(r.images.map((i) => i.seed), [50, 51]);
    for (const img of r.images) {
      const f = parseGenerationParameters(img.infotext);
      assert.equal(f.prompt, 'a lighthouse');
      assert.equal(f.fields['Sampler'], 'Euler a');
      assert.equal(f.fields['Model'], 'tiny');
      assert.equal(f.fields['Clip skip'], '2');
      assert.equal(f.fields['Seed'], String(img.seed));
      assert.equal(readPngTextChunks(readFileSync(img.path!)).find((c) => c.keyword === 'parameters')?.text, img.infotext);
      assert.match(img.path!, /txt2img-images/);
    }
    assert.ok(progress >= 8, `progress notifications: ${progress}`);
    assert.ok(previews >= 1, 'previews from binary websocket frames');
  });

  it('inpaint: init image and the prepared mask uploaded; VAEEncodeForInpaint for fill, A1111 step count for the strength', async () => {
    const init = join(work, 'init.png');
    const mask = join(work, 'mask.png');
    await sharp(await png(64, 64, '#c84')).toFile(init);
    await sharp(await png(64, 64, '#fff')).toFile(mask);
    const before = comfy.prompts.length;
    const r = await daemon.request('sd/img2img', { prompt: 'a door', seed: 9, steps: 20, width: 64, height: 64, sampler_name: 'DPM++ 2M', init_images: [init], mask, inpainting_fill: 0, denoising_strength: 0.5 });
    const g = comfy.prompts[before]!;
    const nodes = Object.values(g);
    assert.ok(nodes.some((n) => n.class_type === 'VAEEncodeForInpaint'));
    assert.ok(nodes.some((n) => n.class_type === 'ImageToMask'));
    const ks = nodes.find((n) => n.class_type === 'KSampler')!.inputs;
    assert.equal(ks.steps, 10);
    assert.equal(ks.denoise, 0.5);
    assert.equal(ks.scheduler, 'karras');
    assert.equal(ks.sampler_name, 'dpmpp_2m');
    const loads = nodes.filter((n) => n.class_type === 'LoadImage').map((n) => n.inputs.image);
    assert.ok(loads.every((name) => comfy.uploads.includes(name as string)), JSON.stringify({ loads, uploads: comfy.uploads }));
    assert.match(r.images[0]!.infotext, /Denoising strength: 0\.5, Mask blur: 4, Masked content: fill/);
    assert.match(r.images[0]!.path!, /img2img-images/);
  });

  it('cancel reaches ComfyUI as /interrupt and the job ends cancelled; a node error fails the job with its message', async () => {
    comfy.mode = 'hold';
    const interrupts = comfy.interrupts;
    daemon.on('sd/job.progress', (p) => {
      if (p.jobId === 'held') void daemon.request('sd/job.cancel', { jobId: 'held' });
    });
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', seed: 1, steps: 4, width: 64, height: 64, jobId: 'held' }), (e: { code: number }) => e.code === ErrorCodes.Cancelled);
    assert.ok(comfy.interrupts > interrupts);
    comfy.mode = 'error';
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', seed: 1, steps: 4, width: 64, height: 64 }), /KSampler: CUDA out of memory/);
    comfy.mode = 'run';
  });

  it('extras with backend: the upscale model runs as a ComfyUI graph, sizes and saving stay here; no face restorer there', async () => {
    const src = join(work, 'small.png');
    await sharp(await png(16, 16, '#5a5')).toFile(src);
    const before = comfy.prompts.length;
    const r = await daemon.request('sd/extras', { images: [src], backend: 'comfy', upscaler_1: 'RealESRGAN_x4plus', upscaling_resize: 2, outdir: join(work, 'out') });
    assert.equal(r.failed, 0, JSON.stringify(r));
    const g = comfy.prompts[before]!;
    assert.deepEqual(Object.values(g).map((n) => n.class_type), ['LoadImage', 'UpscaleModelLoader', 'ImageUpscaleWithModel', 'PreviewImage']);
    assert.equal(Object.values(g).find((n) => n.class_type === 'UpscaleModelLoader')!.inputs.model_name, 'RealESRGAN_x4plus.pth');
    const img = r.images[0]!;
    assert.equal(img.width, 32);
    assert.equal(img.info, 'Postprocess upscale by: 2, Postprocess upscaler: RealESRGAN_x4plus');
    assert.match(img.path!, /extras-images/);
    const faces = await daemon.request('sd/extras', { images: [src], backend: 'comfy', upscaler_1: 'None', gfpgan_visibility: 1 });
    assert.match(faces.images[0]!.error ?? '', /no face restorer/);
    const unknown = await daemon.request('sd/extras', { images: [src], backend: 'comfy', upscaler_1: 'Nope 4x' });
    assert.match(unknown.images[0]!.error ?? '', /upscaler_1: backend "comfy" has no upscale model "Nope 4x"/);
  });

  it('settings a standard graph cannot express are refused, naming the field', async () => {
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', sampler_name: 'Restart', steps: 4, width: 64, height: 64 }), /sampler_name: "Restart" has no ComfyUI equivalent/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', subseed_strength: 0.5, steps: 4, width: 64, height: 64 }), /subseed_strength/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', enable_hr: true, steps: 4, width: 64, height: 64 }), /enable_hr: the hires fix is not built as a ComfyUI graph/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', restore_faces: true, steps: 4, width: 64, height: 64 }), /restore_faces: face restoration/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', s_min_uncond: 2, steps: 4, width: 64, height: 64 }), /s_min_uncond: Negative Guidance minimum sigma/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', steps: 4, width: 64, height: 64, override_settings: { sd_vae_decode_method: 'TAESD' } }), /sd_vae_decode_method/);
  });

  it('token merging: ComfyUI\'s TomePatchModel between the checkpoint and KSampler; infotext "Token merging ratio"', async () => {
    const before = comfy.prompts.length;
    const r = await daemon.request('sd/img2img', { prompt: 'x', seed: 3, steps: 4, width: 64, height: 64, sampler_name: 'Euler', override_settings: { token_merging_ratio: 0.5 } });
    const nodes = Object.entries(comfy.prompts[before]!);
    const [tomeId, tome] = nodes.find(([, n]) => n.class_type === 'TomePatchModel')!;
    assert.equal(tome.inputs.ratio, 0.5);
    assert.deepEqual(nodes.find(([, n]) => n.class_type === 'KSampler')![1].inputs.model, [tomeId, 0]);
    assert.equal(parseGenerationParameters(r.images[0]!.infotext).fields['Token merging ratio'], '0.5');
  });
});
