// Tiled inference: the grid, the cross-fade weights, and tiled = untiled on a real model (ESRGAN-Slim, whose
// receptive field fits in the tile context), plus the A1111 upscale/crop/blend rules of the upscale stage.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildTfjsLayersUpscaler } from '../../../models/arch/esrganSlim';
import type { RgbImage } from '../../../daemon/image/rgbImage';
import { axisTiles, axisWeights, runTiles, upscaleTiled, type TileNetwork } from '../../../daemon/image/tiles';
import { blendImages, cropToFit, limitSizeByOneDimension, upscaleBy, upscaleStage, type UpscalerStep } from '../../../daemon/extras/upscale';
import { sharedPath } from '../../sharedPath';

function pattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const i = (y * width + x) * 3;
    data[i] = (x * 7 + y * 3) & 255;
    data[i + 1] = ((x ^ y) * 5) & 255;
    data[i + 2] = Math.round(127 + 120 * Math.sin(x / 5) * Math.cos(y / 7));
  }
  return { data, width, height };
}

async function slimNetwork(scale: number): Promise<TileNetwork & { runs: number[] }> {
  const { graph, info } = await buildTfjsLayersUpscaler(sharedPath('models-fixtures/upscalerjs-esrgan-slim', `x${scale}`, 'model.json'));
  const session = await ort.InferenceSession.create(graph.toBytes());
  const runs: number[] = [];
  return {
    ...info,
    runs,
    async run(planar, height, width) {
      runs.push(width * height);
      const out = (await session.run({ image: new ort.Tensor('float32', planar, [1, 3, height, width]) })).upscaled!;
      return { data: out.data as Float32Array, height: out.dims[2]!, width: out.dims[3]! };
    },
  };
}

async function floatOutput(img: RgbImage, net: TileNetwork, tileSize: number, overlap: number): Promise<{ data: Float32Array; width: number }> {
  let data = new Float32Array(0);
  let width = 0;
  await runTiles(img, net, { tileSize, overlap }, (y0, rows, count, w) => {
    if (!width) {
      width = w;
      data = new Float32Array(w * (img.height * (w / img.width)) * 3);
    }
    data.set(rows.subarray(0, count * w * 3), y0 * w * 3);
  });
  return { data, width };
}

describe('tile grid', () => {
  it('covers the axis, respects the tile size, keeps parts overlapping', () => {
    for (const [len, tile, ctx, ov] of [[1000, 192, 10, 8], [193, 192, 10, 8], [500, 64, 40, 8], [2048, 192, 400, 8]] as const) {
      const t = axisTiles(len, tile, ctx, ov);
      assert.equal(t[0]!.start, 0);
      assert.equal(t[t.length - 1]!.end, len);
      assert.equal(t[0]!.keepStart, 0);
      assert.equal(t[t.length - 1]!.keepEnd, len);
      for (let i = 0; i < t.length; i++) {
        assert.equal(t[i]!.end - t[i]!.start, tile);
        if (i) assert.ok(t[i - 1]!.keepEnd - t[i]!.keepStart >= ov - 1, `overlap at ${i}`);
      }
      const ws = axisWeights(t, 4);
      const sum = new Float32Array(len * 4);
      t.forEach((ti, i) => ws[i]!.forEach((v, k) => (sum[ti.keepStart * 4 + k]! += v)));
      assert.ok(sum.every((v) => Math.abs(v - 1) < 1e-6));
    }
    assert.deepEqual(axisTiles(100, 0, 10, 8), [{ start: 0, end: 100, keepStart: 0, keepEnd: 100 }]);
  });
});

describe('tiled inference on ESRGAN-Slim', () => {
  it('tiled and untiled agree to 1e-3 (whole image) and tiles never exceed the tile size', async () => {
    const net = await slimNetwork(2);
    const img = pattern(100, 76);
    const whole = await floatOutput(img, net, 0, 8);
    net.runs.length = 0;
    const tiled = await floatOutput(img, net, 40, 8);
    assert.ok(net.runs.length >= 6, `${net.runs.length} tiles`);
    assert.ok(net.runs.every((n) => n <= 40 * 40));
    let worst = 0;
    for (let i = 0; i < whole.data.length; i++) worst = Math.max(worst, Math.abs(whole.data[i]! - tiled.data[i]!));
    assert.ok(worst < 1e-3, `max |diff| ${worst}`);
  });

  it('reports progress per tile and stops on cancel', async () => {
    const net = await slimNetwork(2);
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      upscaleTiled(pattern(90, 60), net, { tileSize: 32, overlap: 4, signal: ac.signal, onTile: (d) => (seen.push(d), d === 2 && ac.abort()) }),
      /cancelled/,
    );
    assert.deepEqual(seen, [1, 2]);
  });
});

describe('upscale stage (A1111 rules)', () => {
  const fake = (name: string, s: number): UpscalerStep & { passes: number } => {
    const u = {
      name, isNone: false, passes: 0,
      async pass(img: RgbImage) {
        u.passes++;
        const out = new Uint8Array(img.width * s * img.height * s * 3).fill(100);
        return { data: out, width: img.width * s, height: img.height * s };
      },
    };
    return u;
  };
  it('floors the destination to a multiple of 8 and runs a 4× model twice for 8×', async () => {
    const up = fake('m', 4);
    const out = await upscaleBy({ data: new Uint8Array(13 * 11 * 3), width: 13, height: 11 }, up, 8);
    assert.equal(up.passes, 2);
    assert.deepEqual([out.width, out.height], [104, 88]);
    const two = await upscaleBy({ data: new Uint8Array(13 * 11 * 3), width: 13, height: 11 }, fake('m', 4), 2);
    assert.deepEqual([two.width, two.height], [24, 16]);
  });
  it('scale to + crop pastes centred on black; info lines in A1111 order; upscaler 2 blends', async () => {
    const info = new Map<string, string | number>();
    const img = { data: new Uint8Array(10 * 20 * 3), width: 10, height: 20 };
    const out = await upscaleStage(img, fake('A', 4), fake('B', 4), 0.5, { mode: 'to', scaleBy: 4, width: 64, height: 64, crop: true, maxSideLength: 0 }, info);
    assert.deepEqual([out.width, out.height], [64, 64]);
    assert.deepEqual([...info.keys()], ['Postprocess upscale to', 'Postprocess crop to', 'Postprocess upscaler', 'Postprocess upscaler 2']);
    assert.deepEqual([...info.values()], ['64x64', '64x64', 'A', 'B']);
    const none = new Map();
    const same = await upscaleStage(img, { name: 'None', isNone: true, pass: async (i) => i }, undefined, 0, { mode: 'by', scaleBy: 4, width: 0, height: 0, crop: true, maxSideLength: 0 }, none);
    assert.equal(same, img);
    assert.equal(none.size, 0);
  });
  it('crop, blend and max side length follow PIL/A1111 arithmetic', () => {
    const img = { data: new Uint8Array(4 * 2 * 3).fill(9), width: 4, height: 2 };
    const c = cropToFit(img, 2, 4);
    assert.deepEqual([...c.data.subarray(0, 6)], [0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...c.data.subarray(6, 12)], [9, 9, 9, 9, 9, 9]);
    const b = blendImages({ data: Uint8Array.of(0, 10, 255), width: 1, height: 1 }, { data: Uint8Array.of(255, 11, 0), width: 1, height: 1 }, 0.3);
    assert.deepEqual([...b.data], [76, 10, 178]);
    assert.deepEqual(limitSizeByOneDimension(3000, 2000, 1024), [1024, 682]);
    assert.deepEqual(limitSizeByOneDimension(2000, 3000, 1024), [682, 1024]);
  });
});
