// Face detection with Linzaer's Ultra-Light-Fast-Generic-Face-Detector (RFB-320 / slim-320 ONNX, MIT).
// The published ONNX files already apply the SSD head's softmax and decode against their built-in priors, so
// the caller's part is: preprocess exactly as the model's own demo (stretch to 320×240, RGB, (x − 127) / 128),
// keep face scores above a threshold, hard NMS, scale the fractional boxes back to the image.
// The "_without_postprocessing" exports (raw SSD locations) are not supported: their outputs would need the prior
// boxes and variances of the training config, and A1111 users do not have them; say so instead of guessing.
import { MODEL_KINDS } from '../../models/registry';
import type { ModelSession, SessionPool } from '../../models/sessions';
import { modelError } from '../errors';
import { resizeRgb } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';

export interface DetectedFace {
  /** x1, y1, x2, y2 in image pixels. */
  box: [number, number, number, number];
  score: number;
  /**
   * Five points (left eye, right eye, nose, left mouth corner, right mouth corner; "left" = image left) as
   * x0, y0, x1, y1, ... in image pixels: the order facexlib's FFHQ template uses.
   */
  landmarks: Float64Array;
}

export interface DetectOptions {
  /** Face probability to keep a candidate; the model's demo uses 0.7. */
  scoreThreshold?: number;
  /** Hard-NMS IoU; the model's demo uses 0.3. */
  iouThreshold?: number;
  /** Skip faces whose eyes are closer than this many pixels (A1111's `eye_dist_threshold=5`). */
  minEyeDistance?: number;
  /**
   * Also look at each quarter of the image (2×2 overlapping tiles) at the detector's resolution. The whole
   * image squeezed into 320×240 misses faces narrower than ~3 % of its width (A1111's RetinaFace looks at 640);
   * the tiles double the resolution. Default on.
   */
  tiles?: boolean;
}

/** Said once per job when this detector stands in for RetinaFace. */
export const FACE_DETECTOR_FALLBACK_NOTICE =
  "face detection: facexlib's detection_Resnet50_Final.pth (RetinaFace, A1111's detector) was not found, so the Ultra-Light detector is used; it gives no landmarks, so faces are aligned from their boxes (coarser: no rotation)";

/** The detector's fixed input size (the 320 variants). */
const IN_W = 320;
const IN_H = 240;

/** File names of the supported detectors, best first (RFB is the more accurate of the two). */
export const DETECTOR_FILES = MODEL_KINDS.faceDetector.fileNames;

/**
 * The 5 points of a mean face as fractions of a detector box (x of the box width from its left edge, y of its
 * height from its top). This detector gives no landmarks, so alignment uses these: rotation-free, centred on the
 * box. Derived from the FFHQ template's own proportions (eye distance ≈ 0.96 × eye-to-mouth height, mouth width
 * ≈ 0.89 × eye distance) placed in the box as WIDER-FACE-style boxes frame a frontal face (eyes at ~40 % of the
 * height, mouth at ~76 %), and checked by eye on the test photo. A landmark model would add rotation and pose;
 * the points are a field of DetectedFace so one can fill them later without touching alignment.
 */
export const MEAN_FACE_IN_BOX: readonly number[] = [0.315, 0.405, 0.685, 0.405, 0.5, 0.585, 0.335, 0.765, 0.665, 0.765];

export function landmarksFromBox(box: readonly [number, number, number, number]): Float64Array {
  const [x1, y1, x2, y2] = box;
  const w = x2 - x1;
  const h = y2 - y1;
  const out = new Float64Array(10);
  for (let i = 0; i < 5; i++) {
    out[2 * i] = x1 + MEAN_FACE_IN_BOX[2 * i]! * w;
    out[2 * i + 1] = y1 + MEAN_FACE_IN_BOX[2 * i + 1]! * h;
  }
  return out;
}

function iou(b: Float32Array, i: number, j: number): number {
  const ix1 = Math.max(b[4 * i]!, b[4 * j]!);
  const iy1 = Math.max(b[4 * i + 1]!, b[4 * j + 1]!);
  const ix2 = Math.min(b[4 * i + 2]!, b[4 * j + 2]!);
  const iy2 = Math.min(b[4 * i + 3]!, b[4 * j + 3]!);
  const inter = Math.max(0, ix2 - ix1) * Math.max(0, iy2 - iy1);
  const area = (k: number): number => Math.max(0, b[4 * k + 2]! - b[4 * k]!) * Math.max(0, b[4 * k + 3]! - b[4 * k + 1]!);
  const union = area(i) + area(j) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy hard NMS as the detector's `box_utils.hard_nms`: highest score first, drop every remaining box that
 * overlaps a kept one by more than `iouThreshold`. `boxes` is [n, 4]; returns the kept indices, best first.
 */
export function hardNms(boxes: Float32Array, scores: Float32Array, candidates: readonly number[], iouThreshold: number): number[] {
  const order = [...candidates].sort((a, b) => scores[b]! - scores[a]!);
  const kept: number[] = [];
  for (const i of order) {
    let keep = true;
    for (const k of kept) {
      if (iou(boxes, i, k) > iouThreshold) {
        keep = false;
        break;
      }
    }
    if (keep) kept.push(i);
  }
  return kept;
}

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function cropRgb(img: RgbImage, r: Rect): RgbImage {
  const data = new Uint8Array(r.w * r.h * 3);
  for (let y = 0; y < r.h; y++) data.set(img.data.subarray(((r.y + y) * img.width + r.x) * 3, ((r.y + y) * img.width + r.x + r.w) * 3), y * r.w * 3);
  return { data, width: r.w, height: r.h };
}

/** HWC uint8 → NCHW float (x − 127) / 128, the normalisation the detector was trained with. */
function toInput(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = (src[j]! - 127) / 128;
    out[n + i] = (src[j + 1]! - 127) / 128;
    out[2 * n + i] = (src[j + 2]! - 127) / 128;
  }
  return out;
}

export class FaceDetector {
  private constructor(
    private readonly session: ModelSession,
    private readonly inputName: string,
  ) {}

  static async open(pool: SessionPool, path: string): Promise<FaceDetector> {
    const session = await pool.get(path);
    const input = session.inputs[0];
    const names = session.outputs.map((o) => o.name);
    if (!input || !names.includes('scores') || !names.includes('boxes')) {
      throw modelError(path, `not an Ultra-Light face detector with built-in post-processing (outputs: ${names.join(', ')})`, 'inputs [1,3,240,320], outputs "scores" and "boxes"');
    }
    const [, , h, w] = input.shape;
    if ((typeof h === 'number' && h !== IN_H) || (typeof w === 'number' && w !== IN_W)) {
      throw modelError(path, `input is ${String(w)}×${String(h)}; only the 320×240 detectors are supported`, DETECTOR_FILES.join(' or '));
    }
    return new FaceDetector(session, input.name);
  }

  async detect(img: RgbImage, o: DetectOptions = {}): Promise<DetectedFace[]> {
    const scoreThreshold = o.scoreThreshold ?? 0.7;
    const iouThreshold = o.iouThreshold ?? 0.3;
    const minEye = o.minEyeDistance ?? 5;
    const views: Rect[] = [{ x: 0, y: 0, w: img.width, h: img.height }];
    if (o.tiles !== false && img.width >= 1.5 * IN_W && img.height >= 1.5 * IN_H) {
      // 2×2 tiles of 60 % of each side overlap by 20 %: a face up to that size lies whole in some tile, and
      // larger ones are found in the whole view.
      const tw = Math.round(img.width * 0.6);
      const th = Math.round(img.height * 0.6);
      for (const y of [0, img.height - th]) for (const x of [0, img.width - tw]) views.push({ x, y, w: tw, h: th });
    }
    const boxes: number[] = [];
    const scores: number[] = [];
    for (const v of views) await this.detectView(img, v, scoreThreshold, boxes, scores);
    const boxArr = Float32Array.from(boxes);
    const scoreArr = Float32Array.from(scores);
    const faces: DetectedFace[] = [];
    for (const i of hardNms(boxArr, scoreArr, scores.map((_, k) => k), iouThreshold)) {
      const box: DetectedFace['box'] = [boxArr[4 * i]!, boxArr[4 * i + 1]!, boxArr[4 * i + 2]!, boxArr[4 * i + 3]!];
      const landmarks = landmarksFromBox(box);
      if (Math.hypot(landmarks[2]! - landmarks[0]!, landmarks[3]! - landmarks[1]!) < minEye) continue;
      faces.push({ box, score: scoreArr[i]!, landmarks });
    }
    return faces;
  }

  /** Runs the detector on one view of the image; appends candidates above the threshold in image pixels. */
  private async detectView(img: RgbImage, v: Rect, threshold: number, boxes: number[], scores: number[]): Promise<void> {
    const view = v.w === img.width && v.h === img.height ? img : cropRgb(img, v);
    // Stretched, not letterboxed: the model's own demo feeds cv2.resize(image, (320, 240)) and was trained on
    // crops resized the same way. Lanczos (not cv2's bilinear) so a large upscaled image does not alias.
    const small = await resizeRgb(view, IN_W, IN_H);
    const out = await this.session.run({ [this.inputName]: { type: 'float32', data: toInput(small), dims: [1, 3, IN_H, IN_W] } });
    const s = out.scores!.data as Float32Array;
    const b = out.boxes!.data as Float32Array;
    const clamp = (t: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, t));
    // A face cut by a tile's inner edge would give a half box; another view sees it whole, so drop those.
    const margin = 2 / IN_W;
    const cutL = v.x > 0;
    const cutT = v.y > 0;
    const cutR = v.x + v.w < img.width;
    const cutB = v.y + v.h < img.height;
    for (let i = 0; i < b.length / 4; i++) {
      if (!(s[2 * i + 1]! > threshold)) continue;
      if ((cutL && b[4 * i]! < margin) || (cutT && b[4 * i + 1]! < margin) || (cutR && b[4 * i + 2]! > 1 - margin) || (cutB && b[4 * i + 3]! > 1 - margin)) continue;
      const x1 = clamp(v.x + b[4 * i]! * v.w, v.x, v.x + v.w);
      const y1 = clamp(v.y + b[4 * i + 1]! * v.h, v.y, v.y + v.h);
      const x2 = clamp(v.x + b[4 * i + 2]! * v.w, v.x, v.x + v.w);
      const y2 = clamp(v.y + b[4 * i + 3]! * v.h, v.y, v.y + v.h);
      if (x2 - x1 < 1 || y2 - y1 < 1) continue;
      boxes.push(x1, y1, x2, y2);
      scores.push(s[2 * i + 1]!);
    }
  }
}
