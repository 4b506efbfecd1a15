// facexlib's parsing network on a restored face (FaceRestoreHelper.paste_faces_to_input_image, use_parse=True):
// the face as the restorers take it (RGB in [-1, 1]), class logits out, the arg-max class per pixel back (the
// paste mask is built from them in extras/faces/parseMask.ts).
import type { ModelSession } from '../../models/sessions';
import { modelError } from '../errors';
import type { RgbImage } from '../image/rgbImage';
import { faceInputFromRgb } from './faceRestorer';

export class FaceParser {
  constructor(private readonly session: ModelSession) {
    if (!session.outputs.some((o) => o.name === 'parsing')) throw modelError(session.path, 'not a face parsing graph (no "parsing" output)');
  }

  /** The class of every pixel of a size×size restored face. */
  async classes(face: RgbImage): Promise<Uint8Array> {
    const n = face.width;
    const out = await this.session.run({ image: { type: 'float32', data: faceInputFromRgb(face), dims: [1, 3, n, n] } }, ['parsing']);
    return parseClasses(out.parsing!.data as Float32Array, out.parsing!.dims[1]!, n);
  }
}

/** Arg-max over the class planes of [classes, size, size] logits (first maximum wins, as torch.argmax on CPU). */
export function parseClasses(logits: Float32Array, classes: number, size: number): Uint8Array {
  const n = size * size;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestV = logits[i]!;
    for (let c = 1; c < classes; c++) {
      const v = logits[c * n + i]!;
      if (v > bestV) {
        bestV = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

