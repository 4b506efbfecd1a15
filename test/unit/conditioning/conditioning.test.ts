// The conditioning stage on the tiny model: prompt editing per denoiser call (txt2img, img2img, second-order),
// AND weights through the CFG denoiser, 75-token chunks, cond/uncond of different lengths (separate UNet calls by
// default, padding with pad_cond_uncond), fixed-77 UNet exports, one encoder run per distinct chunk, and
// textual-inversion embeddings from real A1111 / diffusers files.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readSafetensors } from '../../../models/formats/safetensors';
import { readTensor } from '../../../models/formats/tensorRecord';
import { deriveTextEncoder } from '../../../models/textEncoderSurgery';
import { drawDemoImage } from '../../../daemon/cli/demoImage';
import { EmbeddingDatabase } from '../../../daemon/modelFiles/embeddings';
import { modelFolders } from '../../../models/registry';
import type { JobContext } from '../../../daemon/jobs';
import type { ModelManager, SdModel } from '../../../daemon/parts/sdModel';
import { testModelManager, testPipelineDeps } from '../../fixtures/testServices';
import { runImg2Img } from '../../../daemon/pipelines/img2img';
import { ErrorCodes, type Img2ImgParams } from '../../../daemon/protocol';
import { discreteSchedule, samplers } from '../../../daemon/sampling';
import { defaultSettings } from '../../../daemon/settings';
import { denoise } from '../../../daemon/stages/denoise';
import { encodeJobConditioning, PromptEncoder, type Conditioning } from '../../../daemon/stages/encodePrompt';
import { writeTinySdModel } from '../../../models/testModel/tinySd';
import { writeA1111Pt, writeDiffusersBin, writeEmbParams } from './embeddingFiles';
import { fakeJob } from '../../fixtures/fakeJob';

const work = mkdtempSync(join(tmpdir(), 'sd-cond-'));
process.env.SD_STUDIO_CACHE_DIR = join(work, 'cache');
const models = testModelManager();
// A manager holds one model at a time: one each for the variants.
const dynModels = testModelManager();
const pwModels = testModelManager();
let model: SdModel;
/** The tiny model with a dynamic UNet token dim ("sequence"), for prompts over 75 tokens. */
let dyn: SdModel;
/** The tiny model with a position-wise text encoder (no causal token mix). */
let pw: SdModel;
const D = 32;

before(async () => {
  await writeTinySdModel(join(work, 'tiny'));
  await writeTinySdModel(join(work, 'dyn'), { unetContextTokens: 'dynamic' });
  await writeTinySdModel(join(work, 'pw'), { tokenMixing: false });
  model = await models.get(join(work, 'tiny'));
  dyn = await dynModels.get(join(work, 'dyn'));
  pw = await pwModels.get(join(work, 'pw'));
  writeFileSync(join(work, 'init.png'), await drawDemoImage(64, 64));
});
after(async () => {
  await models.dispose();
  await dynModels.dispose();
  await pwModels.dispose();
  rmSync(work, { recursive: true, force: true });
});

const job: JobContext = fakeJob('t');

/** Runs the pipeline with a recording UNet stub (ε = 0); returns the cond part of the context of every call. */
async function contexts(params: Img2ImgParams): Promise<{ cond: Float32Array; tokens: number }[]> {
  const calls: { cond: Float32Array; tokens: number }[] = [];
  const predict = model.unet.predict;
  model.unet.predict = async (x, n, _c, _h, _w, _t, ctx, tokens, dim) => {
    calls.push({ cond: ctx.slice(tokens * dim, 2 * tokens * dim), tokens });
    return new Float32Array(x.length / n * n);
  };
  try {
    await runImg2Img({ width: 64, height: 64, seed: 1, cfg_scale: 7, save_images: false, sampler_name: 'Euler', negative_prompt: '', ...params }, job, testPipelineDeps({ get: async () => model } as unknown as ModelManager, { ...defaultSettings({}), outputDir: join(work, 'out') }));
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

  it('over 75 tokens, pad_cond_uncond: 154-token context; the shorter uncond is padded with the empty prompt; AND parts stack with the last vector', async () => {
    const long = new Array(80).fill('cat').join(' ');
    const model = dyn;
    const conds = await encodeJobConditioning({ model, prompt: `${long} AND a dog`, negativePrompt: 'blurry', totalSteps: 20, padCondUncond: true });
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

  it('over 75 tokens by default (A1111 pad_cond_uncond off): cond and uncond keep their lengths, nothing padded', async () => {
    const long = new Array(80).fill('cat').join(' ');
    const conds = await encodeJobConditioning({ model: dyn, prompt: `${long} AND a dog`, negativePrompt: 'blurry', totalSteps: 20 });
    const s = conds.at(0);
    assert.deepEqual([s.uncond.tokens, ...s.conds.map((c) => c.cond.tokens)], [77, 154, 154]);
    assert.ok(same(s.uncond.hidden, (await new PromptEncoder(dyn).encode('blurry')).hidden));
    assert.equal(conds.padded, false);
  });

  it('cond/uncond of different lengths run as separate UNet calls, one prediction each, combined as one batch would be', async () => {
    const long = new Array(80).fill('cat').join(' ');
    const conds = await encodeJobConditioning({ model: dyn, prompt: `${long} AND a dog :0.5`, negativePrompt: '', totalSteps: 1 });
    const step = conds.at(0);
    const calls: { x: Float32Array; n: number; t: number; tokens: number }[] = [];
    let evaluations = 0;
    const run = conds.forRun();
    const predict = dyn.unet.predict;
    dyn.unet.predict = async (x, n, c, h, w, t, ctx, tokens, dim) => {
      calls.push({ x: x.slice(), n, t, tokens });
      return predict.call(dyn.unet, x, n, c, h, w, t, ctx, tokens, dim);
    };
    const x = Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i * 0.37));
    const sigma = 2;
    let out: Float32Array;
    try {
      out = await denoise({
        model: dyn, schedule: discreteSchedule(dyn.layout.scheduler), kind: 'k-diffusion', conditioning: (k) => (evaluations++, run(k)), cfgScale: 7, x, n: 2, h: 8, w: 8,
        sigmas: Float64Array.from([sigma, 0]), sampler: samplers['Euler']!, noise: () => new Float32Array(x.length), signal: job.signal, onStep: () => undefined,
      });
    } finally {
      dyn.unet.predict = predict;
    }
    assert.equal(evaluations, 1, 'conditioning(step) once per model evaluation');
    // per image: uncond alone (77 tokens), then both AND parts together (154 tokens, the short one stacked)
    assert.deepEqual(calls.map((c) => [c.n, c.tokens]), [[1, 77], [2, 154], [1, 77], [2, 154]]);
    // Reference: the UNet called separately for each conditioning, combined as combine_denoised.
    const per = 4 * 8 * 8;
    for (let i = 0; i < 2; i++) {
      const xi = calls[2 * i]!.x;
      const t = calls[2 * i]!.t;
      const one = (cd: Conditioning): Promise<Float32Array> => predict.call(dyn.unet, xi, 1, 4, 8, 8, t, cd.hidden, cd.tokens, cd.dim);
      const u = await one(step.uncond);
      const c1 = await one(step.conds[0]!.cond);
      const c2 = await one(step.conds[1]!.cond);
      let err = 0;
      for (let q = 0; q < per; q++) {
        const eps = u[q]! + 7 * (c1[q]! - u[q]!) + 0.5 * 7 * (c2[q]! - u[q]!);
        err = Math.max(err, Math.abs(out![i * per + q]! - (x[i * per + q]! - sigma * eps)));
      }
      assert.ok(err < 1e-4, `image ${i}: max diff ${err}`);
    }
  });

  it('a prompt over 75 tokens with an empty negative prompt runs: no "Pad conds", UNet calls of 77 and 154 tokens; pad_cond_uncond writes "Pad conds: True"', async () => {
    const long = new Array(80).fill('cat').join(' ');
    const run = async (override_settings?: Img2ImgParams['override_settings']): Promise<{ infotext: string; calls: [number, number][] }> => {
      const calls: [number, number][] = [];
      const predict = dyn.unet.predict;
      dyn.unet.predict = async (x, n, c, h, w, t, ctx, tokens, dim) => {
        calls.push([n, tokens]);
        return predict.call(dyn.unet, x, n, c, h, w, t, ctx, tokens, dim);
      };
      try {
        const r = await runImg2Img({ prompt: long, negative_prompt: '', width: 64, height: 64, seed: 1, steps: 3, cfg_scale: 7, save_images: false, sampler_name: 'Euler', override_settings }, job, testPipelineDeps({ get: async () => dyn } as unknown as ModelManager, { ...defaultSettings({}), outputDir: join(work, 'out') }));
        return { infotext: r.images[0]!.infotext, calls };
      } finally {
        dyn.unet.predict = predict;
      }
    };
    const plain = await run();
    assert.ok(!plain.infotext.includes('Pad conds'), plain.infotext);
    assert.deepEqual(plain.calls, [[1, 77], [1, 154], [1, 77], [1, 154], [1, 77], [1, 154]]);
    const padded = await run({ pad_cond_uncond: true });
    assert.match(padded.infotext, /Pad conds: True/);
    assert.deepEqual(padded.calls, [[2, 154], [2, 154], [2, 154]]);
  });

  it('a UNet export fixed at 77 tokens: a clear ModelError naming the file before sampling, for the prompt or the negative prompt', async () => {
    const long = new Array(80).fill('cat').join(' ');
    assert.equal(model.unet.contextTokens, 77);
    assert.equal(dyn.unet.contextTokens, undefined);
    const message = (what: string): RegExp => new RegExp(`unet[\\/]model\\.onnx: this UNet export takes exactly 77 tokens; ${what} needs 154 \\(2 chunks\\) — shorten it or use a model exported with a dynamic sequence length$`);
    await assert.rejects(encodeJobConditioning({ model, prompt: long, negativePrompt: '', totalSteps: 4 }), (e: Error & { code?: number; data?: { file?: string } }) => {
      assert.match(e.message, message('the prompt'));
      assert.equal(e.code, ErrorCodes.ModelError);
      assert.match(e.data?.file ?? '', /unet[\\/]model\.onnx$/);
      return true;
    });
    await assert.rejects(encodeJobConditioning({ model, prompt: 'a cat', negativePrompt: long, totalSteps: 4, padCondUncond: true }), message('the negative prompt'));
    let unetCalls = 0;
    const predict = model.unet.predict;
    model.unet.predict = async (...a) => (unetCalls++, predict.apply(model.unet, a));
    try {
      await assert.rejects(
        runImg2Img({ prompt: long, width: 64, height: 64, seed: 1, steps: 3, save_images: false, sampler_name: 'Euler' }, job, testPipelineDeps({ get: async () => model } as unknown as ModelManager, { ...defaultSettings({}), outputDir: join(work, 'out') })),
        message('the prompt'),
      );
    } finally {
      model.unet.predict = predict;
    }
    assert.equal(unetCalls, 0, 'fails before the first UNet call');
    // The UNet itself refuses too (a caller that skips the conditioning stage gets the same message, not ORT's).
    await assert.rejects(model.unet.predict(new Float32Array(4 * 8 * 8), 1, 4, 8, 8, 500, new Float32Array(154 * D), 154, D), message('the prompt'));
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
    const db = new EmbeddingDatabase(modelFolders(root, 'embedding'));
    assert.deepEqual(Object.fromEntries(await db.vectorCounts(D)), { concept: 1, copycat: 2, mystyle: 2, glow: 3 });
    assert.equal((await db.vectorCounts()).get('wide'), 1);
    assert.equal(db.problems.length, 1);
    assert.match(db.problems[0]!.path, /broken\.pt$/);
    assert.match(await db.hash('mystyle'), /^[0-9a-f]{12}$/);
  });

  it('an embedding whose vectors are the token rows of "photo of" encodes exactly like "photo of"', async () => {
    const db = new EmbeddingDatabase(modelFolders(root, 'embedding'));
    const viaEmb = (await encodeJobConditioning({ model, prompt: 'a copycat cat', negativePrompt: '', totalSteps: 10, embeddings: db })).at(0);
    const plain = (await encodeJobConditioning({ model, prompt: 'a photo of cat', negativePrompt: '', totalSteps: 10 })).at(0);
    const err = viaEmb.conds[0]!.cond.hidden.reduce((m, v, i) => Math.max(m, Math.abs(v - plain.conds[0]!.cond.hidden[i]!)), 0);
    assert.ok(err < 1e-5, `max diff ${err}`);
  });

  it('a different embedding changes the conditioning from its token positions on, never before; TI hashes in A1111 order', async () => {
    const a = await encodeJobConditioning({ model, prompt: 'a cat mystyle dog', negativePrompt: 'glow', totalSteps: 10, embeddings: new EmbeddingDatabase(modelFolders(root, 'embedding')) });
    const b = await encodeJobConditioning({ model, prompt: 'a cat mystyle dog', negativePrompt: 'glow', totalSteps: 10, embeddings: new EmbeddingDatabase(modelFolders(other, 'embedding')) });
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

  it('with a position-wise text encoder, an embedding from a real .safetensors / .pt file changes exactly its token rows', async () => {
    // The fixture itself: without the token mix, changing one token changes only its own row.
    const ids = (text: string): Int32Array => {
      const a = new Int32Array(77).fill(pw.tokenizer.eosId);
      a[0] = pw.tokenizer.bosId;
      a.set(pw.tokenizer.encode(text), 1);
      return a;
    };
    const h1 = (await pw.textEncoder.encode(ids('a cat sat'))).hidden;
    const h2 = (await pw.textEncoder.encode(ids('a dog sat'))).hidden;
    const changed = (a: Float32Array, b: Float32Array, tol: number): number[] =>
      Array.from({ length: 77 }, (_, t) => t).filter((t) => Array.from({ length: D }, (_, d) => Math.abs(a[t * D + d]! - b[t * D + d]!)).some((v) => v > tol));
    assert.deepEqual(changed(h1, h2, 0), [1 + pw.tokenizer.encode('a').length]);

    // Two 2-vector embeddings named "mystyle": A1111-trained .safetensors (emb_params) and an A1111 .pt.
    const st = join(work, 'pw-st');
    const pt = join(work, 'pw-pt');
    mkdirSync(join(st, 'embeddings'), { recursive: true });
    mkdirSync(join(pt, 'embeddings'), { recursive: true });
    await writeEmbParams(join(st, 'embeddings', 'mystyle.safetensors'), rnd(2 * D, 6), D);
    writeA1111Pt(join(pt, 'embeddings', 'mystyle.pt'), 'mystyle', rnd(2 * D, 7), D);
    const overrides: number[] = [];
    const encodeChunk = pw.textEncoder.encodeChunk;
    pw.textEncoder.encodeChunk = (i, o) => (overrides.push(o?.overrides?.length ?? 0), encodeChunk.call(pw.textEncoder, i, o));
    const cond = async (prompt: string, dir?: string): Promise<Float32Array> =>
      (await encodeJobConditioning({ model: pw, prompt, negativePrompt: '', totalSteps: 10, embeddings: dir ? new EmbeddingDatabase(modelFolders(dir, 'embedding')) : null })).at(0).conds[0]!.cond.hidden;
    let plain: Float32Array, viaSt: Float32Array, viaPt: Float32Array;
    try {
      plain = await cond('a cat photo of dog'); // "photo of" is 2 tokens: the same positions the embedding takes
      viaSt = await cond('a cat mystyle dog', st);
      viaPt = await cond('a cat mystyle dog', pt);
    } finally {
      pw.textEncoder.encodeChunk = encodeChunk;
    }
    assert.ok(overrides.filter((k) => k === 1).length === 2, `the embedding went through the inputs_embeds (surgery) variant: ${overrides.join(',')}`);
    const at = 1 + pw.tokenizer.encode('a cat').length; // BOS + "a cat"
    assert.deepEqual(pw.tokenizer.encode('a cat photo of dog').length, pw.tokenizer.encode('a cat').length + 3);
    // Against the plain prompt (stock graph vs the surgery variant: equal to float tolerance elsewhere).
    assert.deepEqual(changed(plain!, viaSt!, 1e-5), [at, at + 1]);
    assert.deepEqual(changed(plain!, viaPt!, 1e-5), [at, at + 1]);
    // Between the two files, both through the surgery variant: every other row bit-identical.
    assert.deepEqual(changed(viaSt!, viaPt!, 0), [at, at + 1]);
  });
});
