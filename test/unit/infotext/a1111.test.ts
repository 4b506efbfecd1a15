// A1111 infotext: parse exactly as modules/infotext_utils.py: parse_generation_parameters and build exactly as
// modules/processing.py: create_infotext; round trips on real A1111 texts and on edge cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildInfotext, parseGenerationParameters, quote } from '../../../daemon/infotext/a1111';
import { pyFloatStr, pyStr } from '../../../daemon/infotext/python';

const EX1 = `girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate
Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing
Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b`;
const EX2 = `anime
Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 3183593457, Size: 512x512, Model hash: 779e99ba, Denoising strength: 0.75, Mask blur: 4`;
const EX3 = `back through time to get more rum, shipwrecked having no fun, but, heavy metal pirates we must be, so give all your beer and your rum to me!,  novuschroma38, eerie, intricate, clean, <lora:- SDXL - AI-Breaker_V3.5:.5>, <lora:CBS_novuschroma38 style:0.8>
Negative prompt: 3d
Steps: 15, Sampler: DPM++ SDE, Schedule type: Karras, CFG scale: 3, Seed: 980493476, Size: 816x1232, Model hash: 36fab8f31a, Model: SDXL - T - haveallsdxl_v10, CFG Rescale phi: 0, Lora hashes: "- SDXL - AI-Breaker_V3.5: 62064ee0c3ba, CBS_novuschroma38 style: 29179d2a6166", VAE Decoder: TAESD, Version: v1.9.4, Hashes: {"lora:- SDXL - AI-Breaker_V3.5": "458cc11561", "lora:CBS_novuschroma38 style": "a1c6e6cad2", "model": "36fab8f31a"}`;
const EX4 = `professional product photo of perfume bottle in snow, gifting box, studio lighting
Steps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1122959677, Size: 985x1266, Model hash: b513c6287d, Model: realism_engine, Denoising strength: 0.75, Mask blur: 4, Masked content: fill, Version: v1.9.4`;

test('example 1 (docstring): prompt, negative, Size split, defaults, emphasis, old hash', () => {
  const r = parseGenerationParameters(EX1);
  assert.equal(r.prompt, EX1.split('\n')[0]);
  assert.equal(r.negativePrompt, EX1.split('\n')[1]!.slice(17));
  assert.deepEqual(r.fields, {
    Steps: '20', Sampler: 'Euler a', 'CFG scale': '7', Seed: '965400086', 'Size-1': '512', 'Size-2': '512',
    'Model hash': '45dee52b', 'Clip skip': '1', 'Hires resize-1': '0', 'Hires resize-2': '0',
    'Hires sampler': 'Use same sampler', 'Hires schedule type': 'Use same scheduler',
    'Hires checkpoint': 'Use same checkpoint', 'Hires prompt': '', 'Hires negative prompt': '',
    'Mask mode': 'Inpaint masked', 'Masked content': 'original', 'Inpaint area': 'Whole picture',
    'Masked area padding': '32', RNG: 'GPU', 'Schedule type': 'Automatic', 'Schedule max sigma': '0',
    'Schedule min sigma': '0', 'Schedule rho': '0', 'VAE Encoder': 'Full', 'VAE Decoder': 'Full',
    'FP8 weight': 'Disable', Emphasis: 'Original', 'Refiner switch by sampling steps': 'False',
  });
});

test('example 2: no negative prompt, img2img keys kept, no emphasis default', () => {
  const r = parseGenerationParameters(EX2);
  assert.equal(r.prompt, 'anime');
  assert.equal(r.negativePrompt, '');
  assert.equal(r.fields['Denoising strength'], '0.75');
  assert.equal(r.fields['Mask blur'], '4');
  assert.equal(r.fields.Emphasis, undefined);
  assert.equal(r.fields['Masked content'], 'original');
});

test('example 3: Lora hashes unquoted, Hashes quirk splits the JSON, back-compat by version', () => {
  const r = parseGenerationParameters(EX3);
  assert.equal(r.negativePrompt, '3d');
  assert.equal(r.fields['Lora hashes'], '- SDXL - AI-Breaker_V3.5: 62064ee0c3ba, CBS_novuschroma38 style: 29179d2a6166');
  assert.equal(r.fields.Hashes, '{"lora:- SDXL - AI-Breaker_V3.5": "458cc11561"');
  assert.equal(r.fields.lora, 'CBS_novuschroma38 style": "a1c6e6cad2"');
  assert.equal(r.fields.model, undefined);
  assert.equal(r.fields['VAE Decoder'], 'TAESD');
  assert.equal(r.fields['CFG Rescale phi'], '0');
  assert.equal(r.fields['Downcast alphas_cumprod'], undefined); // v1.9.4 is newer than v1.7.0-225
  assert.equal(r.fields.Emphasis, undefined); // "<lora:…:.5>" has no ( or [
});

test('Emphasis default: the prompt parser decides (BREAK, weights of 1, a weight A1111 cannot read)', () => {
  const emphasis = (prompt: string) => parseGenerationParameters(`${prompt}\nSteps: 20, Seed: 1, Size: 512x512`).fields.Emphasis;
  assert.equal(emphasis('a BREAK b, (c:1)'), undefined);
  assert.equal(emphasis('(a BREAK b)'), 'Original');
  assert.equal(emphasis('[a]'), 'Original');
  assert.equal(emphasis('(a:1.2.3)'), 'Original'); // A1111 raises here; a weight it cannot read is not 1
});

test('example 4: Size not a multiple of 8 kept, Masked content from the text', () => {
  const r = parseGenerationParameters(EX4);
  assert.equal(r.prompt, 'professional product photo of perfume bottle in snow, gifting box, studio lighting');
  assert.equal(r.fields['Size-1'], '985');
  assert.equal(r.fields['Size-2'], '1266');
  assert.equal(r.fields['Masked content'], 'fill');
  assert.equal(r.fields['Downcast alphas_cumprod'], undefined);
});

test('back-compat keys for old versions, exactly as infotext_versions.backcompat', () => {
  const r = parseGenerationParameters('a [b]\nSteps: 1, Sampler: DDIM, CFG scale: 7, Version: v1.5.1, Refiner: x');
  assert.equal(r.fields['Old prompt editing timelines'], 'True');
  assert.equal(r.fields['Pad conds v0'], 'True');
  assert.equal(r.fields['Downcast alphas_cumprod'], 'True');
  assert.equal(r.fields['Refiner switch by sampling steps'], 'True');
  // Forge's version string does not parse as PEP 440: no back-compat at all
  const f = parseGenerationParameters('x\nSteps: 1, Seed: 2, Version: f2.0.1v1.10.1-previous-669-gdfdcbab6');
  assert.equal(f.fields['Downcast alphas_cumprod'], undefined);
});

test('quirks: 1-char keys, empty values dropped, last line needs 3 params, Prompt key overridden', () => {
  assert.equal(parseGenerationParameters('a\nSteps: 1, B: 2, C: 3').prompt, 'a\nSteps: 1, B: 2, C: 3');
  const r = parseGenerationParameters('p\nSteps: 1, Hypernet: foo, Seed: 2, Empty: , Prompt: other');
  assert.equal(r.prompt, 'p<hypernet:foo:1.0>');
  assert.equal(r.fields.Empty, undefined);
  assert.equal(r.fields.Prompt, undefined);
  const h = parseGenerationParameters('p\nSteps: 1, First pass size: 0x0, Size: 1024x768, Seed: 2');
  assert.deepEqual([h.fields['Size-1'], h.fields['Size-2'], h.fields['Hires resize-1'], h.fields['Hires resize-2']], ['640', '448', '1024', '768']);
  // Hires prompt equal to the prompt is blanked (style extraction with no styles)
  assert.equal(parseGenerationParameters('p\nSteps: 1, Hires prompt: p, Seed: 3').fields['Hires prompt'], '');
  assert.equal(parseGenerationParameters('p\nSteps: 1, Hires prompt: q, Seed: 3').fields['Hires prompt'], 'q');
});

test('Python str() and quote() formatting', () => {
  assert.equal(pyStr(7), '7');
  assert.equal(pyStr(0.75), '0.75');
  assert.equal(pyStr(true), 'True');
  assert.equal(pyStr(2 ** 60), '1152921504606846976');
  assert.equal(pyFloatStr(7), '7.0');
  assert.equal(pyFloatStr(1e-5), '1e-05');
  assert.equal(pyFloatStr(0.0001), '0.0001');
  assert.equal(pyFloatStr(1.5e16), '1.5e+16');
  assert.equal(pyFloatStr(123456789012345.6), '123456789012345.6');
  assert.equal(quote('a, b'), '"a, b"');
  assert.equal(quote('line\n"q" \\ テ'), '"line\\n\\"q\\" \\\\ テ"');
  assert.equal(quote('plain'), 'plain');
  assert.equal(quote(3), '3');
});

test('buildInfotext: create_infotext layout', () => {
  assert.equal(
    buildInfotext('a cat', '', [['Steps', 20], ['Sampler', 'Euler a'], ['CFG scale', 7], ['Seed', 1], ['Face restoration', null], ['Size', '512x512'], ['Tiling', 'Tiling'], ['Denoising strength', 0.75], ['Version', 'v1.10.1']]),
    'a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512, Tiling, Denoising strength: 0.75, Version: v1.10.1',
  );
  assert.equal(buildInfotext('  p  ', 'n', [['Steps', 1]]), 'p  \nNegative prompt: n\nSteps: 1');
  assert.equal(buildInfotext('', '', []), '');
  assert.equal(
    buildInfotext('p', '', [['Lora hashes', 'a: 0123456789ab, b: ba9876543210'], ['CFG scale', '7.0'], ['Hires upscaler', 'Latent']]),
    'p\nLora hashes: "a: 0123456789ab, b: ba9876543210", CFG scale: 7.0, Hires upscaler: Latent',
  );
});

/** Infotext → parse → build from the parsed keys (the non-default ones, in order) → the same text. */
function rebuild(text: string, keys: string[]): string {
  const r = parseGenerationParameters(text);
  const params: Array<[string, string]> = [];
  for (const k of keys) {
    if (k === 'Size' || k === 'Hires resize' || k === 'Seed resize from') params.push([k, `${r.fields[`${k}-1`]}x${r.fields[`${k}-2`]}`]);
    else params.push([k, r.fields[k]!]);
  }
  return buildInfotext(r.prompt, r.negativePrompt, params);
}

test('round trip parse → build → parse on real and edge-case infotexts', () => {
  const keysOf = (t: string) => [...t.split('\n').pop()!.matchAll(/(?:^|, )([\w][\w \-/]+?):/g)].map((m) => m[1]!);
  for (const t of [EX1, EX2, EX4]) assert.equal(rebuild(t, keysOf(t)), t);
  const edge = buildInfotext('line one\n(line two:1.2), テスト', '', [
    ['Steps', 30], ['Sampler', 'DPM++ 2M'], ['CFG scale', 4.5], ['Seed', 123], ['Size', '768x512'],
    ['Lora hashes', 'x: 0123456789ab, y: ba9876543210'], ['Hires prompt', 'a, b\nc "d"'], ['Note', 'colon: yes'], ['Version', 'v1.10.1'],
  ]);
  const r = parseGenerationParameters(edge);
  assert.equal(r.prompt, 'line one\n(line two:1.2), テスト');
  assert.equal(r.negativePrompt, '');
  assert.equal(r.fields['Lora hashes'], 'x: 0123456789ab, y: ba9876543210');
  assert.equal(r.fields['Hires prompt'], 'a, b\nc "d"');
  assert.equal(r.fields.Note, 'colon: yes');
  assert.equal(r.fields['CFG scale'], '4.5');
  assert.equal(rebuild(edge, ['Steps', 'Sampler', 'CFG scale', 'Seed', 'Size', 'Lora hashes', 'Hires prompt', 'Note', 'Version']), edge);
});
