// `sd-studio convert-onnx` on the network files A1111 users have (GFPGAN / CodeFormer params_ema .pth, facexlib's
// bare detector with DataParallel's `module.` prefix, a params_ema.-flattened .safetensors): built CLI → daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { runCli, tempDir } from './harness';
import { ioF32, maxAbsDiff, visionFixture, visionIo, writeVisionPth } from '../fixtures/visionTiny';

const env = () => ({ SD_STUDIO_CACHE_DIR: tempDir('sd-cache-') });

test('convert-onnx GFPGANv1.4.pth ({"params_ema": …}) writes model.onnx + model.json that reproduce the original', async () => {
  const dir = tempDir();
  const pth = await writeVisionPth('gfpgan', join(dir, 'GFPGANv1.4.pth'), { wrapper: 'params_ema' });
  const out = join(dir, 'gfpgan-onnx');
  const r = runCli(['convert-onnx', pth, '--out', out, '--json'], env());
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { kind: string; network: string; outputs: string[]; input: { channels: string } };
  assert.equal(res.kind, 'network');
  assert.equal(res.network, 'gfpgan');
  assert.deepEqual(res.outputs, ['restored', 'style_code']);
  const sidecar = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as { kind: string; input: { preprocess: string; channels: string }; notes: string[] };
  assert.equal(sidecar.kind, 'gfpgan');
  assert.equal(sidecar.input.channels, 'RGB');
  assert.match(sidecar.input.preprocess, /\/ 255 − 0\.5\) \/ 0\.5/);
  assert.match(sidecar.notes.join(' '), /fresh noise/);
  const io = await visionIo('gfpgan');
  const u8 = io.get('face_rgb_u8')!.data as Uint8Array;
  const x = new Float32Array(3 * 512 * 512);
  for (let i = 0; i < 512 * 512; i++) for (let c = 0; c < 3; c++) x[c * 512 * 512 + i] = Math.fround(Math.fround(u8[3 * i + c]! / 255) - 0.5) * 2;
  const s = await ort.InferenceSession.create(join(out, 'model.onnx'), { intraOpNumThreads: 1 });
  try {
    assert.equal(s.inputNames.length, 1);
    assert.equal(s.outputNames[0], 'restored');
    const y = (await s.run({ image: new ort.Tensor('float32', x, [1, 3, 512, 512]) }, ['restored'])).restored!.data as Float32Array;
    assert.ok(maxAbsDiff(y, ioF32(io, 'restored')) < 3e-4);
  } finally {
    await s.release();
  }
});

test('convert-onnx: facexlib detector with module. keys; an output folder that is not empty is refused', async () => {
  const dir = tempDir();
  const det = await writeVisionPth('retinaface', join(dir, 'detection_Resnet50_Final.pth'), { wrapper: null, prefix: 'module.' });
  const r = runCli(['convert-onnx', det, '--out', join(dir, 'det')], env());
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /retinaface: RetinaFace ResNet-50 .*input "image" BGR u8 − \(104, 117, 123\).*outputs loc, conf, landms/);
  assert.ok(existsSync(join(dir, 'det', 'model.json')));
  // (Keys flattened as params_ema.<key> in .safetensors: every vision-tiny fixture is such a file.)
  const again = runCli(['convert-onnx', det, '--out', join(dir, 'det')], env());
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /not empty/);
});

test('sd-studio extras --face-restorer gfpgan finds A1111\'s .pth files in models/GFPGAN and uses them as they are', async () => {
  const root = tempDir('sd-a1111-');
  const gfp = join(root, 'models', 'GFPGAN');
  mkdirSync(gfp, { recursive: true });
  await writeVisionPth('gfpgan', join(gfp, 'GFPGANv1.4.pth'), { wrapper: 'params_ema' });
  await writeVisionPth('retinaface', join(gfp, 'detection_Resnet50_Final.pth'), { wrapper: null, prefix: 'module.' });
  copyFileSync('test/fixtures/parsenet-tiny/parsenet.safetensors', join(gfp, 'parsing_parsenet.pth'));
  const out = join(root, 'out');
  const debug = join(root, 'debug');
  const r = runCli(['extras', visionFixture('test-image.png'), '--upscaler', 'None', '--scale', '1', '--face-restorer', 'gfpgan', '--faces-debug', debug, '--models-root', root, '--out', out], env());
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /note:/, 'RetinaFace was found: no fallback notice');
  const crops = readdirSync(debug);
  assert.ok(crops.length >= 2 && crops.includes('gfpgan-00-aligned.png'), crops.join(', '));
  const text = readPngTextChunks(new Uint8Array(readFileSync(join(out, 'test-image.png'))));
  assert.match(text.find((c) => c.keyword === 'extras')!.text, /GFPGAN visibility: 1/);
  const before = await sharp(visionFixture('test-image.png')).raw().toBuffer();
  const after = await sharp(join(out, 'test-image.png')).raw().toBuffer();
  assert.equal(after.length, before.length);
  assert.ok(!after.equals(before), 'faces were pasted back');
});
