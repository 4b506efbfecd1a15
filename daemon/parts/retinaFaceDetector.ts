// The RetinaFace detector (facexlib's detection_Resnet50_Final.pth, built into an ONNX graph) as A1111's face
// restoration runs it: FaceRestoreHelper.get_face_landmarks_5(resize=640, eye_dist_threshold=5) → the image is
// resized so its short side is 640 (cv2 LANCZOS4; Lanczos-3 here), detect_faces(img, 0.97) with NMS 0.4, boxes
// and landmarks scaled back, faces whose eyes are closer than 5 px dropped. Gives real landmarks, so alignment
// follows the face's rotation.
import type { ModelSession } from '../../models/sessions';
import { modelError } from '../errors';
import { resizeRgb } from '../image/encode';
import type { RgbImage } from '../image/rgbImage';
import { priorBoxes, RETINA_MEAN_BGR, selectDetections } from './retinaDecode';
import type { DetectedFace } from './faceDetector';

export interface RetinaDetectOptions {
  /** Short side the image is resized to before detection (A1111: 640); null keeps the original size. */
  resize?: number | null;
  /** FaceRestoreHelper passes 0.97 (detect_faces' own default is 0.8). */
  scoreThreshold?: number;
  nmsThreshold?: number;
  /** A1111's eye_dist_threshold. */
  minEyeDistance?: number;
}

/** HWC RGB uint8 → NCHW BGR float minus the network's mean. */
export function retinaInput(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const src = img.data;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = src[j + 2]! - RETINA_MEAN_BGR[0];
    out[n + i] = src[j + 1]! - RETINA_MEAN_BGR[1];
    out[2 * n + i] = src[j]! - RETINA_MEAN_BGR[2];
  }
  return out;
}

export class RetinaFaceDetector {
  /** Landmarks come from the network (the ULFD fallback estimates them from the box). */
  readonly precise = true;

  constructor(private readonly session: ModelSession) {
    const names = session.outputs.map((o) => o.name);
    if (!['loc', 'conf', 'landms'].every((n) => names.includes(n))) throw modelError(session.path, `not a RetinaFace graph (outputs: ${names.join(', ')})`, 'outputs loc, conf, landms');
  }

  async detect(img: RgbImage, o: RetinaDetectOptions = {}): Promise<DetectedFace[]> {
    const resize = o.resize === undefined ? 640 : o.resize;
    // get_face_landmarks_5: scale = min(h, w) / resize; (h, w) = (int(h / scale), int(w / scale)).
    const scale = resize === null ? 1 : Math.min(img.width, img.height) / resize;
    const w = resize === null ? img.width : Math.trunc(img.width / scale);
    const h = resize === null ? img.height : Math.trunc(img.height / scale);
    const view = w === img.width && h === img.height ? img : await resizeRgb(img, w, h);
    const out = await this.session.run({ image: { type: 'float32', data: retinaInput(view), dims: [1, 3, h, w] } }, ['loc', 'conf', 'landms']);
    const raw = { loc: out.loc!.data as Float32Array, conf: out.conf!.data as Float32Array, landms: out.landms!.data as Float32Array };
    const dets = selectDetections(raw, priorBoxes(h, w), h, w, o.scoreThreshold ?? 0.97, o.nmsThreshold ?? 0.4);
    const minEye = o.minEyeDistance ?? 5;
    const faces: DetectedFace[] = [];
    for (const d of dets) {
      const lm = d.landmarks.map((v) => v * scale);
      if (Math.hypot(lm[0]! - lm[2]!, lm[1]! - lm[3]!) < minEye) continue;
      faces.push({ box: [d.box[0] * scale, d.box[1] * scale, d.box[2] * scale, d.box[3] * scale], score: d.score, landmarks: lm });
    }
    return faces;
  }
}
