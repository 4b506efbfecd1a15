// GFPGAN / CodeFormer sessions. The model is either built from A1111's own weights (GFPGANv1.4.pth,
// codeformer-v0.1.0.pth; models/networkKinds.ts) or a user's ONNX export. Both networks take the aligned 512×512
// face as RGB NCHW float in [-1, 1] ((x/255 − 0.5)/0.5, as A1111's restore_with_face_helper normalises) and return
// the same range; A1111 clamps to [-1, 1] and converts with astype(uint8), i.e. truncation. CodeFormer takes the
// fidelity weight as a second input (`w` in our graphs; `weight`, float64 [1], in the common facefusion export),
// which A1111 passes straight through as `w`.
import { join } from 'node:path';
import { describeFolder, filesInFolder, modelFolders } from '../../models/registry';
import type { HostTensor, ModelSession, SessionPool, TensorSpec } from '../../models/sessions';
import { modelError, notFound } from '../errors';
import type { RgbImage } from '../image/rgbImage';

export type FaceRestorerKind = 'gfpgan' | 'codeformer';

/** The file A1111's loader prefers in each restorer folder, and what else counts as the restorer. */
const RESTORER_FILES: Record<FaceRestorerKind, { preferred: string; pattern: RegExp; label: string }> = {
  gfpgan: { preferred: 'GFPGANv1.4.pth', pattern: /gfpgan/i, label: 'GFPGAN' },
  codeformer: { preferred: 'codeformer-v0.1.0.pth', pattern: /codeformer/i, label: 'CodeFormer' },
};

/**
 * The restorer in its folder (models/registry.ts), best first: A1111's own file name, other `.pth`/`.safetensors`
 * named like the kind, then an ONNX export named like it (or the only .onnx that is not a detector). facexlib's
 * detector / parser files in the same folder are never picked. Errors name the folder and the expected files.
 */
export function findRestorerModel(modelsRoot: string, kind: FaceRestorerKind): string {
  const { preferred, pattern, label } = RESTORER_FILES[kind];
  const expected = `${preferred} (A1111's file) or an ONNX export`;
  const dir = modelFolders(modelsRoot, kind)[0];
  if (!dir) throw notFound(describeFolder(modelsRoot, kind), `${label} model folder (expected ${expected})`);
  const files = [...filesInFolder(dir, kind)].map((f) => f.name).sort();
  const named = (ext: RegExp): string[] => files.filter((f) => ext.test(f) && pattern.test(f));
  const onnx = files.filter((f) => /\.onnx$/i.test(f) && !/^version-(rfb|slim)-/i.test(f));
  const pick = [
    ...files.filter((f) => f === preferred),
    ...named(/\.(pth|pt|safetensors)$/i),
    ...named(/\.onnx$/i),
    ...(onnx.length === 1 ? onnx : []),
  ][0];
  if (pick) return join(dir, pick);
  throw modelError(dir, `no ${label} weights in the folder${onnx.length > 1 ? ` (several .onnx files, none named like ${pattern.source})` : ''}`, expected);
}

/** The first 4-D float input/output (the face); CodeFormer's weight is the input named w / weight. */
function faceSpec(specs: readonly TensorSpec[]): TensorSpec | undefined {
  return specs.find((s) => s.shape.length === 4 && /float/.test(s.type)) ?? specs[0];
}

export class FaceRestorerModel {
  private constructor(
    private readonly session: ModelSession,
    readonly kind: FaceRestorerKind,
    /** The square input side (512 for every published GFPGAN / CodeFormer). */
    readonly size: number,
    private readonly input: TensorSpec,
    private readonly output: TensorSpec,
    private readonly weight: TensorSpec | undefined,
  ) {}

  static async open(pool: SessionPool, path: string, kind: FaceRestorerKind): Promise<FaceRestorerModel> {
    const session = await pool.get(path);
    const input = faceSpec(session.inputs);
    const output = faceSpec(session.outputs);
    if (!input || !output || input.shape.length !== 4) {
      throw modelError(path, `not a face restorer (inputs: ${session.inputs.map((i) => i.name).join(', ')})`, 'an input [1,3,512,512] in [-1,1]');
    }
    const weight = session.inputs.find((s) => s !== input && /^(w|weight|fidelity)$/i.test(s.name));
    const side = input.shape[3];
    const size = typeof side === 'number' && side > 0 ? side : 512;
    return new FaceRestorerModel(session, kind, size, input, output, weight);
  }

  /** True when the model takes CodeFormer's fidelity weight. */
  get hasWeight(): boolean {
    return this.weight !== undefined;
  }

  /** Restore one aligned size×size face. `weight` is CodeFormer's w (0 = strongest restoration, 1 = input). */
  async restore(face: RgbImage, weight = 0.5): Promise<RgbImage> {
    const n = this.size * this.size;
    if (face.width !== this.size || face.height !== this.size) throw new Error(`face crop is ${face.width}×${face.height}, the restorer wants ${this.size}×${this.size}`);
    const x = faceInputFromRgb(face);
    const feeds: Record<string, HostTensor> = { [this.input.name]: { type: 'float32', data: x, dims: [1, 3, this.size, this.size] } };
    if (this.weight) feeds[this.weight.name] = scalarFeed(this.weight, weight);
    const out = await this.session.run(feeds, [this.output.name]);
    const y = out[this.output.name]!.data as Float32Array;
    const img = new Uint8Array(3 * n);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < n; i++) {
        // clamp to [-1, 1], map to [0, 1], ×255, astype(uint8): A1111's rgb_tensor_to_bgr_image path.
        const v = (y[c * n + i]! + 1) * 0.5;
        img[3 * i + c] = v <= 0 ? 0 : v >= 1 ? 255 : Math.trunc(v * 255);
      }
    }
    return { data: img, width: this.size, height: this.size };
  }
}

/**
 * A face crop as the restorers take it: RGB planes in [-1, 1], computed as A1111 / GFPGANer do it
 * (`img / 255.` in float64 rounded to float32, then normalize(0.5, 0.5) in float32).
 */
export function faceInputFromRgb(face: RgbImage): Float32Array {
  const n = face.width * face.height;
  const x = new Float32Array(3 * n);
  const src = face.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    for (let c = 0; c < 3; c++) x[c * n + i] = Math.fround(Math.fround(src[j + c]! / 255) - 0.5) * 2;
  }
  return x;
}

/** A one-element weight feed in the element type and rank the export declares. */
function scalarFeed(spec: TensorSpec, value: number): HostTensor {
  const dims = spec.shape.length === 0 ? [] : spec.shape.map(() => 1);
  if (spec.type === 'float64') {
    // HostTensor's union has no Float64Array, but sessions.ts hands data and type to ort.Tensor unchanged, and
    // ort accepts Float64Array for 'float64' (the facefusion CodeFormer export declares weight as double).
    return { type: 'float64', data: Float64Array.of(value) as unknown as Float32Array, dims };
  }
  return { type: 'float32', data: Float32Array.of(value), dims };
}
