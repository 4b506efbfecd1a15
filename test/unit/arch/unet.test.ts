// UNet graphs built from the sd-tiny checkpoints reproduce ldm's PyTorch outputs (README strict tolerance
// 2e-5): SD1 full key set (conv proj, 8 heads), SD2 (linear proj, head width from --config), 9-channel inpaint.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildUnet, type UnetHeads } from '../../../models/arch/unet';
import { cleanup, f32, io, maxAbsDiff, report, runBuilt, weights } from './archHelpers';

after(cleanup);

const STRICT = 2e-5;

async function check(name: string, heads?: UnetHeads): Promise<void> {
  const tensors = await weights(`${name}.safetensors`);
  const ref = await io(`${name}.io.safetensors`);
  const built = buildUnet(tensors, { heads });
  const out = await runBuilt(built, { sample: f32(ref.get('x')!), timestep: f32(ref.get('timesteps')!), encoder_hidden_states: f32(ref.get('context')!) }, ['out_sample']);
  const err = maxAbsDiff(out.out_sample!, ref.get('eps')!.data as Float32Array);
  report(`${name} eps`, err, STRICT);
  assert.ok(err <= STRICT, `${name}: max abs error ${err} over ${STRICT}`);
}

describe('arch/unet against the sd-tiny PyTorch outputs', () => {
  it('unet-sd1: full SD1.5 key set, conv proj, 8 heads (default)', () => check('unet-sd1'));
  it('unet-sd2: linear proj, 8-wide heads from the config', () => check('unet-sd2', { headChannels: 8 }));
  it('unet-sd1-inpaint: 9 input channels, reduced structure read from the keys, context length 7', () => check('unet-sd1-inpaint'));
});
