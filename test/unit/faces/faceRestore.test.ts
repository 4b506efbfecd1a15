import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SessionPool } from '../../../models/sessions';
import { loadImage } from '../../../daemon/image/decode';
import { encodePng } from '../../../daemon/image/encode';
import type { RgbImage } from '../../../daemon/image/rgbImage';
import { findRestorerModel } from '../../../daemon/parts/faceRestorer';
import { blendImages, FaceRestoration, type FacesRestored, type FaceRestoreOptions } from '../../../daemon/extras/faceRestore';
import { writeTinyFaceRestorers } from '../../fixtures/tinyFaceRestorer';
import { sharedPath } from '../../sharedPath';

const dir = sharedPath('models-fixtures/face-detector-ulfd');

/** Mean absolute difference and the share of values off by more than 2 levels. */
function closeness(a: RgbImage, b: RgbImage): { mean: number; over2: number } {
  let sum = 0;
  let over = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    sum += d;
    if (d > 2) over++;
  }
  return { mean: sum / a.data.length, over2: over / a.data.length };
}

/**
 * An identity restore only loses what the two bilinear warps lose (see pasteBack) and what A1111's [-1, 1]
 * round trip loses: it ends in astype(uint8), so about half the face values come back one level lower.
 */
function assertNearlyUnchanged(out: RgbImage, input: RgbImage, what: string): void {
  const { mean, over2 } = closeness(out, input);
  assert.ok(mean < 0.25 && over2 < 0.005, `${what}: mean change ${mean.toFixed(4)}, ${(over2 * 100).toFixed(3)} % off by > 2`);
}

function diffCount(a: RgbImage, b: RgbImage): number {
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

describe('face restoration end to end (real detector, tiny restorers with the GFPGAN / CodeFormer contract)', () => {
  const pool = new SessionPool({ provider: 'cpu', threads: 1 });
  const faces = new FaceRestoration(pool, { detectorPath: `${dir}/version-RFB-320.onnx` });
  const restoreAllFaces = faces.restoreAll.bind(faces);
  const restoreFaces = faces.restore.bind(faces);
  let tmp: string;
  let tintRoot: string;
  let identityRoot: string;
  let photo: RgbImage;
  const signal = new AbortController().signal;
  const opts = (o: Partial<FaceRestoreOptions>): FaceRestoreOptions => ({ model: 'gfpgan', visibility: 1, codeformerWeight: 0, modelsRoot: tintRoot, ...o });

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'sd-faces-'));
    tintRoot = await writeTinyFaceRestorers(join(tmp, 'tint'), 'tint');
    identityRoot = await writeTinyFaceRestorers(join(tmp, 'identity'), 'identity');
    photo = await loadImage(`${dir}/test-photo-two-faces.jpg`, 'photo');
  });
  after(async () => {
    await pool.disposeAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  // One full-strength tiny-GFPGAN run shared by the tests below (each run restores ~40 faces at 512×512).
  let gfpRun: Promise<FacesRestored> | undefined;
  const gfpgan = (): Promise<FacesRestored> => (gfpRun ??= restoreAllFaces(photo, opts({}), signal));

  it('restores every face of the real photo with the tiny GFPGAN and leaves the rest alone', async () => {
    const { image, faces } = await gfpgan();
    assert.ok(faces >= 30, `${faces} faces`);
    assert.equal(image.width, photo.width);
    assert.equal(image.height, photo.height);
    const changed = diffCount(image, photo) / 3;
    // The faces are a few percent of the picture; the bottom rows (legs, stairs) are untouched.
    assert.ok(changed > 2000 && changed < photo.width * photo.height * 0.4, `${changed} pixels changed`);
    const bottom = (photo.height - 100) * photo.width * 3;
    assert.deepEqual(image.data.subarray(bottom), photo.data.subarray(bottom));
    if (process.env.SD_STUDIO_FACES_RESULT) {
      // Original above, restored below, for a person to look at.
      const both: RgbImage = { data: new Uint8Array(photo.data.length * 2), width: photo.width, height: photo.height * 2 };
      both.data.set(photo.data, 0);
      both.data.set(image.data, photo.data.length);
      writeFileSync(process.env.SD_STUDIO_FACES_RESULT, await encodePng(both));
    }
  });

  it('CodeFormer: weight 1 keeps the faces, weight 0 restores fully (w passed as A1111 passes it)', async () => {
    const full = (await restoreAllFaces(photo, opts({ model: 'codeformer', codeformerWeight: 0 }), signal)).image;
    const gfp = (await gfpgan()).image;
    assert.equal(diffCount(full, gfp), 0, 'w = 0 is the tint body alone, the same network as the tiny GFPGAN');
    const kept = (await restoreAllFaces(photo, opts({ model: 'codeformer', codeformerWeight: 1 }), signal)).image;
    assertNearlyUnchanged(kept, photo, 'w = 1');
  });

  it('visibility 0 returns the input byte for byte; 0 < v < 1 is Image.blend', async () => {
    const zero = await restoreFaces(photo, opts({ visibility: 0 }), signal);
    assert.deepEqual(zero.data, photo.data);
    const zeroId = await restoreFaces(photo, opts({ visibility: 0, modelsRoot: join(tmp, 'nowhere') }), signal);
    assert.equal(zeroId, photo, 'at visibility 0 nothing is loaded, so even a missing model is fine');
    const full = (await gfpgan()).image;
    const half = await restoreFaces(photo, opts({ visibility: 0.4 }), signal);
    assert.deepEqual(half.data, blendImages(photo, full, 0.4).data);
    // Pillow: (UINT8)(a + alpha·(b − a)), truncated.
    const px = blendImages({ data: Uint8Array.of(100, 0, 255), width: 1, height: 1 }, { data: Uint8Array.of(103, 255, 0), width: 1, height: 1 }, 0.5);
    assert.deepEqual([...px.data], [101, 127, 127]);
  });

  it('an identity restorer through the whole pipeline leaves the photo nearly unchanged', async () => {
    assertNearlyUnchanged(await restoreFaces(photo, opts({ modelsRoot: identityRoot }), signal), photo, 'identity GFPGAN');
  });

  it('a cancelled job stops before any work', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(restoreFaces(photo, opts({}), ac.signal), { name: 'CancelledError' });
  });

  it('a missing model folder names the folder and the expected files', async () => {
    const root = join(tmp, 'empty-root');
    mkdirSync(root, { recursive: true });
    await assert.rejects(restoreFaces(photo, opts({ modelsRoot: root }), signal), (e: Error) => {
      assert.match(e.message, /GFPGAN model folder/);
      assert.ok(e.message.includes(join(root, 'GFPGAN')), e.message);
      assert.match(e.message, /GFPGANv1\.4\.pth/);
      return true;
    });
    assert.throws(() => findRestorerModel(root, 'codeformer'), /codeformer-v0\.1\.0\.pth.*Codeformer/s);
    assert.throws(() => findRestorerModel('', 'gfpgan'), /modelsRoot is not set/);
    mkdirSync(join(root, 'Codeformer'));
    writeFileSync(join(root, 'Codeformer', 'codeformer-v0.1.0.pth'), 'x');
    // A1111's own weights are picked (and built into a graph); a file that is not one says so, naming it.
    assert.equal(findRestorerModel(root, 'codeformer'), join(root, 'Codeformer', 'codeformer-v0.1.0.pth'));
    await assert.rejects(restoreAllFaces(photo, opts({ modelsRoot: root, model: 'codeformer' }), signal), /codeformer-v0\.1\.0\.pth.*(truncated|not a weights file)/);
  });

  it('a missing detector names the files it looked for', async () => {
    const noDetector = new FaceRestoration(pool);
    await assert.rejects(noDetector.restoreAll(photo, opts({}), signal), /face detector \(detection_Resnet50_Final\.pth.*version-RFB-320\.onnx or version-slim-320\.onnx.*not found: .*facedetect/);
  });
});
