// Formats with no settings text to read: Midjourney's and C2PA/XMP-marked generators' prompt only, JSON no known
// generator writes (a flagged guess), and settings hidden in pixel LSBs (stealth PNG info, NovelAI). Images are
// written by wildWriters.ts the way each tool writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGenerationInfoBytes } from '../../../daemon/infotext/readInfo';
import { sendToImg2Img } from '../../../daemon/infotext/sendTo';
import { infotextWarning, specFromInfo } from '../../../daemon/infotext/toSpec';
import { fields, png, sendNames } from './wildExpect';
import {
  cborBox, gradient, jpegWithSegments, jumb, pngChunk, PyFloat, pyDumps, stealthWrite, tinyJpeg, tinyPng, tinyWebp, webpWithChunks, withChunks,
} from './wildWriters';

test('Midjourney PNG: Description with --parameters and Job ID, Author: prompt and generator only', () => {
  const info = readGenerationInfoBytes(png([['Author', 'peterkaminski'], ['Description', 'example --ar 2:1 --stylize 80 --v 6 Job ID: a7421d2f-b262-44f9-977c-ac23e9c7d3e3'], ['Creation Time', '2024-03-01T10:00:00Z']]), 'mj.png');
  assert.deepEqual(fields(info), {
    format: 'midjourney', generator: 'Midjourney', prompt: 'example', negativePrompt: null, steps: null, sampler: null, scheduleType: null, cfgScale: null,
    seed: null, width: null, height: null, model: null, modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.equal(info.parameters['--ar'], '2:1');
  assert.equal(info.parameters['Job ID'], 'a7421d2f-b262-44f9-977c-ac23e9c7d3e3');
  assert.equal(info.parameters.Author, 'peterkaminski');
  assert.deepEqual(sendToImg2Img(info), { prompt: 'example' });
});

/** A C2PA manifest store: one manifest with a claim and a c2pa.actions assertion (CBOR), as JUMBF boxes. */
function manifestStore(generator: string, agent: string, prompt?: string): Uint8Array {
  const action = { action: 'c2pa.created', softwareAgent: { name: agent }, digitalSourceType: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', ...(prompt ? { parameters: { prompt } } : {}) };
  return jumb('c2pa', jumb('urn:c2pa:7d0c1a2b-0000-4000-8000-000000000001',
    jumb('c2pa.assertions', jumb('c2pa.actions.v2', cborBox({ actions: [action] }))),
    jumb('c2pa.claim.v2', cborBox({ instanceID: 'xmp:iid:1', claim_generator_info: { name: generator, version: '1.0' }, 'dc:title': 'image.png' })),
  ));
}

test('C2PA manifests (DALL·E PNG caBX, Firefly JPEG APP11, WebP C2PA): generator and prompt, no settings', async () => {
  const a = readGenerationInfoBytes(withChunks(tinyPng(8, 8), [pngChunk('caBX', manifestStore('ChatGPT', 'DALL·E'))]), 'dalle.png');
  assert.equal(a.format, 'provenance');
  assert.equal(a.generator, 'DALL·E');
  assert.equal(a.prompt, null);
  assert.equal(a.parameters['Digital source type'], 'trainedAlgorithmicMedia');
  assert.equal(a.parameters.claim_generator, 'ChatGPT 1.0');
  assert.deepEqual(a.problems, []);
  // JPEG XT: "JP", box instance 1, sequence numbers, the box's LBox/TBox repeated in the second segment.
  const store = manifestStore('Adobe Firefly', 'Adobe Firefly', 'a lighthouse in a storm');
  const half = 40;
  const seg = (z: number, body: Uint8Array) => { const h = new Uint8Array(8); h.set([0x4a, 0x50, 0, 1, 0, 0, 0, z]); return new Uint8Array([...h, ...body]); };
  const jpeg = jpegWithSegments(await tinyJpeg(), [{ marker: 0xeb, payload: seg(1, store.subarray(0, half)) }, { marker: 0xeb, payload: seg(2, new Uint8Array([...store.subarray(0, 8), ...store.subarray(half)])) }]);
  const b = readGenerationInfoBytes(jpeg, 'firefly.jpg');
  assert.deepEqual([b.format, b.generator, b.prompt], ['provenance', 'Adobe Firefly', 'a lighthouse in a storm']);
  assert.deepEqual(sendToImg2Img(b), { prompt: 'a lighthouse in a storm' });
  const c = readGenerationInfoBytes(webpWithChunks(await tinyWebp(), [{ type: 'C2PA', data: manifestStore('Google', 'Imagen') }]), 'gemini.webp');
  assert.deepEqual([c.format, c.generator], ['provenance', 'Imagen']);
  // C2PA stripped, XMP kept (a re-save in an editor): IPTC's DigitalSourceType and the CreatorTool still say it.
  const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
 xmp:CreatorTool="Adobe Firefly" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>
</rdf:RDF></x:xmpmeta>`;
  const d = readGenerationInfoBytes(jpegWithSegments(await tinyJpeg(), [{ marker: 0xe1, payload: new TextEncoder().encode(`http://ns.adobe.com/xap/1.0/\0${xmp}`) }]), 'firefly-resaved.jpg');
  assert.deepEqual([d.format, d.generator, d.prompt, d.source, d.parameters['Digital source type']], ['provenance', 'Adobe Firefly', null, 'XMP:Iptc4xmpExt:DigitalSourceType', 'trainedAlgorithmicMedia']);
});

test('unknown JSON in a text chunk: the keys that look like settings, mapped and flagged as a guess', () => {
  const record = JSON.stringify({ prompt: 'a tiny robot', neg_prompt: 'blurry', height: 768, width: 512, steps: 24, cfg_scale: 4.5, shift: 3, seed: 77, objective: 'flow', model_type: 'unet', checkpoint: 'base' });
  const info = readGenerationInfoBytes(png([['parameters', record]]), 'trainer.png');
  assert.deepEqual(fields(info), {
    format: 'json', generator: null, prompt: 'a tiny robot', negativePrompt: 'blurry', steps: 24, sampler: null, scheduleType: null, cfgScale: 4.5,
    seed: 77, width: 512, height: 768, model: 'base', modelHash: null, denoisingStrength: null, guessed: true,
  });
  assert.equal(info.parameters.objective, 'flow', 'the raw JSON is all there');
  assert.equal(sendToImg2Img(info)!.prompt, 'a tiny robot');
  assert.deepEqual(specFromInfo(info)?.comments, [' settings GUESSED from JSON no known generator writes (parameters): check them'], 'a .sdprompt made from it says so');
  const none = readGenerationInfoBytes(png([['Comment', JSON.stringify({ camera: 'x', lens: 'y' })]]), 'photo.png');
  assert.equal(none.format, 'none', 'JSON with no settings-like keys is not guessed at');
});

test('a sampler with no A1111 equivalent is left to img2img\'s default, with a warning naming it', () => {
  const info = readGenerationInfoBytes(png([['prompt', 'a fox'], ['seed', '1'], ['sampler', 'dpmsingle'], ['steps', '20'], ['scale', '7']]), 'k.png');
  assert.equal(info.format, 'kohya');
  assert.equal(sendToImg2Img(info)!.sampler_name, undefined);
  assert.match(infotextWarning(info) ?? '', /"dpmsingle" \(kohya sd-scripts\) has no A1111 equivalent/);
});

/** An RGBA (or RGB) PNG with `payload` hidden by the stealth-pnginfo writer, no text chunks. */
function stealthPng(payload: string, mode: 'alpha' | 'rgb', compressed: boolean, size = 64): Uint8Array {
  const px = gradient(size, size);
  stealthWrite(px, size, size, payload, mode, compressed);
  return tinyPng(size, size, { alpha: mode === 'alpha', pixels: px });
}

const STEALTH_TEXT = 'a fox in the snow\nNegative prompt: lowres\nSteps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1234, Size: 512x768, Model hash: 45a21ea00a, Model: waiIllustriousSDXL_v160, Version: v1.10.1';

test('stealth PNG info: all four signatures (alpha/RGB LSBs, plain/gzip) read back the A1111 infotext', () => {
  for (const [mode, compressed, signature] of [['alpha', false, 'stealth_pnginfo'], ['alpha', true, 'stealth_pngcomp'], ['rgb', false, 'stealth_rgbinfo'], ['rgb', true, 'stealth_rgbcomp']] as const) {
    const info = readGenerationInfoBytes(stealthPng(STEALTH_TEXT, mode, compressed), 'stealth.png');
    assert.deepEqual(fields(info), {
      format: 'a1111', generator: 'A1111', prompt: 'a fox in the snow', negativePrompt: 'lowres', steps: 20, sampler: 'DPM++ 2M', scheduleType: 'Karras',
      cfgScale: 7, seed: 1234, width: 512, height: 768, model: 'waiIllustriousSDXL_v160', modelHash: '45a21ea00a', denoisingStrength: null, guessed: false,
    }, signature);
    assert.equal(info.source, signature);
    assert.equal(info.raw[signature], STEALTH_TEXT);
    assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M', scheduler: 'Karras' });
  }
  // The same pixels without a signature: nothing is made up from noise.
  const plain = readGenerationInfoBytes(tinyPng(64, 64, { pixels: gradient(64, 64) }), 'plain.png');
  assert.equal(plain.format, 'none');
});

test('NovelAI stealth: gzip JSON in the alpha LSBs (LSBInjector), sampler and noise schedule mapped', () => {
  const comment = pyDumps({
    prompt: '1girl, white hair, night sky', steps: 28, height: 1216, width: 832, scale: new PyFloat(5.0), uncond_scale: new PyFloat(0.0), cfg_rescale: new PyFloat(0.0),
    seed: 2475193372, n_samples: 1, noise_schedule: 'karras', sampler: 'k_dpmpp_2m', uc: 'lowres, bad anatomy', request_type: 'PromptGenerateRequest',
  });
  const payload = pyDumps({
    Title: 'AI generated image', Description: '1girl, white hair, night sky', Software: 'NovelAI', Source: 'Stable Diffusion XL C1E1DE52',
    'Generation time': '3.2', Comment: comment,
  });
  const info = readGenerationInfoBytes(stealthPng(payload, 'alpha', true, 96), 'nai.png');
  assert.deepEqual(fields(info), {
    format: 'novelai', generator: 'NovelAI', prompt: '1girl, white hair, night sky', negativePrompt: 'lowres, bad anatomy', steps: 28, sampler: 'k_dpmpp_2m',
    scheduleType: 'karras', cfgScale: 5, seed: 2475193372, width: 832, height: 1216, model: 'Stable Diffusion XL C1E1DE52', modelHash: null,
    denoisingStrength: null, guessed: false,
  });
  assert.equal(info.source, 'stealth_pngcomp');
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M', scheduler: 'Karras' });
});
