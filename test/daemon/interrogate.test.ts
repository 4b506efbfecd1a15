// Interrogate and aesthetic embeddings end to end through the built daemon and CLI, on a tiny A1111 models root
// (test/fixtures/interrogateRoot.ts): Interrogate CLIP (BLIP caption + the user's term lists), DeepBooru on the
// vision-tiny fixture (A1111's tag order), WD14, batch .txt captions that never replace a file unless asked, the
// aesthetic embedding file, and img2img with it (infotext keys, weight 0 = no change).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { openWeights } from '../../models/formats/open';
import { readTensor } from '../../models/formats/tensorRecord';
import { writeTinySdModel } from '../../models/testModel/tinySd';
import { readPngTextChunks } from '../../daemon/infotext/pngChunks';
import { writeInterrogateRoot } from '../fixtures/interrogateRoot';
import { visionFixture } from '../fixtures/visionTiny';
import { runCli, startDaemon, tempDir, type TestDaemon } from './harness';

const work = tempDir('sd-studio-interrogate-');
const root = join(work, 'models');
const sd = join(work, 'sd');
const inDir = join(work, 'in');
const env = { SD_STUDIO_CACHE_DIR: join(work, 'cache'), SD_STUDIO_MODELS_ROOT: root, HF_HOME: join(work, 'hf'), HOME: work };
let daemon: TestDaemon;

const deepbooruConfig = JSON.parse(readFileSync(visionFixture('deepdanbooru.config.json'), 'utf8')) as { io: Record<string, string[]> };

before(async () => {
  await writeTinySdModel(sd, { hiddenSize: 64 });
  const vocab = Object.keys(JSON.parse(readFileSync(join(sd, 'tokenizer', 'vocab.json'), 'utf8')) as object).length;
  await writeInterrogateRoot(root, join(sd, 'tokenizer'), vocab, 64);
  mkdirSync(inDir, { recursive: true });
  const raw = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 253;
  await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } }).png().toFile(join(inDir, 'a.png'));
  await sharp(raw.reverse(), { raw: { width: 30, height: 40, channels: 3 } }).png().toFile(join(inDir, 'b.png'));
  Object.assign(process.env, env);
  daemon = await startDaemon({ modelsRoot: root, model: sd, previewEvery: 0 });
});
after(async () => {
  await daemon?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('interrogate (daemon)', () => {
  it('Interrogate CLIP: BLIP caption, then every term list (file stem .topN = N matches), as A1111 joins them', async () => {
    const r = await daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')], model: 'clip', settings: { clipMinLength: 6, clipMaxLength: 10 } });
    const img = r.images[0]!;
    assert.equal(img.error, undefined);
    const d = img.details!;
    assert.deepEqual(d.categories!.map((c) => [c.name, c.matches.length]).sort(), [['flavors.top2', 2], ['mediums', 1]]);
    const terms = d.categories!.flatMap((c) => c.matches.map((m) => m.text));
    assert.equal(img.caption, [d.caption, ...terms].join(', '));
    for (const c of d.categories!) for (const m of c.matches) assert.ok(m.score > 0 && m.score <= 1);
    assert.ok(r.notices?.some((n) => n.includes(join(root, 'interrogate'))), JSON.stringify(r.notices));
    // return ranks and skipped categories
    const ranked = await daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')], settings: { clipMinLength: 6, clipMaxLength: 10, returnRanks: true, clipSkipCategories: ['mediums'] } });
    const rc = ranked.images[0]!;
    assert.deepEqual(rc.details!.categories!.map((c) => c.name), ['flavors.top2']);
    assert.equal(rc.details!.caption, d.caption, 'the same caption for the same image');
    assert.match(rc.caption!, /, \([^():]+:\d\.\d{3}\), \([^():]+:\d\.\d{3}\)$/);
  });

  it("DeepBooru on A1111's model-resnet_custom_v3.pt: the fixture's tags at 0.5, rating:* dropped, A1111's formatting", async () => {
    const r = await daemon.request('sd/interrogate', { images: [visionFixture('face-512.png')], model: 'deepdanbooru', settings: { deepbooruSortAlpha: false } });
    const expected = deepbooruConfig.io['a1111_tags_at_threshold_0.5_sorted_by_score']!;
    assert.equal(r.images[0]!.caption, expected.map((t) => t.replace(/_/g, ' ')).join(', '));
    const alpha = await daemon.request('sd/interrogate', { images: [visionFixture('face-512.png')], model: 'deepbooru', settings: { deepbooruUseSpaces: false, deepbooruFilterTags: 'tag_218, tag 247' } });
    assert.equal(alpha.images[0]!.caption, [...expected].filter((t) => t !== 'tag_218' && t !== 'tag_247').sort().join(', '));
  });

  it('WD14 tagger: tags by score, ratings never listed, brackets escaped', async () => {
    const r = await daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')], model: 'wd14', settings: { wd14Threshold: 0.3 } });
    const tags = r.images[0]!.details!.tags!;
    assert.ok(tags.length > 0 && tags.every((t) => !['general', 'sensitive', 'questionable', 'explicit'].includes(t.tag)));
    for (let i = 1; i < tags.length; i++) assert.ok(tags[i - 1]!.score >= tags[i]!.score);
    assert.equal(r.images[0]!.caption, tags.map((t) => t.tag.replace(/_/g, ' ').replace(/([\\()])/g, '\\$1')).join(', '));
  });

  it('batch over a folder writes <stem>.txt beside each image and keeps existing ones unless asked', async () => {
    const first = runCli(['interrogate', inDir, '--method', 'deepbooru', '--write'], env);
    assert.equal(first.code, 0, first.stderr);
    const txt = readFileSync(join(inDir, 'a.txt'), 'utf8');
    assert.ok(existsSync(join(inDir, 'b.txt')));
    assert.ok(first.stdout.includes(`${join(inDir, 'a.png')}\t${txt}`), first.stdout);
    writeFileSync(join(inDir, 'b.txt'), 'my own caption');
    const again = await daemon.request('sd/interrogate', { input_dir: inDir, model: 'deepbooru', write_captions: true });
    assert.deepEqual(again.images.map((i) => i.skipped?.replace(/ \(.*/, '')), [`${join(inDir, 'a.txt')} exists`, `${join(inDir, 'b.txt')} exists`]);
    assert.equal(readFileSync(join(inDir, 'b.txt'), 'utf8'), 'my own caption');
    const out = join(work, 'captions');
    const forced = await daemon.request('sd/interrogate', { input_dir: inDir, model: 'deepbooru', output_dir: out, overwrite: true });
    assert.equal(forced.failed, 0);
    assert.equal(readFileSync(join(out, 'b.txt'), 'utf8'), forced.images[1]!.caption);
    await daemon.request('sd/interrogate', { input_dir: inDir, model: 'deepbooru', write_captions: true, overwrite: true });
    assert.notEqual(readFileSync(join(inDir, 'b.txt'), 'utf8'), 'my own caption');
  });

  it('clear errors: unknown method, missing model files', async () => {
    await assert.rejects(daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')], model: 'gpt' as never }), /model: unknown interrogation method "gpt"/);
    await daemon.request('sd/settings.update', { settings: { modelsRoot: inDir } });
    try {
      await assert.rejects(daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')] }), /BLIP caption model .*not found: .*BLIP/);
      await assert.rejects(daemon.request('sd/interrogate', { images: [join(inDir, 'a.png')], model: 'wd14' }), /WD14 tagger .*not found/);
    } finally {
      await daemon.request('sd/settings.update', { settings: { modelsRoot: root } });
    }
  });
});

describe('aesthetic embeddings (daemon and CLI)', () => {
  it('create NAME FOLDER writes aesthetic_embeddings/NAME.pt, a [1, E] torch.save tensor; never over an existing one', async () => {
    const r = runCli(['aesthetic', 'create', 'tiny', inDir], env);
    assert.equal(r.code, 0, r.stderr);
    const path = join(root, 'aesthetic_embeddings', 'tiny.pt');
    assert.ok(r.stdout.startsWith(path), r.stdout);
    const w = await openWeights(path);
    assert.equal(w.format, 'torch-zip');
    assert.deepEqual(w.tensors.map((t) => [t.dtype, t.shape]), [['F32', [1, 32]]]);
    const v = (await readTensor(w.tensors[0]!)) as Float32Array;
    assert.ok(v.every(Number.isFinite) && v.some((x) => x !== 0));
    const twice = runCli(['aesthetic', 'create', 'tiny', inDir], env);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /tiny\.pt already exists/);
    const list = await daemon.request('sd/aesthetic.list', {});
    assert.deepEqual(list.embeddings, [{ name: 'tiny', path }]);
  });

  it('txt2img with the embedding: the infotext carries the extension\'s keys and reads back; weight 0 changes nothing', async () => {
    const base = { prompt: 'a red house', negative_prompt: 'blurry', steps: 3, width: 64, height: 64, seed: 7, sampler_name: 'Euler', send_images: true, save_images: false, model: sd };
    const plain = await daemon.request('sd/img2img', base);
    const tuned = await daemon.request('sd/img2img', { ...base, aesthetic: { embedding: 'tiny', steps: 2, lr: 0.01, weight: 0.9 } });
    const info = tuned.images[0]!.infotext;
    assert.match(info, /Aesthetic LR: 0\.01, Aesthetic weight: 0\.9, Aesthetic steps: 2, Aesthetic embedding: tiny, Aesthetic slerp: False, Aesthetic text: , Aesthetic text negative: False, Aesthetic slerp angle: 0\.1/);
    const pixels = async (b64: string): Promise<Buffer> => sharp(Buffer.from(b64, 'base64')).raw().toBuffer();
    assert.notDeepEqual(await pixels(tuned.images[0]!.png!), await pixels(plain.images[0]!.png!), 'the tuned conditioning changes the image');
    const parsed = await daemon.request('sd/infotext.parse', { text: info });
    // A1111's parser drops the empty "Aesthetic text: " (v[0] raises on ''), so the text keeps its default.
    assert.deepEqual(parsed.params.aesthetic, { embedding: 'tiny', lr: 0.01, weight: 0.9, steps: 2, slerp: false, text_negative: false, slerp_angle: 0.1 });
    const off = await daemon.request('sd/img2img', { ...base, aesthetic: { embedding: 'tiny', steps: 2, lr: 0.01, weight: 0 } });
    assert.deepEqual(await pixels(off.images[0]!.png!), await pixels(plain.images[0]!.png!), 'weight 0 leaves the conditioning alone');
    const png = Buffer.from(tuned.images[0]!.png!, 'base64');
    assert.ok(readPngTextChunks(png).some((c) => c.keyword === 'parameters' && c.text.includes('Aesthetic embedding: tiny')));
  });

  it('clear errors: an unknown embedding, settings without an embedding', async () => {
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', steps: 1, width: 64, height: 64, model: sd, aesthetic: { embedding: 'nope' } }), /aesthetic\.embedding: aesthetic embedding "nope" .*not found/);
    await assert.rejects(daemon.request('sd/img2img', { prompt: 'x', steps: 1, width: 64, height: 64, model: sd, aesthetic: { weight: 0.5 } as never }), /aesthetic\.embedding: aesthetic settings were given without an embedding/);
  });
});
