// Shared by the SDXL tests: paths into ../shared/models-fixtures/sdxl-tiny and the diffusers `time_ids` of the
// conditioner fixture's size inputs.
import { sharedPath } from '../../sharedPath';
import type { IoTensor } from './archHelpers';

export const sdxlFixture = (name: string): string => sharedPath('models-fixtures', 'sdxl-tiny', name);

/** [B, 6] = original (h, w), crop (top, left), target (h, w) per row, as the diffusers SDXL UNet takes them. */
export function sdxlTimeIds(cond: ReadonlyMap<string, IoTensor>): Float32Array {
  const parts = ['original_size_as_tuple', 'crop_coords_top_left', 'target_size_as_tuple'].map((k) => cond.get(k)!.data as Float32Array);
  const batch = parts[0]!.length / 2;
  const out = new Float32Array(batch * 6);
  for (let b = 0; b < batch; b++) parts.forEach((p, i) => out.set(p.subarray(2 * b, 2 * b + 2), 6 * b + 2 * i));
  return out;
}
