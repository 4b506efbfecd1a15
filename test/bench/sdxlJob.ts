// One 1024² SDXL img2img job through the daemon's img2img pipeline (model files, sessions, both text encoders, VAE
// encode, the UNet calls, VAE decode, saving), run in a child process of its own so its memory is the job's alone.
// Each model part's entry point marks the start of a stage; at each change the kernel's peak RSS (VmHWM) is read
// and reset (/proc/self/clear_refs 5), so every stage gets its own peak and time. The child prints one JSON line.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { ModelManager } from '../../daemon/parts/sdModel';
import { TextEncoder } from '../../daemon/parts/textEncoder';
import { Unet } from '../../daemon/parts/unet';
import { VaeDecoder, VaeEncoder } from '../../daemon/parts/vae';
import { runImg2Img } from '../../daemon/pipelines/img2img';
import { defaultSettings } from '../../daemon/settings';
import { fakeJob } from '../fixtures/fakeJob';
import { testModelManager, testPipelineDeps } from '../fixtures/testServices';

export const JOB_CHILD_ENV = 'SD_STUDIO_BENCH_SDXL_JOB';
export interface StageFigure { stage: string; seconds: number; peak: number }

/** VmHWM / VmRSS of a process, bytes. */
export function memOf(pid: number | 'self'): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { peak: kb('VmHWM'), now: kb('VmRSS') };
}

/** In the child: the job, then one JSON line of stage figures. */
export async function runJobChild(spec: { checkpoint: string; work: string }): Promise<void> {
  const stages: StageFigure[] = [];
  let current = 'model files (cached ONNX folder)';
  let since = performance.now();
  const mark = (next: string) => {
    if (next === current) return;
    stages.push({ stage: current, seconds: (performance.now() - since) / 1000, peak: memOf('self').peak });
    writeFileSync('/proc/self/clear_refs', '5');
    current = next;
    since = performance.now();
  };
  let unetCalls = 0;
  const wrap = (proto: object, method: string, stage: () => string) => {
    const p = proto as Record<string, (...a: unknown[]) => unknown>;
    const original = p[method]!;
    p[method] = function (this: unknown, ...a: unknown[]) {
      mark(stage());
      return original.apply(this, a);
    };
  };
  wrap(ModelManager.prototype, 'get', () => 'sessions');
  wrap(TextEncoder.prototype, 'encode', () => 'text encoders');
  wrap(TextEncoder.prototype, 'encodeChunk', () => 'text encoders');
  wrap(VaeEncoder.prototype, 'encode', () => 'VAE encode');
  wrap(Unet.prototype, 'predict', () => `UNet call ${++unetCalls}`);
  wrap(VaeDecoder.prototype, 'decode', () => 'VAE decode');

  const init = join(spec.work, 'init-1024.png');
  const px = Buffer.alloc(1024 * 1024 * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7) & 255;
  await sharp(px, { raw: { width: 1024, height: 1024, channels: 3 } }).png().toFile(init);
  const settings = { ...defaultSettings(), outputDir: join(spec.work, 'out'), threads: 2 };
  const models = testModelManager(2);
  const started = performance.now();
  await runImg2Img({
    model: spec.checkpoint, init_images: [init], prompt: 'a lighthouse at dusk, oil painting', negative_prompt: 'blurry', width: 1024, height: 1024,
    sampler_name: 'Euler', steps: 4, denoising_strength: 0.5, seed: 1, cfg_scale: 7,
  }, fakeJob(), testPipelineDeps(models, settings));
  mark('done');
  const total = (performance.now() - started) / 1000;
  await models.dispose();
  console.log(JSON.stringify({ total, stages }));
}

/** In the bench: the child's figures; a child far over `limit` bytes is stopped (the machine is shared). */
export function runJob(spec: { checkpoint: string; work: string }, limit: number): Promise<{ total: number; stages: StageFigure[] }> {
  const child = spawn(process.execPath, process.argv.slice(1), { env: { ...process.env, [JOB_CHILD_ENV]: JSON.stringify(spec) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setInterval(() => {
    try {
      const m = memOf(child.pid!);
      if (m.now > limit) {
        console.log(`job RSS ${(m.now / 2 ** 30).toFixed(2)} GiB: over ${(limit / 2 ** 30).toFixed(0)} GiB, stopped`);
        child.kill();
      }
    } catch {
      // the child has exited
    }
  }, 500);
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      clearInterval(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`SDXL job child: exit ${code}\n${out.slice(-2000)}`));
      else resolve(JSON.parse(last) as { total: number; stages: StageFigure[] });
    });
  });
}
