// The pieces the hostile-file suite relies on, checked directly: the linear re_param scan gives exactly what
// A1111's regex gives, str.strip and NUL stripping likewise; a long pickle parse stops on cancel; names such as
// `__proto__` survive a safetensors round trip; temp and output names fit 255 bytes; patterns stay inside the
// output folder; the panels' Generate forwards only form fields.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { findParams } from '../../../daemon/infotext/a1111';
import { stripNuls } from '../../../daemon/infotext/exif';
import { PY_WORD, PY_WS, pyStrip } from '../../../daemon/infotext/python';
import { patternSubfolder, saveImage } from '../../../daemon/output/save';
import { generateParams, outpaintParams, scriptOptions } from '../../../extension/panels/generateParams';
import { NAME_MAX_BYTES, fitUtf8, tempPathFor } from '../../../models/formats/atomicFile';
import { PICKLE_LIMITS, unpickleAsync } from '../../../models/formats/pickle';
import { readSafetensors, writeSafetensors } from '../../../models/formats/safetensors';
import { readTensor } from '../../../models/formats/tensorRecord';
import { createRng } from '../../../models/testModel/prng';

/** A1111's `re_param`, as the reader used to run it (quadratic on long key runs; fine on short lines). */
const RE_PARAM = new RegExp(`${PY_WS}*(${PY_WORD}[${PY_WORD.slice(1, -1)} \\-/]+):${PY_WS}*("(?:\\\\[^\\n]|[^\\\\"])+"|[^,]*)(?:,|$)`, 'gu');
const byRegex = (line: string): Array<[string, string]> => [...line.matchAll(RE_PARAM)].map((m) => [m[1]!, m[2]!]);

describe('the linear re_param scan', () => {
  it('matches the regex on real lines and on random lines of the characters that matter', () => {
    const real = [
      'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b',
      'Lora hashes: "a: 62064ee0c3ba, b: 29179d2a6166", Hashes: {"model": "36fab8f31a"}, Version: v1.9.4',
      'x: "unterminated, y: 2, z:3', 'Ünïcödé ключ: значение, 日本語 キー: 値, 𝒳𝒴: astral', 'a:1,bb:2,  cc :3',
      'k: "esc \\" quote", k2: "\\', 'k: "", k2: v', ' \u00a0\u3000lead: ws, tab\tkey: no',
    ];
    for (const line of real) assert.deepEqual(findParams(line), byRegex(line), line);
    const alphabet = ['a', 'B', '1', '_', ' ', '-', '/', ':', ',', '"', '\\', '\t', '\u00a0', 'é', '𝒳', '\ud800', '\n', '.', 'x'];
    const rng = createRng(14);
    const rand = (): number => rng.next();
    for (let n = 0; n < 3000; n++) {
      let line = '';
      const len = Math.floor(rand() * 40);
      for (let i = 0; i < len; i++) line += alphabet[Math.floor(rand() * alphabet.length)];
      assert.deepEqual(findParams(line), byRegex(line), JSON.stringify(line));
    }
  });

  it('takes linear time where the regex took seconds', () => {
    const t0 = performance.now();
    for (const line of ['a'.repeat(400_000), 'ab '.repeat(150_000), `${'k'.repeat(200_000)}:"${'v'.repeat(200_000)}`]) findParams(line);
    assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
  });

  it('str.strip and NUL stripping agree with their regexes, in linear time', () => {
    for (const s of ['', '  a b  ', '\u3000\u2028x\u0085', '\t\n', 'no-space', ' \ufeffbom ']) {
      assert.equal(pyStrip(s), s.replace(new RegExp(`^${PY_WS}+`, 'u'), '').replace(new RegExp(`${PY_WS}+$`, 'u'), ''));
    }
    assert.equal(stripNuls('ab\0\0'), 'ab');
    assert.equal(stripNuls('\0a\0'), '\0a');
    const t0 = performance.now();
    pyStrip(`x${' '.repeat(500_000)}x`);
    stripNuls(`${'\0'.repeat(500_000)}x`);
    assert.ok(performance.now() - t0 < 500);
  });
});

describe('pickle parsing', () => {
  it('stops when its cancel signal fires (Ctrl-C during a long parse)', async () => {
    // MARK, POP_MARK pairs: 64 million opcodes that push nothing, so only the parse's length bounds them.
    const body = Buffer.alloc(PICKLE_LIMITS.maxBytes - 16);
    for (let i = 0; i < body.length; i += 2) [body[i], body[i + 1]] = [0x28, 0x31];
    const bytes = Buffer.concat([Buffer.from([0x80, 0x02]), body, Buffer.from([0x4e, 0x2e])]);
    const ac = new AbortController();
    setImmediate(() => ac.abort(new Error('cancelled by the user')));
    const t0 = performance.now();
    await assert.rejects(unpickleAsync(bytes, { file: 'long.pkl', signal: ac.signal }), /cancelled by the user/);
    assert.ok(performance.now() - t0 < 1000, `stopped after ${performance.now() - t0} ms`);
    // the same opcodes, a short run, parse to the value after them
    assert.equal((await unpickleAsync(Buffer.from([0x80, 0x02, 0x28, 0x31, 0x28, 0x31, 0x4b, 7, 0x2e]), { file: 'short.pkl' })).value, 7);
  });
});

describe('safetensors names', () => {
  it('`__proto__`, `constructor` and `toString` round-trip as tensor and metadata names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sd-proto-'));
    const p = join(dir, 'proto.safetensors');
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    await writeSafetensors(p, names.map((name, i) => ({ name, dtype: 'F32', shape: [1], data: new Uint8Array(Float32Array.of(i).buffer) })), { ['__proto__']: 'meta' });
    const st = await readSafetensors(p);
    assert.deepEqual(st.tensors.map((t) => t.name).sort(), [...names].sort());
    for (const t of st.tensors) assert.equal((await readTensor(t, 'F32'))[0], names.indexOf(t.name));
    assert.equal(Object.getOwnPropertyDescriptor(st.metadata, '__proto__')?.value, 'meta');
    assert.equal(Object.getPrototypeOf(st.metadata), Object.prototype);
  });
});

describe('names and paths', () => {
  it('temp names fit 255 bytes even beside a legal 250-byte name of 3-byte characters', () => {
    const legal = `${'画'.repeat(82)}.png`; // 246 + 4 bytes
    assert.ok(Buffer.byteLength(legal) <= NAME_MAX_BYTES);
    assert.ok(Buffer.byteLength(basename(tempPathFor(join('/out', legal)))) <= NAME_MAX_BYTES);
    assert.equal(fitUtf8('a画b', 3), 'a');
    assert.equal(fitUtf8('a画b', 4), 'a画');
  });

  it('patterns cannot lead outside the output folder; long prompts give names within 255 bytes', () => {
    assert.equal(patternSubfolder('/../../../x/./y/..'), join('x', 'y'));
    assert.equal(patternSubfolder('..\\..\\win'), 'win');
    const root = mkdtempSync(join(tmpdir(), 'sd-pattern-'));
    const ctx = { seed: 5n, steps: 1, cfg: 7, width: 8, height: 8, sampler: 'Euler', scheduler: 'Automatic', prompt: '画'.repeat(120), negativePrompt: '', batchSize: 1, date: new Date(2024, 0, 2) };
    const path = saveImage({ root, tab: 'txt2img-images', directoryPattern: '../../[seed]', filenamePattern: '/../../[prompt_spaces]' }, ctx, new Uint8Array([1]));
    assert.ok(path.startsWith(join(root, 'txt2img-images', '5')), path);
    assert.ok(Buffer.byteLength(basename(path)) <= NAME_MAX_BYTES);
    assert.deepEqual(readdirSync(join(root, 'txt2img-images', '5')), [basename(path)]); // no temp file left
  });
});

describe("the panels' Generate", () => {
  it('forwards only the form fields, whatever else the webview sends', () => {
    const p = generateParams(
      { prompt: 'a cat', steps: 4, seed: 3, outdir: '/etc', model: '/tmp/evil', save_images: false, override_settings: { randn_source: 'CPU' }, init_images: ['/etc/passwd'], jobId: 'img2img-1' },
      { mask_blur: 2, inpainting_fill: 0, outdir: '/x' },
      'fallback',
    );
    assert.deepEqual(p, { prompt: 'a cat', steps: 4, seed: 3, mask_blur: 2, inpainting_fill: 0, jobId: 'img2img-1' });
    assert.equal(generateParams({ jobId: '../../x y' }, undefined, 'fallback').jobId, 'fallback');
    assert.deepEqual(generateParams({ prompt: { toString: 'x' } }, null, 'f'), { jobId: 'f' });
    assert.deepEqual(outpaintParams({ outpaint_method: 'mk2', pixels: 64, directions: ['left', 'up'], outdir: '/etc', model: 'x' }), { outpaint_method: 'mk2', pixels: 64, directions: ['left', 'up'] });
    assert.deepEqual(outpaintParams({ directions: ['left', 3] }), {});
    // The aesthetic section and the Script dropdown: their fields only.
    const aesthetic = { embedding: 'sunset', weight: 0.9, steps: 5, lr: 0.0001, slerp: false, text: '', slerp_angle: 0.1, text_negative: false };
    assert.deepEqual(generateParams({ aesthetic: { ...aesthetic, path: '/etc' } }, undefined, 'f'), { aesthetic, jobId: 'f' });
    assert.deepEqual(generateParams({ aesthetic: { weight: 1 } }, undefined, 'f'), { jobId: 'f' });
    assert.deepEqual(generateParams({ refiner_checkpoint: 'refiner.safetensors', refiner_switch_at: 0.8, sd_model: 'x' }, undefined, 'f'), { refiner_checkpoint: 'refiner.safetensors', refiner_switch_at: 0.8, jobId: 'f' });
    assert.deepEqual(
      scriptOptions({ kind: 'xyz', x: { type: 'Steps', values: '1,2', extra: 1 }, y: { type: 'CFG Scale' }, draw_legend: true, margin_size: 0, params: { outdir: '/etc' }, jobId: 'x' }),
      { kind: 'xyz', x: { type: 'Steps', values: '1,2' }, draw_legend: true, margin_size: 0 },
    );
    assert.deepEqual(scriptOptions({ kind: 'promptsFromFile', text: 'a\nb', same_seed: true, outdir: '/x' }), { kind: 'promptsFromFile', text: 'a\nb', same_seed: true });
    assert.equal(scriptOptions({ kind: 'eval' }), undefined);
  });
});
