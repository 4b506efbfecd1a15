// `auto` picks each platform's GPU provider when the install has it (models/sessions.ts AUTO_PROVIDERS), and every
// provider it names for a platform is one that platform's onnxruntime-node binding registers (read from the
// binary's strings, so the table cannot promise a provider the shipped binary lacks).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AUTO_PROVIDERS, presentProviders, providerCandidates } from '../../../models/sessions';

test('auto: DirectML on Windows, WebGPU then CoreML on macOS, CUDA on Linux once installed; explicit choices pass through', () => {
  assert.deepEqual(providerCandidates('auto', 'win32', ['cpu', 'dml', 'webgpu']), ['dml']);
  assert.deepEqual(providerCandidates('auto', 'darwin', ['cpu', 'coreml', 'webgpu']), ['webgpu', 'coreml']);
  assert.deepEqual(providerCandidates('auto', 'darwin', ['cpu', 'coreml']), ['coreml']);
  assert.deepEqual(providerCandidates('auto', 'linux', ['cpu', 'webgpu']), [], 'no CUDA runtime: CPU');
  assert.deepEqual(providerCandidates('auto', 'linux', ['cpu', 'webgpu', 'cuda']), ['cuda']);
  assert.deepEqual(providerCandidates('auto', 'freebsd', ['cpu']), []);
  assert.deepEqual(providerCandidates('webgpu', 'linux', ['cpu']), ['webgpu'], 'an explicit choice is tried (and falls back with a warning)');
  assert.deepEqual(providerCandidates('cpu', 'win32', ['cpu', 'dml']), []);
  assert.ok(presentProviders().includes('cpu'));
});

test('each platform binding registers the providers auto names for it', () => {
  const binding = (p: string, a: string): string => readFileSync(join('node_modules/onnxruntime-node/bin/napi-v6', p, a, 'onnxruntime_binding.node'), 'latin1');
  // The backend list is built from short literals, some inlined into instructions ("8cudaH"): a lower-case word.
  const registers = (bin: string, name: string): boolean => new RegExp(`(?<![a-z_])${name}(?![a-z_])`).test(bin);
  const shipped: Array<[string, string]> = [['win32', 'x64'], ['darwin', 'arm64'], ['linux', 'x64'], ['linux', 'arm64']];
  for (const [platform, arch] of shipped) {
    const bin = binding(platform, arch);
    assert.ok(registers(bin, 'cpu'), `${platform}-${arch} binding: cpu`);
    if (platform === 'linux' && arch === 'arm64') assert.ok(!registers(bin, 'cuda'), 'linux-arm64 has no CUDA');
    for (const p of AUTO_PROVIDERS[platform] ?? []) {
      // CUDA is compiled into the linux-x64 binding only; its libraries come with GPU support.
      if (p === 'cuda' && arch !== 'x64') continue;
      assert.ok(registers(bin, p), `${platform}-${arch} binding registers "${p}"`);
    }
  }
});
