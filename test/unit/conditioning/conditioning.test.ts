// The conditioning stage on the tiny model: prompt editing per denoiser call (txt2img, img2img, second-order),
// AND weights through the CFG denoiser, 75-token chunks and cond/uncond padding, one encoder run per distinct
// chunk, and textual-inversion embeddings from real A1111 / diffusers files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSafetensors } from '../../../models/formats/safetensors';
import { readTensor } from '../../../models/formats/tensorRecord';
import { deriveTextEncoder } from '../../../models/textEncoderSurgery';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { EmbeddingDatabase, embeddingDirs } from '../../../daemon/embeddings';
import type { JobContext } from '../../../daemon/jobs';
import { ModelManager, type SdModel } from '../../../daemon/parts/sdModel';
import { runImg2Img } from '../../../daemon/pipelines/img2img';
import type { Img2ImgParams } from '../../../daemon/protocol';
import { discreteSchedule, samplers } from '../../../daemon/sampling';
import { defaultSettings } from '../../../daemon/settings';
import { denoise } from '../../../daemon/stages/denoise';
import { encodeJobConditioning, PromptEncoder, type Conditioning } from '../../../daemon/stages/encodePrompt';
import { writeTinySdModel } from '../../fixtures/tinySd';
import { writeA1111Pt, writeDiffusersBin, writeEmbParams } from './embeddingFiles';

const work = mkdtempSync(join(tmpdir(), 'sd-cond-'));
process.env.SD_STUDIO_CACHE_DIR = join(work, 'cache');
const models = new ModelManager(() => 'cpu', () => 1, () => undefined);
let model: SdModel;
const D = 32;

before(async () => {
  await writeTinySdModel(join(work, 'tiny'));
  model = await models.get(join(work, 'tiny'));
  writeFileSync(join(work, 'init.png'), await drawDemoImage(64, 64));
});
after(async () => {
  await models.dispose();
  rmSync(work, { recursive: true, force: true });
});

const job: JobContext = { id: 't', signal: new AbortController().signal, progress: () => undefined, report: () => undefined, wantsPreview: () => false, preview: () => undefined };

/** Runs the pipeline with a recording UNet stub (ε = 0); returns the cond part of the context of every call. */
async function contexts(params: Img2ImgParams): Promise<{ cond: Float32Array; tokens: number }[]> {
  const calls: { cond: Float32Array; tokens: number }[] = [];
  const predict = model.unet.predict;
  model.unet.predict = async (x, n, _c, _h, _w, _t, ctx, tokens, dim) => {
    calls.push({ cond: ctx.slice(tokens * dim, 2 * tokens * dim), tokens });
    return new Float32Array(x.length / n * n);
  };
  try {
    await runImg2Img({ width: 64, height: 64, seed: 1, cfg_scale: 7, save_images: false, sampler_name: 'Euler', negative_prompt: '', ...params }, job, {
      models: { get: async () => model } as unknown as ModelManager,
      settings: { ...defaultSettings({}), outputDir: join(work, 'out') },
    });
  } finally {
    model.unet.predict = predict;
  }
  return calls;
}

const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function textsPerCall(calls: { cond: Float32Array }[], named: Record<string, Conditioning>): string[] {
  return calls.map((c) => Object.entries(named).find(([, v]) => same(v.hidden, c.cond))?.[0] ?? '?');
}

describe('prompt editing in the pipeline (A1111 CFGDenoiser.step)', () => {
  it('txt2img, 10 steps, [cat:dog:3]: "cat" for calls 0-3, "dog" for 4-9', async () => {
    const enc = new PromptEncoder(model);
    const named = { cat: await enc.encode('a cat'), dog: await enc.encode('a dog') };
    const calls = await contexts({ prompt: 'a [cat:dog:3]', steps: 10 });
    assert.deepEqual(textsPerCall(calls, named), [...Array(4).fill('cat'), ...Array(6).fill('dog')]);
  });

  it('img2img counts from the first step that runs: denoise 0.5 runs 6 steps (cat ×4, dog ×2); 0.3 never reaches "dog"', async () => {
    const enc = new PromptEncoder(model);
    const named = { cat: await enc.encode('a cat'), dog: await enc.encode('a dog') };
    const init = [join(work, 'init.png')];
    const half = await contexts({ prompt: 'a [cat:dog:3]', steps: 10, init_images: init, denoising_strength: 0.5 });
    assert.deepEqual(textsPerCall(half, named), ['cat', 'cat', 'cat', 'cat', 'dog', 'dog']);
    const low = await contexts({ prompt: 'a [cat:dog:3]', steps: 10, init_images: init, denoising_strength: 0.3 });
    assert.deepEqual(textsPerCall(low, named), ['cat', 'cat', 'cat', 'cat']);
  });

  it('second-order samplers build the schedule for 2 × steps and count every model call (Heun, 5 steps, [cat:dog:0.5])', async () => {
    const enc = new PromptEncoder(model);
    const named = { cat: await enc.encode('a cat'), dog: await enc.encode('a dog') };
    const calls = await contexts({ prompt: 'a [cat:dog:0.5]', steps: 5, sampler_name: 'Heun' });
    // 9 calls (the last step is a plain Euler step); when = int(0.5 · 10) = 5 → calls 0-5 "cat".
    assert.deepEqual(textsPerCall(calls, named), [...Array(6).fill('cat'), ...Array(3).fill('dog')]);
  });

  it('alternation [cat|dog]: A1111 schedule [[1,cat],[2,dog],[3,cat],[4,dog]] read with its off-by-one counter', async () => {
    const enc = new PromptEncoder(model);
    const named = { cat: await enc.encode('a cat'), dog: await enc.encode('a dog') };
    const calls = await contexts({ prompt: 'a [cat|dog]', steps: 4 });
    // Call k takes the first entry with k ≤ end: calls 0 and 1 both take [1, cat], call 2 [2, dog], call 3 [3, cat].
    assert.deepEqual(textsPerCall(calls, named), ['cat', 'cat', 'dog', 'cat']);
  });
});

describe('AND, chunks and padding', () => {
  it('AND weights combine as combine_denoised: uncond + Σ wᵢ·cfg·(condᵢ − uncond)', async () => {
    const conds = await encodeJobConditioning({ model, prompt: 'a cat AND a dog :0.5', negativePrompt: 'blurry', totalSteps: 1 });
    const step = conds.at(0);
    assert.deepEqual(step.conds.map((c) => c.weight), [1, 0.5]);
    const mean = (a: Float32Array): number => a.reduce((s, v) => s + v, 0) / a.length;
    const predict = model.unet.predict;
    model.unet.predict = async (x, n, _c, _h, _w, _t, ctx, tokens, dim) => {
      const out = new Float32Array(x.length);
      const per = x.length / n;
      for (let j = 0; j < n; j++) out.fill(mean(ctx.subarray(j * tokens * dim, (j + 1) * tokens * dim)), j * per, (j + 1) * per);
      return out;
    };
    try {
      const x = new Float32Array(4 * 8 * 8).fill(0.3);
      const sigma = 2;
      const out = await denoise({
        model, schedule: discreteSchedule(model.layout.scheduler), kind: 'k-diffusion', conditioning: conds.forRun(), cfgScale: 7, x, n: 1, h: 8, w: 8,
        sigmas: Float64Array.from([sigma, 0]), sampler: samplers['Euler']!, noise: () => new Float32Array(x.length), signal: job.signal, onStep: () => undefined,
      });
      const u = mean(step.uncond.hidden);
      const eps = u + 1 * 7 * (mean(step.conds[0]!.cond.hidden) - u) + 0.5 * 7 * (mean(step.conds[1]!.cond.hidden) - u);
      for (const v of out) assert.ok(Math.abs(v - (0.3 - sigma * eps)) < 1e-4, `${v} vs ${0.3 - sigma * eps}`);
    } finally {
      model.unet.predict = predict;
    }
  });

  it('over 75 tokens: 154-token context; the shorter uncond is padded with the empty prompt; AND parts stack with the last vector', async () => {
    const long = new Array(80).fill('cat').join(' ');
    const conds = await encodeJobConditioning({ model, prompt: `${long} AND a dog`, negativePrompt: 'blurry', totalSteps: 20 });
    const s = conds.at(0);
    assert.equal(s.conds[0]!.cond.tokens, 154);
    assert.equal(s.conds[1]!.cond.tokens, 154);
    assert.equal(s.uncond.tokens, 154);
    assert.equal(conds.padded, true);
    const empty = await new PromptEncoder(model).encode('');
    const blurry = await new PromptEncoder(model).encode('blurry');
    assert.ok(same(s.uncond.hidden.subarray(0, 77 * D), blurry.hidden));
    assert.ok(same(s.uncond.hidden.subarray(77 * D), empty.hidden));
    const dog = s.conds[1]!.cond.hidden;
    const last = dog.subarray(76 * D, 77 * D);
    for (let t = 77; t < 154; t++) assert.ok(same(dog.subarray(t * D, (t + 1) * D), last));
    // the long prompt: chunk 2 holds the last 5 "cat"s
    const chunked = await new PromptEncoder(model).encode(long);
    assert.equal(chunked.tokens, 154);
    assert.ok(same(s.conds[0]!.cond.hidden, chunked.hidden));
  });

  it('each distinct chunk goes through the text encoder once per job', async () => {
    const encodeChunk = model.textEncoder.encodeChunk;
    let runs = 0;
    model.textEncoder.encodeChunk = (ids, o) => (runs++, encodeChunk.call(model.textEncoder, ids, o));
    try {
      await encodeJobConditioning({ model, prompt: 'a [cat:dog:3] AND a cat', negativePrompt: 'a cat', totalSteps: 10 });
    } finally {
      model.textEncoder.encodeChunk = encodeChunk;
    }
    assert.equal(runs, 3); // the empty chunk, "a cat", "a dog"
  });

  it('CLIP skip 2 changes the conditioning; 3 fails clearly on a 1-layer encoder', async () => {
    const one = (await encodeJobConditioning({ model, prompt: 'a cat', negativePrompt: '', totalSteps: 10 })).at(0);
    const two = (await encodeJobConditioning({ model, prompt: 'a cat', negativePrompt: '', totalSteps: 10, clipSkip: 2 })).at(0);
    assert.ok(!same(one.conds[0]!.cond.hidden, two.conds[0]!.cond.hidden));
    await assert.rejects(encodeJobConditioning({ model, prompt: 'a cat', negativePrompt: '', totalSteps: 10, clipSkip: 3 }), /CLIP skip 3 needs hidden_states\[-3\], but this text encoder has 1 layer/);
  });
});

describe('textual inversion', () => {
  let table: Float32Array;
  const root = join(work, 'root');
  const other = join(work, 'other');
  const rnd = (n: number, seed: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 0.8);

  before(async () => {
    const d = await deriveTextEncoder(model.textEncoder.path, { inputsEmbeds: true, clipSkip: 1 });
    table = (await readTensor((await readSafetensors(d.tokenEmbeddingPath!)).tensors[0]!, 'F32')) as Float32Array;
    mkdirSync(join(root, 'embeddings', 'sub'), { recursive: true });
    mkdirSync(join(other, 'embeddings'), { recursive: true });
    // "copycat" = the token-embedding rows of "photo of": it must encode exactly like those words.
    const ids = model.tokenizer.encode('photo of');
    const copy = new Float32Array(ids.length * D);
    ids.forEach((id, i) => copy.set(table.subarray(id * D, (id + 1) * D), i * D));
    writeA1111Pt(join(root, 'embeddings', 'copycat.pt'), 'copycat', copy, D);
    writeA1111Pt(join(root, 'embeddings', 'mystyle.pt'), 'mystyle', rnd(2 * D, 1), D);
    writeA1111Pt(join(other, 'embeddings', 'mystyle.pt'), 'mystyle', rnd(2 * D, 2), D);
    await writeEmbParams(join(root, 'embeddings', 'sub', 'glow.safetensors'), rnd(3 * D, 3), D);
    writeDiffusersBin(join(root, 'embeddings', 'concept.bin'), '<concept>', rnd(D, 4));
    await writeEmbParams(join(root, 'embeddings', 'wide.safetensors'), rnd(768, 5), 768);
    writeFileSync(join(root, 'embeddings', 'broken.pt'), 'not a checkpoint');
  });

  it('reads A1111 .pt, .safetensors (emb_params) and diffusers .bin by file name; other widths are skipped', async () => {
    const db = new EmbeddingDatabase(embeddingDirs(root));
    assert.deepEqual(Object.fromEntries(await db.vectorCounts(D)), { concept: 1, copycat: 2, mystyle: 2, glow: 3 });
    assert.equal((await db.vectorCounts()).get('wide'), 1);
    assert.equal(db.problems.length, 1);
    assert.match(db.problems[0]!.path, /broken\.pt$/);
    assert.match(await db.hash('mystyle'), /^[0-9a-f]{12}$/);
  });

  it('an embedding whose vectors are the token rows of "photo of" encodes exactly like "photo of"', async () => {
    const db = new EmbeddingDatabase(embeddingDirs(root));
    const viaEmb = (await encodeJobConditioning({ model, prompt: 'a copycat cat', negativePrompt: '', totalSteps: 10, embeddings: db })).at(0);
    const plain = (await encodeJobConditioning({ model, prompt: 'a photo of cat', negativePrompt: '', totalSteps: 10 })).at(0);
    const err = viaEmb.conds[0]!.cond.hidden.reduce((m, v, i) => Math.max(m, Math.abs(v - plain.conds[0]!.cond.hidden[i]!)), 0);
    assert.ok(err < 1e-5, `max diff ${err}`);
  });

  it('a different embedding changes the conditioning from its token positions on, never before; TI hashes in A1111 order', async () => {
    const a = await encodeJobConditioning({ model, prompt: 'a cat mystyle dog', negativePrompt: 'glow', totalSteps: 10, embeddings: new EmbeddingDatabase(embeddingDirs(root)) });
    const b = await encodeJobConditioning({ model, prompt: 'a cat mystyle dog', negativePrompt: 'glow', totalSteps: 10, embeddings: new EmbeddingDatabase(embeddingDirs(other)) });
    const ha = a.at(0).conds[0]!.cond.hidden;
    const hb = b.at(0).conds[0]!.cond.hidden;
    const at = 1 + model.tokenizer.encode('a cat').length; // BOS + "a cat"
    const rowDiff = (t: number): number => Math.max(...Array.from({ length: D }, (_, d) => Math.abs(ha[t * D + d]! - hb[t * D + d]!)));
    for (let t = 0; t < at; t++) assert.equal(rowDiff(t), 0, `row ${t} before the embedding changed`);
    assert.ok(rowDiff(at) > 1e-3 && rowDiff(at + 1) > 1e-3, 'embedding rows unchanged');
    // (later rows change too: CLIP attention is causal, every later token sees the embedding)
    assert.deepEqual(a.embeddingsUsed, ['glow', 'mystyle']);
    assert.match(a.tiHashes ?? '', /^mystyle: [0-9a-f]{12}, glow: [0-9a-f]{12}$/);
    assert.match(b.tiHashes ?? '', /^mystyle: [0-9a-f]{12}$/); // "glow" is not in the other folder: plain text there
  });
});
