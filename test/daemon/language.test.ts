// The .sdprompt language server in the BUILT daemon, driven over stdio as an LSP client (as VS Code does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens, CompletionItem, Diagnostic, Hover, MarkupContent, PublishDiagnosticsParams } from 'vscode-languageserver';
import { startDaemon, tempDir, type TestDaemon } from './harness';
import { sharedPath } from '../sharedPath';

const built = existsSync('dist/cli.js');

/** Waits for the first publishDiagnostics of `uri` whose version is at least `version`. */
function nextDiagnostics(d: TestDaemon, uri: string, version: number): Promise<Diagnostic[]> {
  return new Promise((resolve) => {
    const sub = d.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      if (p.uri === uri && (p.version ?? version) >= version) {
        sub.dispose();
        resolve(p.diagnostics);
      }
    });
  });
}

test('sdprompt over LSP: diagnostics, completion, hover, code lens, fromImage', { skip: !built && 'run `npm run build` first' }, async () => {
  const root = tempDir('sd-lang-root-');
  mkdirSync(join(root, 'Lora'));
  writeFileSync(join(root, 'Lora', 'filmGrain.safetensors'), 'not really a lora');
  const docs = tempDir('sd-lang-docs-');
  writeFileSync(join(docs, 'cat.png'), 'x');
  const uri = pathToFileURL(join(docs, 'spec.sdprompt')).href;

  // No model, no tokenizer anywhere, an empty HOME: hover counts tokens with the CLIP tokenizer SD Studio ships.
  Object.assign(process.env, { HOME: tempDir('sd-lang-home-'), XDG_CACHE_HOME: '', HF_HOME: '', SD_STUDIO_CACHE_DIR: '', SD_STUDIO_TOKENIZER: '', SD_STUDIO_MODEL: '' });
  const d = await startDaemon({ modelsRoot: root });
  try {
    const text = [
      '@init: ./cat.png',
      '@mask: ./missing-mask.png',
      'a (cat, <lora:filmGrain:0.6> <lora:gone:1>',
      'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512',
    ].join('\n');
    const first = nextDiagnostics(d, uri, 1);
    await d.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'sdprompt', version: 1, text } });
    const diags = await first;
    const codes = diags.map((x) => x.code).sort();
    assert.deepEqual(codes, ['path-not-found', 'unclosed', 'unknown-lora']);
    assert.deepEqual(diags.find((x) => x.code === 'unclosed')!.range.start, { line: 2, character: 2 });

    // An edit that fixes the bracket and breaks the sampler: diagnostics follow the new version.
    const second = nextDiagnostics(d, uri, 2);
    await d.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [
        { range: { start: { line: 3, character: 20 }, end: { line: 3, character: 27 } }, text: 'Eulr' },
        { range: { start: { line: 2, character: 7 }, end: { line: 2, character: 7 } }, text: ')' },
      ],
    });
    assert.deepEqual((await second).map((x) => x.code).sort(), ['path-not-found', 'unknown-lora', 'unknown-sampler']);

    const completion = (await d.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 3, character: 22 } })) as CompletionItem[];
    assert.ok(completion.some((c) => c.label === 'Euler a'));
    assert.ok(completion.some((c) => c.label === 'DPM++ 2M'));
    const loras = (await d.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 'a (cat), <lora:'.length } })) as CompletionItem[];
    assert.deepEqual(loras.map((c) => c.label), ['filmGrain']);

    const hover = (await d.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: 2, character: 4 } })) as Hover;
    const value = (hover.contents as MarkupContent).value;
    assert.match(value, /effective weight \*\*1\.1\*\*/);
    assert.match(value, /\d+ tokens \(1 chunk: chunk 1: \d+\/75\)/);

    const lenses = (await d.connection.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as CodeLens[];
    assert.deepEqual(lenses.map((l) => l.command!.command), ['sdStudio.generateSpec', 'sdStudio.generateSpecSeeds']);
    const params = lenses[0]!.command!.arguments![2] as { init_images: string[]; steps: number };
    assert.deepEqual(params.init_images, [join(docs, 'cat.png')]);
    assert.equal(params.steps, 20);

    const png = sharedPath('pnginfo-corpus', 'files', 'a1111__sdmeta__sd-webui.png');
    const r = await d.request('sd/sdprompt.fromImage', { file: png, sdpromptFile: sharedPath('pnginfo-corpus', 'files', 'x.sdprompt') });
    assert.equal(r.format, 'a1111');
    assert.ok(r.text?.startsWith('general, masterpiece'), `a txt2img image becomes a txt2img spec, without @init: ${r.text ?? 'null'}`);
    assert.match(r.text!, /Steps: \d+/);
    const none = await d.request('sd/sdprompt.fromImage', { file: join(docs, 'cat.png') });
    assert.equal(none.text, null);
  } finally {
    await d.stop();
  }
});
