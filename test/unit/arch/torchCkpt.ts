// A real torch.save-format `.ckpt` written byte by byte for tests: a zip of stored members
// `archive/data.pkl` (pickle protocol 2: `{"state_dict": {name: torch._utils._rebuild_tensor_v2(...)}}` with
// ('storage', torch.FloatStorage|HalfStorage|LongStorage, key, 'cpu', numel) persistent ids),
// `archive/data/<key>` (one storage per tensor, 64-byte aligned through the local header's extra field, as
// torch aligns them), `archive/version`, `archive/byteorder`. What the reader in models/formats/torchZip.ts +
// pickle.ts must read.
import { writeFileSync } from 'node:fs';
import type { DType } from '../../../models/formats/tensorRecord';
import { OP, Pickle, pickleTensor, storedZip } from '../../fixtures/torchSave';

const { MARK, SETITEM, SETITEMS, EMPTY_DICT } = OP;

export interface CkptTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: Uint8Array;
}

/**
 * Writes `{"state_dict": {...}}` as torch.save would (stored zip, pickle protocol 2); `wrapper` names the outer
 * key (`params_ema` for basicsr-trained networks), null saves the bare state dict.
 */
export function writeTorchCkpt(path: string, tensors: readonly CkptTensor[], wrapper: string | null = 'state_dict'): void {
  const p = new Pickle();
  p.op(EMPTY_DICT);
  if (wrapper !== null) p.str(wrapper).op(EMPTY_DICT);
  p.op(MARK);
  tensors.forEach((t, i) => {
    p.str(t.name);
    pickleTensor(p, String(i), t.dtype, t.shape);
  });
  p.op(SETITEMS);
  if (wrapper !== null) p.op(SETITEM);
  const members: Array<[string, Buffer]> = [['archive/data.pkl', p.bytes()]];
  tensors.forEach((t, i) => members.push([`archive/data/${i}`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
  members.push(['archive/byteorder', Buffer.from('little')], ['archive/version', Buffer.from('3\n')]);
  writeFileSync(path, storedZip(members));
}
