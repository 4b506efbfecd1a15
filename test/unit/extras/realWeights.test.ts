// Graphs built from REAL weights reproduce stored references — the UpscalerJS ESRGAN Slim
// TF.js model against the package's own outputs (±1 grey level), realesr-animevideov3.pth (SRVGGNetCompact, read
// through the safe pickle reader) against its numpy reference (1e-3).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { buildTfjsLayersUpscaler } from '../../../models/arch/esrganSlim';
import { detectUpscaler } from '../../../models/arch/detectUpscaler';
import { openWeights } from '../../../models/formats/open';
import { upscalerOnnx } from '../../../models/upscalerCache';
import { sharedPath } from '../../sharedPath';
import { tempDir } from '../../daemon/harness';

async function rgb(path: string): Promise<{ data: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
}

function toPlanar(img: { data: Uint8Array; width: number; height: number }): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[c * n + i] = img.data[i * 3 + c]! / 255;
  return out;
}

async function run(bytesOrPath: Uint8Array | string, input: Float32Array, h: number, w: number): Promise<ort.Tensor> {
  const s = typeof bytesOrPath === 'string' ? await ort.InferenceSession.create(bytesOrPath) : await ort.InferenceSession.create(bytesOrPath);
  try {
    const out = await s.run({ image: new ort.Tensor('float32', input, [1, 3, h, w]) });
    return out.upscaled!;
  } finally {
    await s.release();
  }
}

describe('ESRGAN Slim (TF.js layers) against the package outputs', () => {
  for (const s of [2, 3, 4]) {
    it(`x${s} matches samples/result_x${s}.png within 1 grey level`, async () => {
      const { graph, info } = await buildTfjsLayersUpscaler(sharedPath('models-fixtures/upscalerjs-esrgan-slim', `x${s}`, 'model.json'));
      assert.equal(info.scale, s);
      assert.equal(info.channelOrder, 'rgb');
      const src = await rgb(sharedPath('models-fixtures/upscalerjs-esrgan-slim/fixture.png'));
      const want = await rgb(sharedPath('models-fixtures/upscalerjs-esrgan-slim/samples', `result_x${s}.png`));
      const out = await run(graph.toBytes(), toPlanar(src), src.height, src.width);
      assert.deepEqual(out.dims, [1, 3, src.height * s, src.width * s]);
      const o = out.data as Float32Array;
      const n = want.width * want.height;
      let worst = 0;
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(Math.round(o[c * n + i]! * 255) - want.data[i * 3 + c]!));
      assert.ok(worst <= 1, `max |diff| ${worst} grey levels`);
    });
  }
});

describe('realesr-animevideov3.pth (SRVGGNetCompact) against its reference', () => {
  const pth = sharedPath('models-fixtures/realesr-animevideov3/realesr-animevideov3.pth');
  it('is detected from names and shapes', async () => {
    const spec = detectUpscaler((await openWeights(pth)).tensors, pth);
    assert.equal(spec.kind, 'srvgg');
    assert.equal(spec.scale, 4);
    if (spec.kind === 'srvgg') {
      assert.equal(spec.convs, 16);
      assert.equal(spec.features, 64);
      assert.equal(spec.activation, 'prelu');
    }
  });
  it('matches expected/output_3x128x128.f32 to 1e-3, and the cache is reused', async () => {
    const cache = tempDir('sd-studio-upcache-');
    const first = await upscalerOnnx(pth, cache);
    assert.equal(first.built, true);
    assert.equal(first.info.scale, 4);
    const again = await upscalerOnnx(pth, cache);
    assert.equal(again.built, false);
    assert.equal(again.onnxPath, first.onnxPath);
    const dir = sharedPath('models-fixtures/realesr-animevideov3/expected');
    const f32 = (p: string) => { const b = readFileSync(p); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)); };
    const input = f32(`${dir}/input_3x32x32.f32`);
    const want = f32(`${dir}/output_3x128x128.f32`);
    const out = (await run(first.onnxPath, input, 32, 32)).data as Float32Array;
    // The reference is the raw network output (it reaches -0.08 and 1.157); our graphs end in A1111's clamp.
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(out[i]! - Math.min(1, Math.max(0, want[i]!))));
    assert.ok(worst <= 1e-3, `max |diff| ${worst}`);
  });
});
