// An A1111 API client, written against A1111 1.10's documented JSON only (no SD Studio types), driving
// `sd-studio serve --api` on the tiny model: every endpoint, its defaults, its error shapes.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCli, tempDir } from './harness';
import { startApiServer, tinyModelsRoot, type ApiProcess } from './apiServer';

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
  writeFileSync(join(work, 'styles.csv'), 'name,prompt,negative_prompt\nlighthouse,"{prompt}, at dusk","blurry, low quality"\n');
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

  it('styles are applied from styles.csv and listed by prompt-styles', async () => {
    const styles = await api.ok('GET', '/sdapi/v1/prompt-styles');
    assert.deepEqual(styles, [{ name: 'lighthouse', prompt: '{prompt}, at dusk', negative_prompt: 'blurry, low quality' }]);
    const r = await api.ok('POST', '/sdapi/v1/txt2img', { ...small, prompt: 'a boat', styles: ['lighthouse'], seed: 1 });
    assert.match(JSON.parse(r.info).infotexts[0], /^a boat, at dusk\nNegative prompt: blurry, low quality\n/);
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
    assert.match(otherVae.json.detail, /override_settings\.sd_vae/);
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
    const unknown = await api.call('POST', '/sdapi/v1/options', { no_such_option: 1 });
    assert.equal(unknown.status, 500);
    assert.equal(unknown.json.error, 'KeyError');
    const badModel = await api.call('POST', '/sdapi/v1/options', { sd_model_checkpoint: 'nope' });
    assert.equal(badModel.status, 500);
    assert.match(badModel.json.errors, /model "nope" not found/);
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
    assert.deepEqual((await api.ok('GET', '/sdapi/v1/latent-upscale-modes'))[0], { name: 'Latent' });
    assert.deepEqual((await api.ok('GET', '/sdapi/v1/face-restorers')).map((f: Json) => f.name), ['CodeFormer', 'GFPGAN']);
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/loras'), [{ name: 'ink', alias: 'ink', path: join(work, 'Lora', 'styles', 'ink.safetensors'), metadata: {} }]);
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/embeddings'), { loaded: {}, skipped: {} });
    assert.deepEqual(await api.ok('GET', '/sdapi/v1/sd-vae'), []);
    const mem = await api.ok('GET', '/sdapi/v1/memory');
    assert.ok(mem.ram.total > 0 && mem.ram.used > 0);
    assert.equal(mem.cuda.error, 'unavailable');
    assert.equal(await api.ok('POST', '/sdapi/v1/refresh-checkpoints'), null);
    const doc = await api.ok('GET', '/openapi.json');
    for (const p of ['txt2img', 'img2img', 'extra-single-image', 'extra-batch-images', 'png-info', 'interrogate', 'progress', 'interrupt', 'skip', 'options', 'sd-models', 'sd-vae', 'samplers', 'schedulers', 'upscalers', 'latent-upscale-modes', 'face-restorers', 'loras', 'embeddings', 'prompt-styles', 'refresh-checkpoints', 'memory']) {
      assert.ok(doc.paths[`/sdapi/v1/${p}`], `openapi.json lacks ${p}`);
    }
    assert.equal(doc.components.schemas.StableDiffusionProcessingTxt2Img.properties.steps.default, 50);
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
