// `sd-studio pnginfo` from the built CLI (dist/cli.js): the corpus as a batch, --json shape, exit status,
// --to-sdprompt, and the speed budget (1000 one-megabyte PNGs well under 10 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sharedPath } from '../sharedPath';
import { withPngText } from '../../daemon/infotext/pngChunks';
import { crc32 } from '../../daemon/infotext/crc32';
import { parseSdPrompt, specInfotext } from '../../daemon/infotext/sdprompt';
import { gradient, stealthWrite, textChunk, tinyPng, withChunks } from '../unit/infotext/wildWriters';

const cli = (args: string[]) => spawnSync(process.execPath, ['dist/cli.js', 'pnginfo', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const corpusDir = sharedPath('pnginfo-corpus', 'files');
const corpus = readdirSync(corpusDir).sort().map((f) => join(corpusDir, f));

test('the built CLI exists', { skip: !existsSync('dist/cli.js') && 'run `npm run build` first' }, () => {});

test('pnginfo --json over the corpus: one object per file, bad files reported, exit 1', { skip: !existsSync('dist/cli.js') }, () => {
  const r = cli([...corpus, '--json']);
  assert.equal(r.status, 1);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, corpus.length);
  const keys = ['file', 'format', 'prompt', 'negativePrompt', 'steps', 'sampler', 'scheduleType', 'cfgScale', 'seed', 'width', 'height', 'modelHash', 'model', 'denoisingStrength', 'parameters', 'raw'];
  for (const row of rows) for (const k of keys) assert.ok(k in row, `${row.file} has ${k}`);
  const fooocus = rows.find((x) => x.file.includes('fooocus'));
  assert.equal(fooocus.seed, '6952411511246973023');
  assert.match(r.stderr, /empty_file\.png: empty file/);
  assert.match(r.stderr, /gimp\.png: no generation parameters/);
  const good = cli([join(corpusDir, 'forge__sdmeta__forge.png')]);
  assert.equal(good.status, 0);
  assert.match(good.stdout, /Steps: 25, Sampler: Euler/);
});

test('pnginfo --to-sdprompt writes specs that carry the images\' infotexts', { skip: !existsSync('dist/cli.js') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdp-'));
  const out = join(dir, 'set.sdprompt');
  const src = join(corpusDir, 'a1111__sdmeta__sd-webui.png');
  const r = cli([src, join(corpusDir, 'comfyui__comfyex__lora_multiple.png'), join(corpusDir, 'comfyui__comfyex__img2img_workflow.png'), '--to-sdprompt', out]);
  assert.equal(r.status, 0, r.stderr);
  const f = parseSdPrompt(readFileSync(out, 'utf8'));
  assert.equal(f.specs.length, 3);
  const json = JSON.parse(cli([src, '--json']).stdout);
  assert.equal(specInfotext(f.specs[0]!), json.raw.parameters);
  // txt2img images become txt2img specs (an image is not its own source); img2img ones keep @init.
  assert.deepEqual(f.specs[0]!.directives, [], 'A1111 txt2img (no Denoising strength)');
  assert.match(f.specs[1]!.paramsLine ?? '', /Steps: 20, Sampler: Euler, Schedule type: Automatic, CFG scale: 8, Seed: 513173432917412, Size: 512x512/);
  assert.deepEqual(f.specs[1]!.directives, [], 'ComfyUI txt2img (denoise 1)');
  assert.equal(f.specs[2]!.directives.length, 1, 'ComfyUI img2img (denoise 0.87)');
  assert.equal(f.specs[2]!.directives[0]!.key, 'init');
  assert.equal(resolve(dir, f.specs[2]!.directives[0]!.value), join(corpusDir, 'comfyui__comfyex__img2img_workflow.png'), '@init relative to the .sdprompt file');
});

test('pnginfo --json adds generator, guessed, source and container; text output flags a guess', { skip: !existsSync('dist/cli.js') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdwild-'));
  try {
    const guessed = join(dir, 'guessed.png');
    writeFileSync(guessed, withChunks(tinyPng(8, 8), [textChunk('parameters', JSON.stringify({ prompt: 'a tiny robot', steps: 24, seed: 77, tool: 'mytrainer' }))]));
    const stealth = join(dir, 'stealth.png');
    const px = gradient(64, 64);
    stealthWrite(px, 64, 64, 'a fox\nSteps: 20, Sampler: dpmpp_2m_karras, CFG Scale: 7, Seed: 18446744073709551615, Size: 512x512, Version: ComfyUI', 'alpha', true);
    writeFileSync(stealth, tinyPng(64, 64, { pixels: px }));
    const r = cli([guessed, stealth, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const [g, s] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual([g.format, g.generator, g.guessed, g.source, g.container, g.prompt, g.steps, g.seed], ['json', 'mytrainer', true, 'parameters', 'png', 'a tiny robot', 24, 77]);
    assert.deepEqual([s.format, s.guessed, s.source, s.sampler, s.cfgScale, s.seed], ['comfyui', false, 'stealth_pngcomp', 'dpmpp_2m_karras', 7, '18446744073709551615']);
    assert.match(cli([guessed]).stdout, /mytrainer \(parameters\) — GUESSED/);
    // Text output: a prompt-only image says so; a sampler send-to cannot name is a note.
    const mj = join(dir, 'mj.png');
    writeFileSync(mj, withChunks(tinyPng(8, 8), [textChunk('Description', 'a castle --ar 2:1 --v 6 Job ID: a7421d2f-b262-44f9-977c-ac23e9c7d3e3')]));
    const kohya = join(dir, 'kohya.png');
    writeFileSync(kohya, withChunks(tinyPng(8, 8), [['prompt', 'a fox'], ['seed', '1'], ['sampler', 'dpmsingle'], ['steps', '20'], ['scale', '7']].map(([k, v]) => textChunk(k!, v!))));
    const text = cli([mj, kohya]).stdout;
    assert.match(text, /mj\.png: Midjourney \(Description\)\na castle\n\(no generation settings recorded: prompt only\)\n/);
    assert.match(text, /kohya\.png: kohya sd-scripts \(prompt\)\n.*\n.*\n {2}note \(send to img2img\): "dpmsingle" \(kohya sd-scripts\) has no A1111 equivalent/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A valid ~1 MB PNG: a real IHDR, one big IDAT of noise (never decoded by pnginfo), IEND. */
function bigPng(): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const b = Buffer.alloc(12 + data.length);
    b.writeUInt32BE(data.length, 0);
    b.write(type, 4, 'latin1');
    Buffer.from(data).copy(b, 8);
    b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
    return b;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1024, 0);
  ihdr.writeUInt32BE(1024, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', randomBytes(1 << 20)), chunk('IEND', new Uint8Array(0))]);
}

test('1000 PNGs of 1 MB in under 10 s', { skip: !existsSync('dist/cli.js') }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdbench-'));
  try {
    benchIn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true }); // 1 GB of fixtures
  }
});

function benchIn(dir: string): void {
  const text = 'p\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 1024x1024';
  const png = withPngText(bigPng(), [['parameters', text]]);
  const files: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const f = join(dir, `${String(i).padStart(4, '0')}.png`);
    writeFileSync(f, png);
    files.push(f);
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['dist/cli.js', 'pnginfo', '--json', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1000);
  process.stdout.write(`# pnginfo --json on 1000 × 1 MB PNGs: ${seconds.toFixed(2)} s\n`);
  assert.ok(seconds < 10, `${seconds} s`);
}
