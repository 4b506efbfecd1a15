// Face restoration end to end from A1111's own files (tiny random weights in the real layouts, written as the real
// .pth files are): RetinaFace finds the fixture's faces, each is aligned from its landmarks, restored by GFPGAN,
// masked by the parsing network and pasted back; debug crops are written; outside the face masks every byte of
// the photo is unchanged.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { sharedPath } from '../../sharedPath';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SessionPool } from '../../../models/sessions';
import { loadImage } from '../../../daemon/image/decode';
import type { RgbImage } from '../../../daemon/image/rgbImage';
import { FaceRestoration, type FacesRestored } from '../../../daemon/extras/faceRestore';
import { applyAffine, invertAffine, templateFor, warpGray } from '../../../daemon/extras/faces/align';
import { FaceModels } from '../../../daemon/parts/faceModels';
import { visionFixture, writeVisionPth } from '../../fixtures/visionTiny';

describe('face restoration from A1111 files (tiny GFPGAN + RetinaFace + ParseNet .pth in models/GFPGAN)', () => {
  const pool = new SessionPool({ provider: 'cpu', threads: 1 });
  let tmp: string;
  let photo: RgbImage;
  let run: FacesRestored;
  const notices: string[] = [];
  const reports: string[] = [];

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sd-a1111-faces-'));
    const gfp = join(tmp, 'models', 'GFPGAN');
    mkdirSync(gfp, { recursive: true });
    await writeVisionPth('gfpgan', join(gfp, 'GFPGANv1.4.pth'), { wrapper: 'params_ema' });
    await writeVisionPth('retinaface', join(gfp, 'detection_Resnet50_Final.pth'), { wrapper: null, prefix: 'module.' });
    copyFileSync('test/fixtures/parsenet-tiny/parsenet.safetensors', join(gfp, 'parsing_parsenet.pth'));
    photo = await loadImage(visionFixture('test-image.png'), 'photo');
    // As A1111: detection on the image resized to a 640 short side, scaled back.
    const faces = new FaceRestoration(pool, { cacheDir: join(tmp, 'cache') });
    run = await faces.restoreAll(photo, { model: 'gfpgan', visibility: 1, codeformerWeight: 0.5, modelsRoot: tmp, debugDir: join(tmp, 'debug') }, undefined, {
      notice: (m) => notices.push(m), report: (m) => reports.push(m),
    });
  });
  after(async () => {
    await pool.disposeAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('finds faces with RetinaFace landmarks at A1111\'s 640 detection size and aligns each to the FFHQ template', async () => {
    console.log(`  ${run.faces} faces`);
    assert.ok(run.faces >= 3, `${run.faces} faces`);
    assert.ok(run.precise && run.parsed);
    assert.deepEqual(notices, [], 'RetinaFace is there: no fallback notice');
    assert.ok(reports.some((r) => /GFPGAN: building graph/.test(r)) && reports.some((r) => /RetinaFace: building graph/.test(r)), 'graphs built with progress');
    const tpl = templateFor(512);
    run.trace.forEach((f, i) => {
      assert.ok(Math.hypot(f.landmarks[0]! - f.landmarks[2]!, f.landmarks[1]! - f.landmarks[3]!) >= 5, 'eye_dist_threshold');
      // The similarity maps the landmarks near the template (least squares over 5 points).
      const fwd = invertAffine(f.inverse);
      for (let k = 0; k < 5; k++) {
        const [x, y] = applyAffine(fwd, f.landmarks[2 * k]!, f.landmarks[2 * k + 1]!);
        assert.ok(Math.hypot(x - tpl[2 * k]!, y - tpl[2 * k + 1]!) < 120, `face ${i} point ${k}`);
      }
    });
    const files = readdirSync(join(tmp, 'debug')).sort();
    assert.equal(files.length, 2 * run.faces);
    assert.ok(files.includes('gfpgan-00-aligned.png') && files.includes('gfpgan-00-restored.png'));
  });

  it('pastes the restored faces back and leaves every pixel outside the face masks byte-identical', () => {
    const { width: w, height: h } = photo;
    const covered = new Uint8Array(w * h);
    for (const f of run.trace) {
      const m = new Float32Array(w * h);
      warpGray(f.mask!, 512, 512, f.inverse, m, w, { x0: 0, y0: 0, x1: w, y1: h });
      for (let i = 0; i < m.length; i++) if (m[i]! > 0) covered[i] = 1;
    }
    let changed = 0;
    let outside = 0;
    for (let i = 0; i < w * h; i++) {
      const same = photo.data[3 * i] === run.image.data[3 * i] && photo.data[3 * i + 1] === run.image.data[3 * i + 1] && photo.data[3 * i + 2] === run.image.data[3 * i + 2];
      if (!covered[i]) {
        outside++;
        assert.ok(same, `pixel ${i % w},${Math.floor(i / w)} outside every face mask changed`);
      } else if (!same) changed++;
    }
    console.log(`  ${outside} of ${w * h} pixels outside every face mask, ${changed} changed inside`);
    assert.ok(outside > 0.1 * w * h, `${outside} pixels outside the masks`);
    assert.ok(changed > 50, `${changed} pixels inside the masks changed`);
  });

  it('without facexlib\'s detector the Ultra-Light ONNX is used, with a notice that alignment is coarser', async () => {
    const root = join(tmp, 'ulfd-root');
    mkdirSync(join(root, 'facedetect'), { recursive: true });
    copyFileSync(sharedPath('models-fixtures/face-detector-ulfd/version-RFB-320.onnx'), join(root, 'facedetect', 'version-RFB-320.onnx'));
    const seen: string[] = [];
    const d = await new FaceModels(pool).detector(root, { notice: (m) => seen.push(m) });
    assert.equal(d.precise, false);
    assert.equal(seen.length, 1);
    assert.match(seen[0]!, /detection_Resnet50_Final\.pth.*not found.*Ultra-Light.*coarser/);
  });
});
