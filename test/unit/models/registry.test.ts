// models/registry.ts: the A1111 folder layout every finder uses — a models folder or an install, per-kind
// extensions, recursive vs flat kinds, fixed file names, checkpoint sidecars.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  checkpointSidecar, describeFolder, findFixedModelFile, findModelFile, folderCandidates, hasKindExtension, modelFiles, modelFolders, vaeFilesBeside,
} from '../../../models/registry';

function tree(files: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'sd-registry-'));
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), 'x');
  }
  return root;
}

test('a models folder and an A1111 install are both roots; embeddings also live beside models/', () => {
  const install = tree(['models/Lora/a.safetensors', 'models/VAE/v.pt', 'embeddings/e.pt', 'models/embeddings/f.bin']);
  assert.deepEqual(modelFolders(install, 'lora'), [join(install, 'models', 'Lora')]);
  assert.deepEqual(modelFolders(install, 'embedding'), [join(install, 'embeddings'), join(install, 'models', 'embeddings')]);
  // pointed at the install's models/ folder, the embeddings beside it are still found
  assert.deepEqual(modelFolders(join(install, 'models'), 'embedding'), [join(install, 'models', 'embeddings'), join(install, 'embeddings')]);
  assert.deepEqual(modelFolders('', 'lora'), []);
  assert.equal(describeFolder(install, 'vae'), join(install, 'VAE'));
  assert.equal(describeFolder('', 'gfpgan'), 'GFPGAN/ (modelsRoot is not set)');
  assert.deepEqual(folderCandidates(install, 'faceDetector').slice(0, 3), ['facedetect', 'GFPGAN', 'Codeformer'].map((f) => join(install, f)));
});

test('per-kind extensions and walking: LoRAs recursive, upscalers flat', () => {
  const root = tree(['Lora/styles/deep.safetensors', 'Lora/notes.txt', 'LyCORIS/ly.pt', 'ESRGAN/4x.pth', 'ESRGAN/sub/hidden.pth', 'RealESRGAN/r.onnx']);
  assert.deepEqual([...modelFiles(root, 'lora')].map((f) => [f.name, f.folder]), [['deep.safetensors', 'Lora'], ['ly.pt', 'LyCORIS']]);
  assert.deepEqual([...modelFiles(root, 'upscaler')].map((f) => f.name), ['4x.pth', 'r.onnx']);
  assert.equal(findModelFile(root, 'lora', 'deep'), join(root, 'Lora', 'styles', 'deep.safetensors'));
  assert.equal(findModelFile(root, 'lora', 'notes'), undefined);
  assert.ok(hasKindExtension('/x/model.CKPT', 'checkpoint'));
  assert.ok(!hasKindExtension('/x/model.onnx', 'checkpoint'));
});

test('fixed-name kinds take the first wanted file in search order', () => {
  const root = tree(['GFPGAN/version-slim-320.onnx', 'facedetect/version-RFB-320.onnx', 'models/VAE-approx/taesd_decoder.pth']);
  assert.equal(findFixedModelFile(root, 'faceDetector'), join(root, 'facedetect', 'version-RFB-320.onnx'));
  assert.equal(findFixedModelFile(root, 'taesdDecoder'), join(root, 'models', 'VAE-approx', 'taesd_decoder.pth'));
  assert.equal(findFixedModelFile('', 'taesdDecoder'), undefined);
});

test('checkpoint sidecars: <name>.vae.*, <name>.yaml, and every *.vae.* beside it', () => {
  const root = tree(['m.safetensors', 'm.vae.pt', 'm.yaml', 'other.vae.safetensors', 'plain.pt']);
  const ckpt = join(root, 'm.safetensors');
  assert.equal(checkpointSidecar(ckpt, 'vae'), join(root, 'm.vae.pt'));
  assert.equal(checkpointSidecar(ckpt, 'config'), join(root, 'm.yaml'));
  assert.equal(checkpointSidecar(join(root, 'plain.pt'), 'vae'), undefined);
  assert.deepEqual(vaeFilesBeside(ckpt).map((f) => f.name), ['m.vae.pt', 'other.vae.safetensors']);
});
