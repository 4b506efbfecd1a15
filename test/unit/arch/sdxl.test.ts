// SDXL graphs built from the sdxl-tiny checkpoints reproduce sgm's PyTorch outputs within the fixtures' strict
// 1e-5: the UNet through the diffusers SDXL contract (text_embeds + six time_ids, size embeddings in the graph),
// CLIP-G (raw penultimate, pooled projection at the EOT), CLIP-L (raw hidden_states[-2]), and the chain from
// token ids + six size numbers through one UNet call.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildClipText } from '../../../models/arch/clipText';
import { buildOpenClipText } from '../../../models/arch/openClipText';
import { buildUnet } from '../../../models/arch/unet';
import { cleanup, ids32, io, maxAbsDiff, report, runBuilt, weights, type IoTensor } from './archHelpers';
import { sdxlFixture, sdxlTimeIds } from './sdxlHelpers';

after(cleanup);

const STRICT = 1e-5;

function expectClose(what: string, got: ArrayLike<number> | undefined, want: ArrayLike<number> | undefined, tol = STRICT): void {
  assert.ok(got && want, `${what}: output missing`);
  const err = maxAbsDiff(got, want);
  report(what, err, tol);
  assert.ok(err <= tol, `${what}: max abs error ${err} over ${tol}`);
}

const t32 = (data: Float32Array, dims: number[]): ort.Tensor => new ort.Tensor('float32', data, dims);
const data = (t: IoTensor | undefined): Float32Array => t!.data as Float32Array;

/** Rows [0, width) of each [B, total] row-major vector. */
function leading(v: Float32Array, batch: number, total: number, width: number): Float32Array {
  const out = new Float32Array(batch * width);
  for (let b = 0; b < batch; b++) out.set(v.subarray(b * total, b * total + width), b * width);
  return out;
}

/** [B, T, a] ++ [B, T, b] on the last axis. */
function catLast(a: Float32Array, da: number, b: Float32Array, db: number): Float32Array {
  const rows = a.length / da;
  const out = new Float32Array(rows * (da + db));
  for (let r = 0; r < rows; r++) {
    out.set(a.subarray(r * da, (r + 1) * da), r * (da + db));
    out.set(b.subarray(r * db, (r + 1) * db), r * (da + db) + da);
  }
  return out;
}

async function unetEps(ctx: Float32Array, pooled: Float32Array, opts: { pointInto?: boolean } = {}): Promise<Float32Array> {
  const tensors = await weights(sdxlFixture('unet-sdxl.safetensors'));
  const ref = await io(sdxlFixture('unet-sdxl.io.safetensors'));
  const cond = await io(sdxlFixture('conditioner-sdxl.io.safetensors'));
  const built = buildUnet(tensors, { heads: { headChannels: 8 }, sdxl: { pooledDim: 32 }, castF16InGraph: opts.pointInto });
  assert.equal(built.info.admInChannels, 1568);
  const x = ref.get('x')!;
  const out = await runBuilt(built, {
    sample: t32(data(x), x.dims),
    timestep: t32(data(ref.get('timesteps')), [2]),
    encoder_hidden_states: t32(ctx, [2, 77, 68]),
    text_embeds: t32(pooled, [2, 32]),
    time_ids: t32(sdxlTimeIds(cond), [2, 6]),
  }, ['out_sample'], opts.pointInto ? sdxlFixture('unet-sdxl.safetensors') : undefined);
  return out.out_sample!;
}

describe('arch SDXL against the sdxl-tiny sgm outputs', () => {
  it('unet-sdxl via the diffusers contract: text_embeds + time_ids, size embeddings computed in the graph', async () => {
    const ref = await io(sdxlFixture('unet-sdxl.io.safetensors'));
    const y = data(ref.get('y'));
    const eps = await unetEps(data(ref.get('context')), leading(y, 2, 1568, 32));
    expectClose('unet-sdxl eps', eps, data(ref.get('eps')));
  });

  it('clip-g-text: raw penultimate (no ln_final), pooled through text_projection at argmax(tokens)', async () => {
    const tensors = await weights(sdxlFixture('clip-g-text.safetensors'));
    const ref = await io(sdxlFixture('clip-g-text.io.safetensors'));
    const built = buildOpenClipText(tensors, { heads: 6, withProjection: true });
    assert.equal(built.projectionDim, 32);
    const out = await runBuilt(built, { input_ids: ids32(ref.get('tokens')!) }, ['hidden_states.2', 'text_embeds', 'last_hidden_state']);
    expectClose('clip-g hidden_states.2 (SDXL crossattn part)', out['hidden_states.2'], data(ref.get('penultimate')));
    expectClose('clip-g text_embeds (pooled)', out.text_embeds, data(ref.get('pooled')));
    expectClose('clip-g last_hidden_state (ln_final of the last block)', out.last_hidden_state, data(ref.get('last_ln_final')));
  });

  it('chain: token ids + six size numbers → conditioner (crossattn, vector) → one UNet call (fp16 weights read in place, cast in the graph)', async () => {
    const cond = await io(sdxlFixture('conditioner-sdxl.io.safetensors'));
    const l = await runBuilt(buildClipText(await weights('clip-l-text.safetensors'), { heads: 4 }), { input_ids: ids32(cond.get('input_ids_l')!) }, ['hidden_states.2']);
    const g = await runBuilt(buildOpenClipText(await weights(sdxlFixture('clip-g-text.safetensors')), { heads: 6, withProjection: true }), { input_ids: ids32(cond.get('tokens_g')!) }, ['hidden_states.2', 'text_embeds']);
    const crossattn = catLast(l['hidden_states.2']!, 32, g['hidden_states.2']!, 36);
    expectClose('conditioner crossattn = [L | G]', crossattn, data(cond.get('crossattn')));
    expectClose('conditioner pooled_g', g.text_embeds, data(cond.get('pooled_g')));
    const eps = await unetEps(crossattn, g.text_embeds!, { pointInto: true });
    expectClose('chained eps (weights in place)', eps, data((await io(sdxlFixture('unet-sdxl.io.safetensors'))).get('eps')));
  });

  it('a label_emb UNet without the pooled width is refused with a clear error', async () => {
    const tensors = await weights(sdxlFixture('unet-sdxl.safetensors'));
    assert.throws(() => buildUnet(tensors, { heads: { headChannels: 8 } }), /label_emb: an SDXL UNet needs the pooled text width/);
    assert.throws(() => buildUnet(tensors, { heads: { headChannels: 8 }, sdxl: { pooledDim: 33 } }), /1568 values, which is not 33 \(pooled text\) \+ a multiple of 256/);
  });
});
