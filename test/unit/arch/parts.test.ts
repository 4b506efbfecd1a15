// VAE, both text encoders and TAESD built from the sd-tiny files reproduce the PyTorch outputs (README strict
// tolerances: 2e-5 for text, 5e-5 for images/latents).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildClipText } from '../../../models/arch/clipText';
import { buildOpenClipText } from '../../../models/arch/openClipText';
import { buildTaesd } from '../../../models/arch/taesd';
import { buildVaeDecoder, buildVaeEncoder } from '../../../models/arch/vae';
import { cleanup, f32, ids32, io, maxAbsDiff, report, runBuilt, weights, type IoTensor } from './archHelpers';

after(cleanup);

const TEXT = 2e-5;
const IMAGE = 5e-5;

function expectClose(what: string, got: Float32Array | undefined, want: IoTensor | undefined, tol: number): void {
  assert.ok(got && want, `${what}: output missing`);
  const err = maxAbsDiff(got, want.data as Float32Array);
  report(what, err, tol);
  assert.ok(err <= tol, `${what}: max abs error ${err} over ${tol}`);
}

/** The first `n` of 2×`half` channels of an NCHW tensor with batch 1. */
const channels = (x: Float32Array, from: number, to: number, plane: number): Float32Array => x.subarray(from * plane, to * plane);

describe('arch parts against the sd-tiny PyTorch outputs', () => {
  it('vae: encoder moments (mean, logvar) and decoder', async () => {
    const tensors = await weights('vae.safetensors');
    const ref = await io('vae.io.safetensors');
    const enc = await runBuilt(buildVaeEncoder(tensors), { sample: f32(ref.get('image')!) });
    const moments = enc.latent_parameters!;
    expectClose('vae moments', moments, ref.get('moments'), IMAGE);
    expectClose('vae mean', channels(moments, 0, 4, 16), ref.get('mean'), IMAGE);
    expectClose('vae logvar', channels(moments, 4, 8, 16), ref.get('logvar'), IMAGE);
    const dec = await runBuilt(buildVaeDecoder(tensors), { latent_sample: f32(ref.get('latent')!) });
    expectClose('vae decoded', dec.sample, ref.get('decoded'), IMAGE);
    const mean = new ort.Tensor('float32', channels(moments, 0, 4, 16).slice(), [1, 4, 4, 4]);
    const rt = await runBuilt(buildVaeDecoder(tensors), { latent_sample: mean });
    expectClose('vae roundtrip', rt.sample, ref.get('roundtrip'), IMAGE);
    const meanOnly = await runBuilt(buildVaeEncoder(tensors, { output: 'mean' }), { sample: f32(ref.get('image')!) });
    expectClose('vae encoder (mean output)', meanOnly.latent_sample, ref.get('mean'), IMAGE);
  });

  it('clip-l-text: last layer, CLIP skip 2 (penultimate + final LN), raw hidden states', async () => {
    const tensors = await weights('clip-l-text.safetensors');
    const ref = await io('clip-l-text.io.safetensors');
    const built = buildClipText(tensors, { heads: 4 });
    const out = await runBuilt(built, { input_ids: ids32(ref.get('input_ids')!) }, ['last_hidden_state', 'clip_skip_2', 'hidden_states.2', 'hidden_states.0']);
    expectClose('clip last_hidden_state', out.last_hidden_state, ref.get('last_hidden_state'), TEXT);
    expectClose('clip clip_skip_2', out.clip_skip_2, ref.get('penultimate_final_ln'), TEXT);
    expectClose('clip hidden_states.2 (raw penultimate)', out['hidden_states.2'], ref.get('penultimate_hidden_state'), TEXT);
    expectClose('clip hidden_states.0 (embeddings)', out['hidden_states.0'], ref.get('embeddings'), TEXT);
  });

  it('clip-l-text: the token-embedding input gives the same result as the ids', async () => {
    const tensors = await weights('clip-l-text.safetensors');
    const ref = await io('clip-l-text.io.safetensors');
    const embeds = await runBuilt(buildClipText(tensors, { heads: 4 }), { input_ids: ids32(ref.get('input_ids')!) }, ['hidden_states.0']);
    // hidden_states.0 = token + position; feed token embeddings = that minus positions via a graph that adds them back.
    const pos = (await weights('clip-l-text.safetensors')).get('cond_stage_model.transformer.text_model.embeddings.position_embedding.weight')!;
    const { readTensor } = await import('../../../models/formats/tensorRecord');
    const p = (await readTensor(pos, 'F32')) as Float32Array;
    const tok = embeds['hidden_states.0']!.slice();
    for (let i = 0; i < tok.length; i++) tok[i]! -= p[i % p.length]!;
    const out = await runBuilt(buildClipText(tensors, { heads: 4, inputsEmbeds: true }), { inputs_embeds: new ort.Tensor('float32', tok, [2, 77, 32]) }, ['last_hidden_state']);
    expectClose('clip inputs_embeds last_hidden_state', out.last_hidden_state, ref.get('last_hidden_state'), TEXT);
  });

  it('openclip-h-text: SD2 conditioning (penultimate + ln_final) and the last layer', async () => {
    const tensors = await weights('openclip-h-text.safetensors');
    const ref = await io('openclip-h-text.io.safetensors');
    const out = await runBuilt(buildOpenClipText(tensors, { heads: 4 }), { input_ids: ids32(ref.get('tokens')!) }, ['last_hidden_state', 'clip_skip_1', 'hidden_states.2']);
    expectClose('openclip last_hidden_state (penultimate)', out.last_hidden_state, ref.get('penultimate'), TEXT);
    expectClose('openclip clip_skip_1 (last)', out.clip_skip_1, ref.get('last'), TEXT);
    expectClose('openclip hidden_states.2 (penultimate raw)', out['hidden_states.2'], ref.get('penultimate_raw'), TEXT);
  });

  it('taesd: encoder and decoder at width 16, read from the weights', async () => {
    const ref = await io('taesd.io.safetensors');
    const enc = await runBuilt(buildTaesd(await weights('taesd_encoder.safetensors'), 'encoder'), { sample: f32(ref.get('image')!) });
    expectClose('taesd latent', enc.latent_sample, ref.get('latent'), IMAGE);
    const dec = await runBuilt(buildTaesd(await weights('taesd_decoder.safetensors'), 'decoder'), { latent_sample: f32(ref.get('latent_in')!) });
    expectClose('taesd decoded', dec.sample, ref.get('decoded'), IMAGE);
  });

  it('taesd: a decoder file given as encoder is refused with a message', async () => {
    const dec = await weights('taesd_decoder.safetensors');
    assert.throws(() => buildTaesd(dec, 'encoder'), /is a decoder, not an encoder/);
  });
});
