// The extension's settings (package.json) and the daemon's own defaults (the CLI and headless use) are one set
// of defaults: a setting both know starts at the same value in VS Code and in `sd-studio`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaultSettings } from '../../../daemon/settings';
import { samplerNames } from '../../../daemon/sampling';

type Property = { default?: unknown; enum?: unknown[] };
interface Manifest { contributes: { configuration: { properties: Record<string, Property> } | Array<{ properties: Record<string, Property> }> } }

function manifestProperties(): Map<string, Property> {
  const m = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
  const sections = Array.isArray(m.contributes.configuration) ? m.contributes.configuration : [m.contributes.configuration];
  const out = new Map<string, Property>();
  for (const s of sections) for (const [k, v] of Object.entries(s.properties)) if (k.startsWith('sdStudio.')) out.set(k.slice('sdStudio.'.length), v);
  return out;
}

function manifestDefaults(): Map<string, unknown> {
  return new Map([...manifestProperties()].filter(([, v]) => 'default' in v).map(([k, v]) => [k, v.default]));
}

describe('settings defaults', () => {
  it('every daemon setting the extension also declares has the same default (face restorer: CodeFormer, as A1111)', () => {
    const daemon = defaultSettings({}) as unknown as Record<string, unknown>;
    const manifest = manifestDefaults();
    // Paths have no default; previewMethod is an A1111 label in VS Code that extension/config.ts maps.
    const shared = Object.keys(daemon).filter((k) => manifest.has(k) && !['outputDir', 'model', 'modelsRoot', 'previewMethod'].includes(k));
    assert.ok(shared.includes('defaultFaceRestorer'));
    for (const k of shared) assert.deepEqual(daemon[k], manifest.get(k), `sdStudio.${k}`);
    assert.equal(daemon.defaultFaceRestorer, 'codeformer');
  });

  it('the sampler setting offers exactly the daemon\'s sampler list (DDIM CFG++ included)', () => {
    assert.deepEqual(manifestProperties().get('defaultSampler')?.enum, samplerNames);
  });
});
