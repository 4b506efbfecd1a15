// Real-format textual-inversion files for tests: an A1111 `.pt` (torch zip, pickle protocol 2, written byte by
// byte as torch.save does), an A1111/kohya `.safetensors` (`emb_params`) and a diffusers `.bin` ({token: tensor}).
import { writeFileSync } from 'node:fs';
import { writeSafetensors } from '../../../models/formats/safetensors';
import { OP, Pickle, pickleTensor, storedZip } from '../../fixtures/torchSave';

const { SETITEM, EMPTY_DICT } = OP;
const tensor = (p: Pickle, key: string, shape: number[]): void => pickleTensor(p, key, 'F32', shape);

const f32bytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A1111's `Embedding.save`: {'string_to_token': {'*': 265}, 'string_to_param': {'*': vec}, 'name', 'step', ...}. */
export function writeA1111Pt(path: string, name: string, vectors: Float32Array, width: number): void {
  const p = new Pickle();
  p.op(EMPTY_DICT);
  p.str('string_to_token').op(EMPTY_DICT).str('*').int(265).op(SETITEM, SETITEM);
  p.str('string_to_param').op(EMPTY_DICT).str('*');
  tensor(p, '0', [vectors.length / width, width]);
  p.op(SETITEM, SETITEM);
  p.str('name').str(name).op(SETITEM);
  p.str('step').int(500).op(SETITEM);
  writeFileSync(path, storedZip([['archive/data.pkl', p.bytes()], ['archive/data/0', f32bytes(vectors)], ['archive/version', Buffer.from('3\n')]]));
}

/** diffusers' `learned_embeds.bin`: {'<token>': tensor [width]}. */
export function writeDiffusersBin(path: string, token: string, vector: Float32Array): void {
  const p = new Pickle();
  p.op(EMPTY_DICT).str(token);
  tensor(p, '0', [vector.length]);
  p.op(SETITEM);
  writeFileSync(path, storedZip([['archive/data.pkl', p.bytes()], ['archive/data/0', f32bytes(vector)], ['archive/version', Buffer.from('3\n')]]));
}

/** An A1111-trained `.safetensors` embedding: one tensor `emb_params` [vectors, width]. */
export async function writeEmbParams(path: string, vectors: Float32Array, width: number): Promise<void> {
  await writeSafetensors(path, [{ name: 'emb_params', dtype: 'F32', shape: [vectors.length / width, width], data: new Uint8Array(f32bytes(vectors)) }]);
}
