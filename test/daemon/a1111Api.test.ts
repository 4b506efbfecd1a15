// An A1111 API client, written against A1111 1.10's documented JSON only (no SD Studio types), driving
// `sd-studio serve --api` on the tiny model: every endpoint, its defaults, its error shapes.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCli, tempDir } from './harness';
import { startApiServer, tinyModelsRoot, type ApiProcess } from './apiServer';
import { tinyGfpganGraph } from '../fixtures/tinyFaceRestorer';
import { sharedPath } from '../sharedPath';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a client sees untyped JSON

class A1111Client {
  constructor(readonly base: string, private readonly auth?: string) {}

  async call(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Json }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(this.auth ? { Authorization: `Basic ${Buffer.from(this.auth).toString('base64')}` } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  }

  async ok(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
    const r = await this.call(method, path, body);
    assert.equal(r.status, 200, `${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }
}

async function size(b64: string): Promise<[number, number]> {
  const m = await sharp(Buffer.from(b64, 'base64')).metadata();
  return [m.width!, m.height!];
}

const work = tempDir('sd-studio-a1111-');
let server: ApiProcess;
let api: A1111Client;
const small = { steps: 3, width: 64, height: 64, sampler_name: 'Euler a', cfg_scale: 5 };

before(async () => {
  await tinyModelsRoot(work);
  mkdirSync(join(work, 'Lora', 'styles'), { recursive: true });
  writeFileSync(join(work, 'Lora', 'styles', 'ink.safetensors'), 'a LoRA file is listed by name; it is not read');
  writeFileSync(join(work, 'styles.csv'), 'name,prompt,negative_prompt\nlighthouse,"{prompt}, at dusk","blurry, low quality"\n"ink, ""wet""",watercolour,\n');
  // Face restoration: GFPGAN and a face detector, no CodeFormer (so one restorer works and the other is refused).
  mkdirSync(join(work, 'GFPGAN'), { recursive: true });
  await tinyGfpganGraph('identity').writeModel(join(work, 'GFPGAN'), { fileName: 'GFPGANv1.4.onnx' });
  mkdirSync(join(work, 'facedetect'), { recursive: true });
  copyFileSync(sharedPath('models-fixtures', 'face-detector-ulfd', 'version-RFB-320.onnx'), join(work, 'facedetect', 'version-RFB-320.onnx'));
  server = await startApiServer(['--models-root', work, '--model', join(work, 'Stable-diffusion', 'tiny'), '--outdir', join(work, 'out')]);
  api = new A1111Client(server.url);
});
after(async () => server?.stop());

describe('A1111 API: generation', () => {
  let first: Json;

  it('txt2img answers images, parameters echoing the request with A1111 defaults, and info as a JSON string', async () => {
    first = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a lighthouse', negative_prompt: 'fog', seed: 42, not_an_a1111_field: 1 });
    assert.equal(first.images.length, 1);
    assert.deepEqual(await size(first.images[0]), [64, 64]);
    assert.equal(first.parameters.steps, 3);
    assert.equal(first.parameters.sampler_index, 'Euler');
    assert.equal(first.parameters.n_iter, 1);
    assert.equal(first.parameters.enable_hr, false);
    assert.equal(first.parameters.not_an_a1111_field, undefined);
    assert.equal(typeof first.info, 'string');
    const info = JSON.parse(first.info);
    assert.equal(info.seed, 42);
    assert.deepEqual(info.all_seeds, [42]);
    assert.equal(info.prompt, 'a lighthouse');
    assert.equal(info.sampler_name, 'Euler a');
    assert.equal(info.sd_model_name, 'tiny');
    assert.equal(info.infotexts.length, 1);
    assert.match(info.infotexts[0], /^a lighthouse\nNegative prompt: fog\nSteps: 3, Sampler: Euler a, Schedule type: Automatic, CFG scale: 5, Seed: 42, Size: 64x64, Model hash: [0-9a-f]{10}, Model: tiny/);
  });

  it('the same request gives the same image; batches get consecutive seeds', async () => {
    const again = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a lighthouse', negative_prompt: 'fog', seed: 42 });
    assert.equal(again.images[0], first.images[0]);
    const batch = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a lighthouse', seed: 7, batch_size: 2, send_images: true });
    assert.deepEqual(JSON.parse(batch.info).all_seeds, [7, 8]);
  });

  it('styles are applied from styles.csv (unknown names skipped, as A1111 does) and listed by prompt-styles', async () => {
    const styles = await api.ok('GET', '/sdapi/v1/prompt-styles');
    assert.deepEqual(styles, [
      { name: 'lighthouse', prompt: '{prompt}, at dusk', negative_prompt: 'blurry, low quality' },
      { name: 'ink, "wet"', prompt: 'watercolour', negative_prompt: '' },
    ]);
    const r = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a boat', styles: ['lighthouse', 'no such style', 'ink, "wet"'], seed: 1 });
    const info = JSON.parse(r.info);
    assert.match(info.infotexts[0], /^a boat, at dusk, watercolour\nNegative prompt: blurry, low quality\n/);
    assert.equal(info.prompt, 'a boat, at dusk, watercolour');
    assert.deepEqual(info.styles, ['lighthouse', 'no such style', 'ink, "wet"']);
  });

  it('hires fix: the image has the upscaled size and info carries the Hires keys', async () => {
    const r = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 9, enable_hr: true, hr_scale: 2, hr_upscaler: 'Latent', hr_second_pass_steps: 2, denoising_strength: 0.6 });
    assert.deepEqual(await size(r.images[0]), [128, 128]);
    const info = JSON.parse(r.info);
    assert.equal(info.width, 64, "info.width is the first pass's, as Processed.width");
    assert.equal(info.denoising_strength, 0.6);
    assert.match(info.infotexts[0], /Size: 64x64, .*Denoising strength: 0\.6, .*Hires upscale: 2, Hires steps: 2, Hires upscaler: Latent/);
    const extra = info.extra_generation_params;
    assert.deepEqual([extra['Hires upscale'], extra['Hires steps'], extra['Hires upscaler'], extra['Denoising strength']], [2, 2, 'Latent', 0.6]);
    const sized = await api.ok('POST', '/sdapi/v1/txt2img', {
      ...small, seed: 9, enable_hr: true, hr_resize_x: 96, hr_resize_y: 80, hr_sampler_name: 'Euler', hr_checkpoint_name: 'tiny', hr_prompt: 'a harbour',
    });
    assert.deepEqual(await size(sized.images[0]), [96, 80]);
    const sizedText: string = JSON.parse(sized.info).infotexts[0];
    for (const key of [/Hires resize: 96x80/, /Hires sampler: Euler,/, /Hires checkpoint: tiny \[[0-9a-f]{10}\]/, /Hires prompt: a harbour,/, /Denoising strength: 0\.75,/]) assert.match(sizedText, key);
    const missing = await api.call('POST', '/sdapi/v1/txt2img', { ...small, enable_hr: true, hr_checkpoint_name: 'nope' });
    assert.equal(missing.status, 500);
    assert.equal(missing.json.errors, 'Could not find checkpoint with name nope');
  });

  it('restore_faces: done with the restorer the models root has, refused naming the one it lacks', async () => {
    const done = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 4, restore_faces: true, override_settings: { face_restoration_model: 'GFPGAN' } });
    const info = JSON.parse(done.info);
    assert.equal(info.restore_faces, true);
    assert.equal(info.face_restoration_model, 'GFPGAN');
    assert.match(info.infotexts[0], /Seed: 4, Face restoration: GFPGAN, Size: 64x64/);
    const refused = await api.call('POST', '/sdapi/v1/txt2img', { ...small, restore_faces: true, override_settings: { face_restoration_model: 'CodeFormer' } });
    assert.equal(refused.status, 404);
    assert.match(refused.json.detail, /CodeFormer model folder/);
    const plain = JSON.parse((await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 4 })).info);
    assert.deepEqual([plain.restore_faces, plain.face_restoration_model], [false, null]);
  });

  it("script_name \"X/Y/Z plot\" with A1111's script_args: the grid first, then each cell's image", async () => {
    // x: Steps (index 4 on txt2img) as text; y: Sampler (index 9) from the dropdown list; "Include Sub Images".
    const args = [4, '2, 3', [], 9, '', ['Euler', 'Euler a'], 0, '', [], true, true, false, false, false, false, false, 0, false];
    const r = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a lighthouse', seed: 21, script_name: 'x/y/z plot', script_args: args });
    assert.equal(r.images.length, 5);
    const [gw, gh] = await size(r.images[0]);
    assert.ok(gw > 128 && gh > 128, `the grid of 2×2 cells with its legend: ${gw}x${gh}`);
    for (const single of r.images.slice(1)) assert.deepEqual(await size(single), [64, 64]);
    const info = JSON.parse(r.info);
    assert.equal(info.index_of_first_image, 1);
    assert.match(info.infotexts[0], /Script: X\/Y\/Z plot, X Type: Steps, X Values: "2, 3", Y Type: Sampler, Y Values: "Euler,Euler a"/);
    assert.deepEqual(info.all_seeds, [21, 21, 21, 21]);
    const cells = info.infotexts.slice(1).map((t: string) => /Steps: (\d+), Sampler: ([^,]+),/.exec(t)!.slice(1).join(' '));
    assert.deepEqual(cells, ['2 Euler', '3 Euler', '2 Euler a', '3 Euler a']);
    const gridOnly = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 21, script_name: 'X/Y/Z plot', script_args: [4, '2', [], 0, '', [], 0, '', []] });
    assert.equal(gridOnly.images.length, 1, 'without "Include Sub Images" only the grid comes back');
    const eta = await api.call('POST', '/sdapi/v1/txt2img', { ...small, script_name: 'x/y/z plot', script_args: [24, '0.5, 1'] });
    assert.equal(eta.status, 422);
    assert.match(eta.json.detail, /Eta/);
    const unknown = await api.call('POST', '/sdapi/v1/txt2img', { ...small, script_name: 'Loopback' });
    assert.deepEqual([unknown.status, unknown.json.detail], [422, "Script 'Loopback' not found"]);
    const wrongTab = await api.call('POST', '/sdapi/v1/txt2img', { ...small, script_name: 'Outpainting mk2' });
    assert.deepEqual([wrongTab.status, wrongTab.json.detail], [422, "Script 'Outpainting mk2' not found"]);
  });

  it('script_name: prompt matrix (grid first), prompts from file, poor man\'s outpainting (img2img)', async () => {
    const matrix = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a boat|red|at night', seed: 3, script_name: 'Prompt matrix', script_args: [false, false, 'positive', 'comma', 0] });
    assert.equal(matrix.images.length, 5);
    assert.deepEqual(JSON.parse(matrix.info).all_prompts, ['a boat', 'a boat, red', 'a boat, at night', 'a boat, red, at night']);
    const lines = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 3, script_name: 'prompts from file or textbox', script_args: [false, false, 'start', 'a kite\n--prompt "a tent" --steps 2'] });
    const linesInfo = JSON.parse(lines.info);
    assert.deepEqual([lines.images.length, linesInfo.all_prompts], [2, ['a kite', 'a tent']]);
    assert.match(linesInfo.infotexts[1], /^a tent\nSteps: 2,/);
    const out = await api.ok('POST', '/sdapi/v1/img2img', {
      ...small, init_images: [first.images[0]], seed: 3, denoising_strength: 0.8, script_name: "Poor man's outpainting", script_args: [32, 4, 'original', ['left']],
    });
    assert.deepEqual(await size(out.images[0]), [128, 64], 'the canvas grows to the next multiple of 64, as the script does');
  });

  it('img2img inpaints with A1111 API defaults (fill, only masked) and Soft Inpainting args; the PNG carries the infotext', async () => {
    const mask = (await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } }).composite([{ input: { create: { width: 24, height: 24, channels: 3, background: '#fff' } }, left: 20, top: 20 }]).png().toBuffer()).toString('base64');
    const r = await api.ok('POST', '/sdapi/v1/img2img', {
      ...small, prompt: 'a red door', seed: 5, init_images: [first.images[0]], mask, mask_blur: 2, denoising_strength: 0.6,
      alwayson_scripts: { 'Soft Inpainting': { args: [true, 1, 0.5, 4, 0, 0.5, 2] } },
    });
    const info = JSON.parse(r.info);
    const text: string = info.infotexts[0];
    assert.match(text, /Denoising strength: 0\.6/);
    assert.match(text, /Mask blur: 2/);
    assert.match(text, /Masked content: fill/);
    assert.match(text, /Inpaint area: Only masked/);
    assert.match(text, /Soft inpainting enabled: True/);
    assert.equal(r.parameters.init_images, null, 'init images are not echoed unless include_init_images');
    assert.equal(r.parameters.inpainting_fill, 0);
    const pnginfo = await api.ok('POST', '/sdapi/v1/png-info', { image: r.images[0] });
    assert.equal(pnginfo.info, text);
    assert.equal(pnginfo.parameters.Prompt, 'a red door');
    assert.equal(pnginfo.parameters.Seed, '5');
  });

  it('override_settings: sd_model_checkpoint by title, CLIP skip; options set per-job defaults', async () => {
    const models = await api.ok('GET', '/sdapi/v1/sd-models');
    const tiny = models.find((m: Json) => m.model_name === 'tiny');
    assert.ok(tiny, JSON.stringify(models));
    assert.match(tiny.title, /^tiny( \[[0-9a-f]{10}\])?$/);
    const r = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 3, override_settings: { sd_model_checkpoint: tiny.title, CLIP_stop_at_last_layers: 2 } });
    assert.match(JSON.parse(r.info).infotexts[0], /Clip skip: 2/);
    const sameVae = await api.call('POST', '/sdapi/v1/txt2img', { ...small, seed: 3, override_settings: { sd_vae: 'Automatic' } });
    assert.equal(sameVae.status, 200);
    const otherVae = await api.call('POST', '/sdapi/v1/txt2img', { ...small, override_settings: { sd_vae: 'other.vae.pt' } });
    assert.equal(otherVae.status, 422);
    assert.match(otherVae.json.detail, /override_settings\.sd_vae: "other\.vae\.pt" is not a VAE of this daemon/);
    const pathVae = await api.call('POST', '/sdapi/v1/txt2img', { ...small, override_settings: { sd_vae: '/etc/passwd' } });
    assert.equal(pathVae.status, 422, 'a VAE is named, never a path on the server');
    const sgm = await api.call('POST', '/sdapi/v1/txt2img', { ...small, override_settings: { sgm_noise_multiplier: true } });
    assert.equal(sgm.status, 422, 'an option SD Studio lacks is refused, not dropped');
    assert.match(sgm.json.detail, /sgm_noise_multiplier/);
    const missing = await api.call('POST', '/sdapi/v1/txt2img', { ...small, override_settings: { sd_model_checkpoint: 'nope.safetensors' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.detail, 'Model not found');

    await api.ok('POST', '/sdapi/v1/options', { CLIP_stop_at_last_layers: 2, eta_noise_seed_delta: 31337 });
    const opts = await api.ok('GET', '/sdapi/v1/options');
    assert.equal(opts.CLIP_stop_at_last_layers, 2);
    assert.equal(opts.eta_noise_seed_delta, 31337);
    assert.equal(opts.samples_format, 'png');
    assert.match(opts.sd_model_checkpoint, /^tiny/);
    const withOpts = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 3 });
    assert.match(JSON.parse(withOpts.info).infotexts[0], /Clip skip: 2, ENSD: 31337/);
    await api.ok('POST', '/sdapi/v1/options', { CLIP_stop_at_last_layers: 1, eta_noise_seed_delta: 0 });
    // Saving and Interrogate options under A1111's keys reach the daemon's settings.
    await api.ok('POST', '/sdapi/v1/options', { samples_format: 'webp', jpeg_quality: 90, save_txt: true, grid_save: false, interrogate_return_ranks: true, deepbooru_filter_tags: 'sky' });
    const saved = await api.ok('GET', '/sdapi/v1/options');
    assert.deepEqual(
      [saved.samples_format, saved.jpeg_quality, saved.save_txt, saved.grid_save, saved.interrogate_return_ranks, saved.deepbooru_filter_tags, saved.face_restoration, saved.code_former_weight],
      ['webp', 90, true, false, true, 'sky', false, 0.5],
    );
    const badFormat = await api.call('POST', '/sdapi/v1/options', { samples_format: 'bmp', jpeg_quality: 70 });
    assert.equal(badFormat.status, 422);
    assert.equal((await api.ok('GET', '/sdapi/v1/options')).jpeg_quality, 90, 'a refused request changes nothing');
    await api.ok('POST', '/sdapi/v1/options', { samples_format: 'png', jpeg_quality: 80, save_txt: false, grid_save: true, interrogate_return_ranks: false, deepbooru_filter_tags: '' });
    const unknown = await api.call('POST', '/sdapi/v1/options', { no_such_option: 1 });
    assert.equal(unknown.status, 500);
    assert.equal(unknown.json.error, 'KeyError');
    const badModel = await api.call('POST', '/sdapi/v1/options', { sd_model_checkpoint: 'nope' });
    assert.equal(badModel.status, 500);
    assert.match(badModel.json.errors, /model "nope" not found/);
    // Daemon settings set through options are checked as sd/settings.update checks them; nothing changes.
    const badTile = await api.call('POST', '/sdapi/v1/options', { ESRGAN_tile_overlap: 4, ESRGAN_tile: -64 });
    assert.equal(badTile.status, 422);
    assert.match(badTile.json.detail, /settings\.upscalerTileSize/);
    assert.equal((await api.ok('GET', '/sdapi/v1/options')).ESRGAN_tile_overlap, 8);
  });

  it('speed options: s_min_uncond (NGMS) as a field and per-job option, options for token merging, NGMS and the VAE types', async () => {
    const ngms = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, seed: 3, s_min_uncond: 100, override_settings: { s_min_uncond_all: true } });
    assert.match(JSON.parse(ngms.info).infotexts[0], /NGMS: 100, NGMS all steps: True/);
    const set = { token_merging_ratio: 0.5, s_min_uncond: 2, sd_vae_decode_method: 'TAESD', sd_vae_encode_method: 'Full', token_merging_ratio_hr: 0.3 };
    await api.ok('POST', '/sdapi/v1/options', set);
    const opts = await api.ok('GET', '/sdapi/v1/options');
    for (const [k, v] of Object.entries(set)) assert.equal(opts[k], v, k);
    await api.ok('POST', '/sdapi/v1/options', { token_merging_ratio: 0, s_min_uncond: 0, sd_vae_decode_method: 'Full', token_merging_ratio_hr: 0 });
    const bad = await api.call('POST', '/sdapi/v1/options', { sd_vae_decode_method: 'Tiny' });
    assert.equal(bad.status, 422);
  });

  it('progress reports the running job with a preview; interrupt ends it keeping what is done; skip moves on', async () => {
    const idle = await api.ok('GET', '/sdapi/v1/progress');
    assert.equal(idle.progress, 0);
    assert.equal(idle.state.job_count, 0);
    const running = api.ok('POST', '/sdapi/v1/txt2img', { ...small, steps: 400, n_iter: 3, seed: 11 });
    let seen: Json;
    for (let i = 0; i < 2000; i++) {
      const p = await api.ok('GET', '/sdapi/v1/progress');
      if (p.state.sampling_step >= 12 && p.current_image) {
        seen = p;
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(seen, 'progress never showed a running job with a preview');
    assert.equal(seen.state.job, 'scripts_txt2img');
    assert.equal(seen.state.job_count, 3);
    assert.equal(seen.state.sampling_steps, 400);
    assert.ok(seen.progress > 0 && seen.progress < 1);
    assert.ok(seen.eta_relative > 0);
    assert.deepEqual((await size(seen.current_image)).length, 2);
    const noImage = await api.ok('GET', '/sdapi/v1/progress?skip_current_image=true');
    assert.equal(noImage.current_image, null);
    assert.equal(await api.ok('POST', '/sdapi/v1/skip'), null);
    assert.deepEqual(await api.ok('POST', '/sdapi/v1/interrupt'), {});
    const r = await running;
    const seeds = JSON.parse(r.info).all_seeds;
    assert.ok(seeds.length >= 1 && seeds.length < 3, `interrupt kept ${seeds.length} images`);
  });
});

describe('A1111 API: extras, lists, errors', () => {
  const png = (w: number, h: number): Promise<string> => sharp({ create: { width: w, height: h, channels: 3, background: '#3a6' } }).png().toBuffer().then((b) => b.toString('base64'));

  it('extra-single-image and extra-batch-images upscale with a named upscaler', async () => {
    // A1111's Upscaler.upscale rounds the target down to multiples of 8.
    const one = await api.ok('POST', '/sdapi/v1/extra-single-image', { image: await png(20, 10), upscaler_1: 'Lanczos', upscaling_resize: 2 });
    assert.deepEqual(await size(one.image), [40, 16]);
    assert.match(one.html_info, /^<p>Postprocess upscale by: 2, Postprocess upscaler: Lanczos<\/p>$/);
    const batch = await api.ok('POST', '/sdapi/v1/extra-batch-images', { imageList: [{ data: await png(8, 8), name: 'a.png' }, { data: `data:image/png;base64,${await png(16, 8)}`, name: 'b.png' }], upscaler_1: 'Nearest', upscaling_resize: 3 });
    assert.deepEqual(await Promise.all(batch.images.map(size)), [[24, 24], [48, 24]]);
  });

  it('every list endpoint answers A1111 shapes', async () => {
    const samplers = await api.ok('GET', '/sdapi/v1/samplers');
    const dpm = samplers.find((s: Json) => s.name === 'DPM++ 2M');
    assert.deepEqual(dpm, { name: 'DPM++ 2M', aliases: ['k_dpmpp_2m'], options: { scheduler: 'karras' } });
    const schedulers = await api.ok('GET', '/sdapi/v1/schedulers');
    assert.deepEqual(schedulers.find((s: Json) => s.name === 'karras'), { name: 'karras', label: 'Karras', aliases: null, default_rho: 7, need_inner_model: false });
    const ups = await api.ok('GET', '/sdapi/v1/upscalers');
    assert.deepEqual(ups.slice(0, 3).map((u: Json) => u.name), ['None', 'Lanczos', 'Nearest']);
    assert.ok(ups.every((u: Json) => 'model_name' in u && 'model_path' in u && u.model_url === null && typeof u.scale === 'number'));
    const latent = (await api.ok('GET', '/sdapi/v1/latent-upscale-modes')).map((m: Json) => m.name);
    assert.deepEqual(latent, ['Latent', 'Latent (antialiased)', 'Latent (bicubic)', 'Latent (bicubic antialiased)', 'Latent (nearest)', 'Latent (nearest-exact)']);
    assert.ok(!ups.some((u: Json) => latent.includes(u.name)), 'A1111 lists the latent modes apart from the image upscalers');
    const scripts = await api.ok('GET', '/sdapi/v1/scripts');
    assert.deepEqual(scripts.txt2img, ['prompt matrix', 'prompts from file or textbox', 'x/y/z plot']);
    assert.deepEqual(scripts.img2img, ['outpainting mk2', "poor man's outpainting", 'prompt matrix', 'prompts from file or textbox', 'x/y/z plot', 'soft inpainting']);
    const info = await api.ok('GET', '/sdapi/v1/script-info');
    const xyz = info.find((i: Json) => i.name === 'x/y/z plot' && !i.is_img2img);
    assert.equal(xyz.is_alwayson, false);
    assert.equal(xyz.args.length, 18);
    assert.deepEqual(xyz.args[0], { label: 'X type', value: 'Seed', minimum: null, maximum: null, step: null, choices: xyz.args[0].choices });
    assert.equal(xyz.args[0].choices[4], 'Steps');
    assert.deepEqual(xyz.args[16], { label: 'Grid margins (px)', value: 0, minimum: 0, maximum: 500, step: 2, choices: null });
    assert.equal(info.find((i: Json) => i.name === 'soft inpainting').is_alwayson, true);
    assert.deepEqual((await api.ok('GET', '/sdapi/v1/face-restorers')).map((f: Json) => f.name), ['CodeFormer', 'GFPGAN']);
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/loras'), [{ name: 'ink', alias: 'ink', path: join(work, 'Lora', 'styles', 'ink.safetensors'), metadata: {} }]);
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/embeddings'), { loaded: {}, skipped: {} });
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/sd-vae'), []);
    const mem = await api.ok('GET', '/sdapi/v1/memory');
    assert.ok(mem.ram.total > 0 && mem.ram.used > 0);
    assert.equal(mem.cuda.error, 'unavailable');
    assert.equal(await api.ok('POST', '/sdapi/v1/refresh-checkpoints'), null);
    const doc = await api.ok('GET', '/openapi.json');
    for (const p of ['txt2img', 'img2img', 'extra-single-image', 'extra-batch-images', 'png-info', 'interrogate', 'progress', 'interrupt', 'skip', 'options', 'sd-models', 'sd-vae', 'samplers', 'schedulers', 'upscalers', 'latent-upscale-modes', 'face-restorers', 'loras', 'embeddings', 'prompt-styles', 'scripts', 'script-info', 'refresh-checkpoints', 'memory']) {
      assert.ok(doc.paths[`/sdapi/v1/${p}`], `openapi.json lacks ${p}`);
    }
    assert.equal(doc.components.schemas.StableDiffusionProcessingTxt2Img.properties.steps.default, 50);
    assert.equal(doc.components.schemas.StableDiffusionProcessingTxt2Img.properties.denoising_strength.default, 0.75);
    assert.equal(doc.components.schemas.StableDiffusionProcessingTxt2Img.properties.hr_cfg, undefined, "Forge's hr_cfg is read, not declared");
    assert.deepEqual(doc.paths['/sdapi/v1/script-info'].get.responses[200].content['application/json'].schema, { type: 'array', items: { $ref: '#/components/schemas/ScriptInfo' } });
  });

  it('interrogate answers A1111 shapes: without interrogate models, an error naming what is missing', async () => {
    const r = await api.call('POST', '/sdapi/v1/interrogate', { image: await png(8, 8), model: 'deepdanbooru' });
    assert.notEqual(r.status, 200);
    assert.equal(typeof r.json.error, 'string');
    assert.match(r.json.detail, /deepbooru|deepdanbooru|model-resnet/i);
    const bad = await api.call('POST', '/sdapi/v1/interrogate', { image: await png(8, 8), model: 'nope' });
    assert.equal(bad.status, 404);
    assert.equal(bad.json.detail, 'Model not found');
  });

  it('errors use A1111 status codes and shapes', async () => {
    const noInit = await api.call('POST', '/sdapi/v1/img2img', { prompt: 'x' });
    assert.equal(noInit.status, 404);
    assert.deepEqual(noInit.json, { error: 'HTTPException', detail: 'Init image not found', body: '', errors: '404: Init image not found' });
    const sampler = await api.call('POST', '/sdapi/v1/txt2img', { sampler_name: 'Nope a' });
    assert.equal(sampler.status, 400);
    assert.equal(sampler.json.detail, 'Sampler not found');
    const typed = await api.call('POST', '/sdapi/v1/txt2img', { steps: 'many' });
    assert.equal(typed.status, 422);
    assert.deepEqual(typed.json.detail[0].loc, ['body', 'steps']);
    const script = await api.call('POST', '/sdapi/v1/img2img', { init_images: [await png(8, 8)], alwayson_scripts: { ControlNet: { args: [] } } });
    assert.equal(script.status, 422);
    assert.equal(script.json.detail, 'always on script ControlNet not found');
    const badImage = await api.call('POST', '/sdapi/v1/img2img', { ...small, init_images: ['bm90IGFuIGltYWdl'] });
    assert.equal(badImage.status, 500);
    assert.match(badImage.json.detail, /^Invalid encoded image/);
    const path = await api.call('POST', '/sdapi/v1/png-info', { image: '/etc/passwd' });
    assert.equal(path.status, 500, 'an image field is never read as a path on the server');
    const json = await api.call('POST', '/sdapi/v1/txt2img', '{not json');
    assert.equal(json.status, 422);
    assert.equal((await api.call('GET', '/sdapi/v1/nothing-here')).status, 404);
    assert.equal((await api.call('GET', '/sdapi/v1/txt2img')).status, 405);
    // fetch cannot set Host: a raw request, as a DNS-rebinding page's would arrive.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const u = new URL(server.url);
      request({ host: u.hostname, port: u.port, path: '/sdapi/v1/samplers', headers: { Host: 'attacker.example:7860' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject).end();
    });
    assert.equal(rebinding, 403);
  });
});

describe('serve --api: binding and auth', () => {
  it('--listen without --api-auth is refused at start, saying why', () => {
    const r = runCli(['serve', '--api', '--listen', '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--listen.*refusing to start without --api-auth/);
  });

  it('--api-auth requires HTTP basic auth on every endpoint', async () => {
    const s = await startApiServer(['--api-auth', 'ann:s3cret,bob:pw:with:colons']);
    try {
      const anon = await new A1111Client(s.url).call('GET', '/sdapi/v1/samplers');
      assert.equal(anon.status, 401);
      const wrong = await new A1111Client(s.url, 'ann:nope').call('GET', '/sdapi/v1/samplers');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.detail, 'Incorrect username or password');
      assert.equal((await new A1111Client(s.url, 'ann:s3cret').call('GET', '/sdapi/v1/samplers')).status, 200);
      assert.equal((await new A1111Client(s.url, 'bob:pw:with:colons').call('GET', '/sdapi/v1/options')).status, 200);
    } finally {
      await s.stop();
    }
  });
});
