// RetinaFace post-processing, as facexlib's retinaface_utils.py and RetinaFace.detect_faces: prior boxes per
// feature map, SSD decoding with variances [0.1, 0.2], score threshold, score-sorted NMS. Pure typed-array code.

/** cfg_re50 of facexlib's retinaface.py (the mobilenet config has the same anchors). */
export const RETINA_MIN_SIZES: readonly (readonly number[])[] = [[16, 32], [64, 128], [256, 512]];
export const RETINA_STEPS: readonly number[] = [8, 16, 32];
export const RETINA_VARIANCE: readonly [number, number] = [0.1, 0.2];
/** The network's BGR mean (subtracted by the caller; no scaling). */
export const RETINA_MEAN_BGR: readonly [number, number, number] = [104, 117, 123];

/**
 * PriorBox.forward for an H×W input: per map (ceil(H/step) × ceil(W/step), row-major), per cell, per min size:
 * (cx, cy, w, h) as fractions of the image. Float32 as torch.Tensor stores them.
 */
export function priorBoxes(height: number, width: number): Float32Array {
  const out: number[] = [];
  RETINA_STEPS.forEach((step, k) => {
    const fh = Math.ceil(height / step);
    const fw = Math.ceil(width / step);
    for (let i = 0; i < fh; i++) {
      for (let j = 0; j < fw; j++) {
        for (const size of RETINA_MIN_SIZES[k]!) out.push(((j + 0.5) * step) / width, ((i + 0.5) * step) / height, size / width, size / height);
      }
    }
  });
  return Float32Array.from(out);
}

export interface RetinaRaw {
  /** [A, 4], [A, 2] (softmaxed), [A, 10] of one image. */
  loc: Float32Array;
  conf: Float32Array;
  landms: Float32Array;
}

/** decode() and decode_landm() scaled to pixels: boxes [A, 4] (x1, y1, x2, y2) and landmarks [A, 10]. */
export function decodeRetina(raw: RetinaRaw, priors: Float32Array, height: number, width: number): { boxes: Float64Array; landmarks: Float64Array } {
  const n = priors.length / 4;
  const [v0, v1] = RETINA_VARIANCE;
  const boxes = new Float64Array(n * 4);
  const landmarks = new Float64Array(n * 10);
  for (let a = 0; a < n; a++) {
    const cx = priors[4 * a]!;
    const cy = priors[4 * a + 1]!;
    const pw = priors[4 * a + 2]!;
    const ph = priors[4 * a + 3]!;
    const bx = cx + raw.loc[4 * a]! * v0 * pw;
    const by = cy + raw.loc[4 * a + 1]! * v0 * ph;
    const bw = pw * Math.exp(raw.loc[4 * a + 2]! * v1);
    const bh = ph * Math.exp(raw.loc[4 * a + 3]! * v1);
    boxes[4 * a] = (bx - bw / 2) * width;
    boxes[4 * a + 1] = (by - bh / 2) * height;
    boxes[4 * a + 2] = (bx + bw / 2) * width;
    boxes[4 * a + 3] = (by + bh / 2) * height;
    for (let k = 0; k < 5; k++) {
      landmarks[10 * a + 2 * k] = (cx + raw.landms[10 * a + 2 * k]! * v0 * pw) * width;
      landmarks[10 * a + 2 * k + 1] = (cy + raw.landms[10 * a + 2 * k + 1]! * v0 * ph) * height;
    }
  }
  return { boxes, landmarks };
}

/** One detection as detect_faces returns its row: box, score, then the five (x, y) landmarks. */
export interface RetinaDetection {
  box: [number, number, number, number];
  score: number;
  landmarks: Float64Array;
}

function iou(b: Float64Array, i: number, j: number): number {
  const w = Math.max(0, Math.min(b[4 * i + 2]!, b[4 * j + 2]!) - Math.max(b[4 * i]!, b[4 * j]!));
  const h = Math.max(0, Math.min(b[4 * i + 3]!, b[4 * j + 3]!) - Math.max(b[4 * i + 1]!, b[4 * j + 1]!));
  const area = (k: number): number => (b[4 * k + 2]! - b[4 * k]!) * (b[4 * k + 3]! - b[4 * k + 1]!);
  const inter = w * h;
  return inter / (area(i) + area(j) - inter);
}

/**
 * detect_faces after the network: keep scores > `threshold`, sort by score (descending), greedy NMS at `nms`
 * IoU (torchvision's box IoU, no +1), best first.
 */
export function selectDetections(raw: RetinaRaw, priors: Float32Array, height: number, width: number, threshold: number, nms: number): RetinaDetection[] {
  const { boxes, landmarks } = decodeRetina(raw, priors, height, width);
  const n = priors.length / 4;
  const cand: number[] = [];
  for (let a = 0; a < n; a++) if (raw.conf[2 * a + 1]! > threshold) cand.push(a);
  cand.sort((a, b) => raw.conf[2 * b + 1]! - raw.conf[2 * a + 1]!);
  const kept: number[] = [];
  for (const a of cand) if (kept.every((k) => iou(boxes, a, k) <= nms)) kept.push(a);
  return kept.map((a) => ({
    box: [boxes[4 * a]!, boxes[4 * a + 1]!, boxes[4 * a + 2]!, boxes[4 * a + 3]!],
    score: raw.conf[2 * a + 1]!,
    landmarks: landmarks.slice(10 * a, 10 * a + 10),
  }));
}
