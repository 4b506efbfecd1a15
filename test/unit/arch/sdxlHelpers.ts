// Shared by the SDXL tests: paths into ../shared/models-fixtures/sdxl-tiny and the diffusers `time_ids` of the
// conditioner fixture's size inputs.
import { writeFileSync } from 'node:fs';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { readTensor, type DType } from '../../../models/formats/tensorRecord';
import { f32ToF16Bits } from '../../../models/graph';
import { createRng } from '../../../models/testModel/prng';
import { sharedPath } from '../../sharedPath';
import { weights, type IoTensor } from './archHelpers';

export const sdxlFixture = (name: string): string => sharedPath('models-fixtures', 'sdxl-tiny', name);

/** [B, 6] = original (h, w), crop (top, left), target (h, w) per row, as the diffusers SDXL UNet takes them. */
export function sdxlTimeIds(cond: ReadonlyMap<string, IoTensor>): Float32Array {
  const parts = ['original_size_as_tuple', 'crop_coords_top_left', 'target_size_as_tuple'].map((k) => cond.get(k)!.data as Float32Array);
  const batch = parts[0]!.length / 2;
  const out = new Float32Array(batch * 6);
  for (let b = 0; b < batch; b++) parts.forEach((p, i) => out.set(p.subarray(2 * b, 2 * b + 2), 6 * b + 2 * i));
  return out;
}

export type TinySdxlKind = 'base' | 'inpaint' | 'refiner';

/** Head counts the tiny widths cannot give (full-size SDXL needs none: every head is 64 wide). */
export const TINY_SDXL_CONFIG = { unet_config: { num_head_channels: 8 }, hf_config: { num_attention_heads: 4 }, open_clip_text_cfg: { heads: 6 } };

type Tensor = { name: string; dtype: DType; shape: number[]; data: Uint8Array };

const bytes = (v: Float32Array | Uint16Array): Uint8Array => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** The first `cols` columns of a row-major [rows, n] matrix. */
function leadingColumns(v: Float32Array, rows: number, n: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) out.set(v.subarray(r * n, r * n + cols), r * cols);
  return out;
}

/**
 * A whole single-file SDXL checkpoint in the real key layout, from the fixtures: unet-sdxl, sd-tiny's CLIP-L as
 * `conditioner.embedders.0.transformer.*`, clip-g-text, sd-tiny's VAE. 'inpaint': the UNet's first conv takes 9
 * channels (the 5 extra seeded random). 'refiner': CLIP-G alone as `conditioner.embedders.0.model.*`, the UNet's
 * cross-attention reads CLIP-G's 36 wide context and its vector is 32 + 5·256 (five time_ids with the aesthetic
 * score) — weights cut from the base UNet's (random weights either way; for pipeline tests, not for reference values).
 * Writes `<name>.config.json` beside it with the head counts.
 */
export async function writeTinySdxlCheckpoint(path: string, kind: TinySdxlKind = 'base', dtype: 'F16' | 'F32' = 'F16'): Promise<void> {
  const out: Tensor[] = [];
  const rng = createRng(1505);
  const add = async (file: string, rename: (k: string) => string | undefined, edit?: (name: string, v: Float32Array, shape: number[]) => [Float32Array, number[]]): Promise<void> => {
    for (const [k, r] of await weights(file)) {
      const name = rename(k);
      if (name === undefined) continue;
      if (r.dtype !== 'F16' && r.dtype !== 'F32') {
        const v = await readTensor(r);
        out.push({ name, dtype: r.dtype, shape: r.shape, data: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) });
        continue;
      }
      let v = (await readTensor(r, 'F32')) as Float32Array;
      let shape = r.shape;
      if (edit) [v, shape] = edit(k, v, shape);
      out.push({ name, dtype, shape, data: bytes(dtype === 'F16' ? f32ToF16Bits(v) : v) });
    }
  };
  await add(sdxlFixture('unet-sdxl.safetensors'), (k) => k, (k, v, shape) => {
    if (kind === 'inpaint' && k.endsWith('input_blocks.0.0.weight')) {
      const [o, , kh, kw] = shape as [number, number, number, number];
      const w = new Float32Array(o * 9 * kh * kw);
      for (let i = 0; i < o; i++) {
        w.set(v.subarray(i * 4 * kh * kw, (i + 1) * 4 * kh * kw), i * 9 * kh * kw);
        for (let j = 4 * kh * kw; j < 9 * kh * kw; j++) w[i * 9 * kh * kw + j] = (rng.next() - 0.5) * 0.1;
      }
      return [w, [o, 9, kh, kw]];
    }
    if (kind === 'refiner' && /attn2\.to_[kv]\.weight$/.test(k)) return [leadingColumns(v, shape[0]!, 68, 36), [shape[0]!, 36]];
    if (kind === 'refiner' && k.endsWith('label_emb.0.0.weight')) return [leadingColumns(v, shape[0]!, 1568, 32 + 5 * 256), [shape[0]!, 32 + 5 * 256]];
    return [v, shape];
  });
  if (kind !== 'refiner') await add('clip-l-text.safetensors', (k) => k.replace(/^cond_stage_model\./, 'conditioner.embedders.0.'));
  await add(sdxlFixture('clip-g-text.safetensors'), (k) => (kind === 'refiner' ? k.replace('conditioner.embedders.1.', 'conditioner.embedders.0.') : k));
  await add('vae.safetensors', (k) => k);
  await writeSafetensors(path, out, { format: 'pt' });
  writeFileSync(path.replace(/\.safetensors$/, '.config.json'), JSON.stringify(TINY_SDXL_CONFIG));
}
