// torch.nn.functional.interpolate as A1111's latent upscale modes use it: every mode against torch's own output
// (test/fixtures/reference/interpolate_ref.py), upscaling, downscaling and the identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { interpolate, type InterpolateMode } from '../../../daemon/image/interpolate';

interface Ref {
  input: { shape: number[]; data: number[] };
  cases: Array<{ mode: InterpolateMode; antialias: boolean; size: [number, number]; out: number[] }>;
}
const ref = JSON.parse(readFileSync('test/fixtures/reference/interpolate.json', 'utf8')) as Ref;

test('interpolate matches torch for every latent upscale mode and size', () => {
  const [, c, h, w] = ref.input.shape as [number, number, number, number];
  const src = Float32Array.from(ref.input.data);
  for (const k of ref.cases) {
    const out = interpolate(src, c, h, w, k.size[0], k.size[1], k.mode, k.antialias);
    assert.equal(out.length, k.out.length);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i]! - k.out[i]!));
    assert.ok(worst < 2e-5, `${k.mode}${k.antialias ? ' aa' : ''} → ${k.size.join('×')}: max error ${worst}`);
  }
});
