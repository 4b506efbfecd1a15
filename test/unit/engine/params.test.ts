import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { paramsFromInfotext } from '../../../daemon/infotext/pasteParams';
import { sendToExtras, sendToInpaint } from '../../../daemon/infotext/sendTo';
import { emptyResult } from '../../../daemon/infotext/generationInfo';

describe('A1111 infotext → img2img params (paste)', () => {
  it('maps the inpaint keys A1111 writes', () => {
    const { params } = paramsFromInfotext(
      'a vase\nSteps: 20, Sampler: Euler a, Schedule type: Automatic, CFG scale: 7, Seed: 1, Size: 512x512, Denoising strength: 0.75, ' +
        'Conditional mask weight: 0.5, Mask blur: 8, Mask mode: Inpaint not masked, Inpaint area: Only masked, Masked area padding: 64, Masked content: latent noise, Noise multiplier: 0.9',
    );
    assert.equal(params.mask_blur, 8);
    assert.equal(params.inpainting_mask_invert, 1);
    assert.equal(params.inpaint_full_res, true);
    assert.equal(params.inpaint_full_res_padding, 64);
    assert.equal(params.inpainting_fill, 2);
    assert.equal(params.initial_noise_multiplier, 0.9);
    assert.equal(params.override_settings?.inpainting_mask_weight, 0.5);
  });
  it('leaves inpaint settings alone for infotexts of non-inpaint jobs (A1111 fills their defaults in every parse)', () => {
    const { params } = paramsFromInfotext('cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512');
    assert.equal(params.inpainting_fill, undefined);
    assert.equal(params.inpaint_full_res, undefined);
    assert.equal(params.inpaint_full_res_padding, undefined);
    assert.equal(params.inpainting_mask_invert, undefined);
    assert.equal(params.mask_blur, undefined);
  });
});

describe('send to inpaint / extras', () => {
  it('inpaint gets the image as source plus its settings and mask', () => {
    const info = { ...emptyResult('a1111', 'parameters'), raw: {}, problems: [], guessed: false, infotext: 'dog\nSteps: 12, Sampler: Euler, CFG scale: 5, Seed: 9, Size: 64x64' };
    const p = sendToInpaint(info, '/img.png', '/mask.png');
    assert.deepEqual(p.init_images, ['/img.png']);
    assert.equal(p.mask, '/mask.png');
    assert.equal(p.steps, 12);
    assert.equal(p.prompt, 'dog');
  });
  it('extras gets the upscale settings recorded by an extras pass', () => {
    const info = { ...emptyResult('a1111', 'parameters'), raw: {}, problems: [], guessed: false, infotext: null, parameters: { 'Postprocess upscale by': '2', 'Postprocess upscaler': 'Lanczos', 'Postprocess upscaler 2': 'Nearest' } };
    assert.deepEqual(sendToExtras(info, '/a.png'), { images: ['/a.png'], upscaling_resize: 2, upscaler_1: 'Lanczos', upscaler_2: 'Nearest' });
    const to = { ...emptyResult('a1111', 'parameters'), raw: {}, problems: [], guessed: false, infotext: null, parameters: { 'Postprocess upscale to': '1024x768' } };
    assert.deepEqual(sendToExtras(to, '/a.png'), { images: ['/a.png'], resize_mode: 1, upscaling_resize_w: 1024, upscaling_resize_h: 768 });
  });
});

describe('infotext settings SD Studio cannot apply yet', () => {
  it('are listed (with their feature) when pasted, in the text\'s order; a plain infotext has none', () => {
    const r = paramsFromInfotext('cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Refiner: sdxl_refiner [7440042bbd], Refiner switch at: 0.8, Denoising strength: 0.5, ADetailer model: face_yolov8n.pt, Lora hashes: "x: 0123456789ab", Version: v1.10.1');
    assert.deepEqual(r.notHonoured, ['Refiner', 'Refiner switch at', 'ADetailer model']);
    assert.match(r.warning!, /Refiner, Refiner switch at \(Refiner\); ADetailer model \(ADetailer\)/);
    const plain = paramsFromInfotext('cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Model hash: 0123456789, Version: v1.10.1');
    assert.deepEqual(plain.notHonoured, []);
    assert.equal(plain.warning, null);
  });
});
