// Tiled VAE decode/encode: tile layout and cross-fade weights, then tiled vs untiled on the tiny models. TAESD (a
// local network) must match the untiled decode away from the tile borders, and in the border bands stay within a
// fraction of a grey level with no step; the full SD VAE (GroupNorm and attention see one tile) must run tiled
// with the right size and give the untiled result exactly when the image fits one tile.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTaesd } from '../../../models/arch/taesd';
import { buildVaeDecoder, buildVaeEncoder } from '../../../models/arch/vae';
import { writeExternalModel } from '../../../models/arch/externalModel';
import { SessionPool } from '../../../models/sessions';
import { TaesdDecoder } from '../../../daemon/parts/taesd';
import { encodeLatent, VaeDecoder, VaeEncoder } from '../../../daemon/parts/vae';
import { axisWeights, tileStarts, TiledDecoder, TiledEncoder } from '../../../daemon/stages/tiledVae';
import { cleanup, tempDir, weights } from './archHelpers';
import type { BuiltPart } from '../../../models/arch/unet';

const pool = new SessionPool({ provider: 'cpu', threads: 1 });
after(async () => {
  await pool.disposeAll();
  await cleanup();
});

async function session(part: BuiltPart) {
  const w = await writeExternalModel(part.g, part.params.plan, await tempDir());
  return pool.get(w.modelPath);
}

/** A smooth latent pattern (SD latent scale) so that tile joins would show as steps. */
function latent(h: number, w: number): Float32Array {
  const out = new Float32Array(4 * h * w);
  for (let c = 0; c < 4; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    out[(c * h + y) * w + x] = 0.6 * (Math.sin(x * 0.4 + c) + Math.cos(y * 0.3 - 2 * c) + 0.5 * Math.sin((x + y) * 0.9));
  }
  return out;
}

describe('tile layout', () => {
  it('tiles overlap by at least the overlap, are evenly spread and end flush; weights sum to 1 everywhere', () => {
    assert.deepEqual(tileStarts(64, 64, 16), [0]);
    assert.deepEqual(tileStarts(128, 64, 16), [0, 32, 64]);
    for (const [len, tile, ov] of [[128, 64, 16], [100, 64, 16], [48, 24, 8], [37, 12, 4]] as const) {
      const s = tileStarts(len, tile, ov);
      assert.equal(s[0], 0);
      assert.equal(s[s.length - 1]! + tile, len);
      for (let i = 1; i < s.length; i++) assert.ok(s[i - 1]! + tile - s[i]! >= ov, `${len}/${tile}/${ov}: overlap ${s[i - 1]! + tile - s[i]!}`);
      for (const f of [1, 8]) {
        const sum = new Float64Array(len * f);
        s.forEach((start, i) => axisWeights(s, i, tile, f).forEach((v, p) => (sum[start * f + p]! += v)));
        assert.ok(sum.every((v) => Math.abs(v - 1) < 1e-6), `${len}/${tile}/${ov} ×${f}: weights sum to 1`);
      }
    }
  });
});

describe('tiled vs untiled decode and encode on the tiny models', () => {
  let taesd: TaesdDecoder;
  let vaeDec: VaeDecoder;
  let vaeEnc: VaeEncoder;
  before(async () => {
    taesd = new TaesdDecoder(await session(buildTaesd(await weights('taesd_decoder.safetensors'), 'decoder')));
    const vae = await weights('vae.safetensors');
    vaeDec = new VaeDecoder(await session(buildVaeDecoder(vae)));
    vaeEnc = new VaeEncoder(await session(buildVaeEncoder(vae)));
  });

  it('TAESD 48×48 latent in 24-wide tiles (overlap 8): equal away from tile borders, no step across them', async () => {
    const h = 48, w = 48, H = 8 * h, W = 8 * w;
    const x = latent(h, w);
    const full = (await taesd.decode(x, h, w)).image;
    const tiled = await new TiledDecoder(taesd, { tile: 24, overlap: 8 }).decode(x, h, w);
    assert.deepEqual([tiled.height, tiled.width], [H, W]);
    // Tiles start at 0, 12, 24 latent px: the overlaps (where tiles are cross-faded) cover 12..36 (×8 px).
    const nearCut = (p: number) => p >= 8 * 12 && p < 8 * 36;
    let inside = 0, band = 0;
    for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      const d = Math.abs(full[(c * H + y) * W + xx]! - tiled.image[(c * H + y) * W + xx]!);
      if (nearCut(y) || nearCut(xx)) band = Math.max(band, d);
      else inside = Math.max(inside, d);
    }
    assert.ok(inside < 1e-4, `away from the cuts: max |Δ| ${inside}`);
    assert.ok(band < 0.04, `in the border bands: max |Δ| ${band} (of a [-1, 1] range)`);
    // Step check: the mean jump between neighbouring columns never exceeds the untiled image's by much.
    for (let xx = 0; xx < W - 1; xx++) {
      let jt = 0, jf = 0;
      for (let c = 0; c < 3; c++) for (let y = 0; y < H; y++) {
        const i = (c * H + y) * W + xx;
        jt += Math.abs(tiled.image[i + 1]! - tiled.image[i]!);
        jf += Math.abs(full[i + 1]! - full[i]!);
      }
      assert.ok(jt <= jf * 1.05 + 1e-3 * 3 * H, `column ${xx}: mean jump ${jt / (3 * H)} vs ${jf / (3 * H)} untiled`);
    }
  });

  it('full VAE: tiled decode and encode give the right sizes; within one tile they are the untiled result', async () => {
    const small = latent(8, 8);
    const one = await new TiledDecoder(vaeDec, { tile: 8, overlap: 4 }).decode(small, 8, 8);
    assert.deepEqual(one.image, (await vaeDec.decode(small, 8, 8)).image);
    const big = await new TiledDecoder(vaeDec, { tile: 8, overlap: 4 }).decode(latent(12, 20), 12, 20);
    assert.deepEqual([big.height, big.width], [96, 160]);
    assert.ok(big.image.every(Number.isFinite));
    const enc = new TiledEncoder(vaeEnc, { tile: 8, overlap: 4 });
    const img = big.image.map((v) => Math.max(-1, Math.min(1, v)));
    const raw = await enc.encodeRaw(img, 96, 160);
    assert.deepEqual([raw.c, raw.h, raw.w], [8, 12, 20]);
    const noise = (n: number) => new Float32Array(n);
    const lat = await encodeLatent(enc, img, 96, 160, noise);
    assert.equal(lat.latent.length, 4 * 12 * 20);
  });
});
