import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyFilenamePattern, nextSequenceNumber, sanitizeFilenamePart, type FilenameContext } from '../../../daemon/output/filenames';
import { saveImage } from '../../../daemon/output/save';
import { writeNewFileSync } from '../../../models/formats/atomicFile';

const ctx: FilenameContext = {
  seed: 1234567890n, steps: 20, cfg: 7, width: 512, height: 768, sampler: 'DPM++ 2M', scheduler: 'Karras', modelHash: 'abcdef0123', modelName: 'sd15',
  prompt: 'a cat: on a mat?', negativePrompt: '', batchSize: 1, date: new Date(2024, 6, 27, 13, 5, 9),
};

describe('A1111 file names (modules/images.py: FilenameGenerator)', () => {
  it('substitutes patterns and leaves unknown ones literal', () => {
    assert.equal(applyFilenamePattern('[seed]', ctx), '1234567890');
    assert.equal(applyFilenamePattern('[seed]-[prompt_spaces]', ctx), '1234567890-a cat_ on a mat_');
    assert.equal(applyFilenamePattern('[date]', ctx), '2024-07-27');
    assert.equal(applyFilenamePattern('[datetime<%Y%m%d_%H%M%S>]', ctx), '20240727_130509');
    assert.equal(applyFilenamePattern('[width]x[height]-[foo]', ctx), '512x768-[foo]');
    assert.equal(applyFilenamePattern('[sampler_scheduler]', ctx), 'DPM++ 2M Karras');
  });
  it('skip patterns drop the text before them', () => {
    assert.equal(applyFilenamePattern('[seed]-[batch_number]', ctx), '1234567890');
    assert.equal(applyFilenamePattern('[seed]-[batch_number]', { ...ctx, batchSize: 2, batchNumber: 0 }), '1234567890-1'); // batch_index + 1
  });
  it('the patterns A1111 users set: arguments, hashes, styles, hasprompt, clip skip, VAE file', () => {
    const c = { ...ctx, batchSize: 2, allSeeds: [5n, 6n], styles: ['Film', 'Warm'], clipSkip: 2, vaeFile: '/m/VAE/kl-f8-anime.vae.pt', pixels: Uint8Array.of(1, 2, 3) };
    assert.equal(applyFilenamePattern('[seed_first]-[seed_last]', c), '5-6');
    assert.equal(applyFilenamePattern('[seed_last]x', ctx), 'x'); // batch of one: skipped with nothing before it
    assert.equal(applyFilenamePattern('[styles]', c), 'Film, Warm');
    assert.equal(applyFilenamePattern('[styles]', ctx), 'None');
    assert.equal(applyFilenamePattern('[clip_skip]-[vae_filename]', c), '2-kl-f8-anime');
    assert.equal(applyFilenamePattern('[image_hash<8>]', c), '039058c6');
    assert.equal(applyFilenamePattern('[hasprompt<cat|nocat><dog|nodog>]', ctx), 'catnodog');
    assert.equal(applyFilenamePattern('[prompt_words]', { ...ctx, prompt: 'a_cat (on) a-mat, 1girl' }), 'a cat on a mat 1girl');
    assert.equal(applyFilenamePattern('[SEED] [Foo<x>]', ctx), '1234567890 [Foo]');
    assert.equal(applyFilenamePattern('[scheduler]', { ...ctx, scheduler: 'SGM Uniform' }), 'Sgm uniform');
  });
  it('sanitizes like sanitize_filename_part', () => {
    assert.equal(sanitizeFilenamePart('  a/b\\c:d*e?f"g<h>i|j#k\n. '), 'a_b_c_d_e_f_g_h_i_j_k_');
    assert.equal(sanitizeFilenamePart('x'.repeat(300)).length, 128);
  });
  it('numbers continue after the largest leading number', () => {
    assert.equal(nextSequenceNumber([]), 0);
    assert.equal(nextSequenceNumber(['00003-1.png', '00010-2.png', 'grid-0001.png', 'notes.txt']), 11);
    assert.equal(nextSequenceNumber(['00003-1.png', 'grid-0001.png', 'grid-0004-5.jpg', 'xyz_grid-0009.png'], 'grid'), 5);
  });
  it('saves into <root>/<tab>/<date>/NNNNN-seed.png atomically and never overwrites', () => {
    const root = mkdtempSync(join(tmpdir(), 'sd-save-'));
    const target = { root, tab: 'img2img-images' as const, directoryPattern: '[date]', filenamePattern: '' };
    const a = saveImage(target, ctx, Uint8Array.of(1));
    const b = saveImage(target, ctx, Uint8Array.of(2));
    assert.equal(a, join(root, 'img2img-images', '2024-07-27', '00000-1234567890.png'));
    assert.equal(b, join(root, 'img2img-images', '2024-07-27', '00001-1234567890.png'));
    assert.deepEqual([...readFileSync(a)], [1]);
    const existing = join(root, 'keep.png');
    writeFileSync(existing, 'user data');
    assert.equal(writeNewFileSync(existing, Uint8Array.of(9)), false);
    assert.equal(readFileSync(existing, 'utf8'), 'user data');
    assert.deepEqual(readdirSync(root).filter((n) => n.endsWith('.tmp')), []);
  });
});
