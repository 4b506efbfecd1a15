// GFPGAN / CodeFormer as ONNX files from the user's A1111 folders (`GFPGAN/`, `Codeformer/` under modelsRoot).
// Both networks take the aligned 512×512 face as RGB NCHW float in [-1, 1] ((x/255 − 0.5)/0.5, as A1111's
// restore_with_face_helper normalises) and return the same range; A1111 clamps to [-1, 1] and converts with
// astype(uint8), i.e. truncation. CodeFormer exports carry the fidelity weight as a second input (`weight`,
// float64 [1] in the common facefusion export; `w` in others), which A1111 passes straight through as `w`.
// `.pth` weights are not converted here (no GFPGAN/CodeFormer graph builder yet): the error says so.
import { join } from 'node:path';
import { describeFolder, filesInFolder, modelFolders } from '../../models/registry';
import type { HostTensor, ModelSession, SessionPool, TensorSpec } from '../../models/sessions';
import { modelError, notFound } from '../errors';
import type { RgbImage } from '../image/rgbImage';

export type FaceRestorerKind = 'gfpgan' | 'codeformer';

/** What a restorer file is called (for picking one and for error messages). */
const RESTORER_FILES: Record<FaceRestorerKind, { expected: string; pattern: RegExp }> = {
  gfpgan: { expected: 'a GFPGAN ONNX export such as GFPGANv1.4.onnx', pattern: /gfpgan/i },
  codeformer: { expected: 'a CodeFormer ONNX export such as codeformer.onnx', pattern: /codeformer/i },
};

/**
 * The ONNX file to use from the restorer's folder (models/registry.ts): one whose name says gfpgan / codeformer if
 * any, else the only other .onnx in the folder (the face detector files that live beside the restorers are
 * skipped). Errors name the folder and the expected files.
 */
export function findRestorerModel(modelsRoot: string, kind: FaceRestorerKind): string {
  const { expected, pattern } = RESTORER_FILES[kind];
  const dir = modelFolders(modelsRoot, kind)[0];
  if (!dir) throw notFound(describeFolder(modelsRoot, kind), `${kind === 'gfpgan' ? 'GFPGAN' : 'CodeFormer'} model folder (expected ${expected})`);
  const files = [...filesInFolder(dir, kind)].map((f) => f.name);
  const onnx = files.filter((f) => f.toLowerCase().endsWith('.onnx') && !/^version-(rfb|slim)-/i.test(f));
  const named = onnx.filter((f) => pattern.test(f));
  const pick = named[0] ?? (onnx.length === 1 ? onnx[0] : undefined);
  if (pick) return join(dir, pick);
  const pth = files.filter((f) => /\.(pth|safetensors)$/i.test(f));
  const why = pth.length
    ? `only ${pth.join(', ')} found; .pth restorer weights are not supported yet, export them to ONNX`
    : onnx.length > 1
      ? `several .onnx files (${onnx.join(', ')}) and none is named like ${pattern.source}`
      : 'no .onnx file in the folder';
  throw modelError(dir, why, expected);
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
    const x = new Float32Array(3 * n);
    const src = face.data;
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      x[i] = src[j]! / 127.5 - 1;
      x[n + i] = src[j + 1]! / 127.5 - 1;
      x[2 * n + i] = src[j + 2]! / 127.5 - 1;
    }
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
