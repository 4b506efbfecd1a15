// The paste-back mask FaceRestoreHelper.paste_faces_to_input_image builds from the parsing network when
// use_parse=True (A1111's setting): classes 1-13 and 15 (skin, brows, eyes, glasses, ears, nose, mouth, lips,
// neck) are face, 0 (background), 14, 16-18 (hat, earring, cloth, hair...) are not; the 0/255 map is blurred twice
// with a 101-tap Gaussian of sigma 11, its 10-pixel border zeroed, and scaled to [0, 1]. Pure typed-array code.
import { gaussianBlur } from './pasteBack';

/** facexlib's MASK_COLORMAP: 255 where the class counts as face. */
export const PARSE_FACE_COLORMAP: readonly number[] = [0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 255, 0, 0, 0];

/** The soft face mask in crop coordinates, values in [0, 1]. */
export function parseMask(classes: Uint8Array, size: number): Float32Array {
  let m: Float32Array = new Float32Array(size * size);
  for (let i = 0; i < m.length; i++) m[i] = PARSE_FACE_COLORMAP[classes[i]!] ?? 0;
  m = gaussianBlur(m, size, size, 101, undefined, 11);
  m = gaussianBlur(m, size, size, 101, undefined, 11);
  const thres = 10;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      m[i] = y < thres || y >= size - thres || x < thres || x >= size - thres ? 0 : m[i]! / 255;
    }
  }
  return m;
}
