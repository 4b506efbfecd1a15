// Every file of the shared PNG-info corpus gives what its manifest says a correct reader shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sharedPath } from '../../sharedPath';
import { isReadOk, readGenerationInfoFile } from '../../../daemon/infotext/readInfo';
import { sendToImg2Img } from '../../../daemon/infotext/sendTo';
import { resolveSampler } from '../../../daemon/sampling';

interface Expected {
  prompt: string; negative_prompt: string | null; steps: number; sampler: string | null; cfg_scale: number;
  seed: number | string; width: number | null; height: number | null; model_hash?: string | null; model?: string | null;
}
interface Entry {
  file: string; generator: string; container: string; notes: string;
  expected: Expected | null; expected_extra?: Record<string, unknown>;
  comfyui_hint?: { largest_text_encode_prompt: string; ksampler: { seed: number; steps: number; cfg: number; sampler_name: string; scheduler: string; denoise: number } };
  chunks?: Record<string, string>; chunk_info: Array<{ keyword: string; TRUNCATED?: string }>; reader_errors?: string[];
}
const manifest: Entry[] = JSON.parse(readFileSync(sharedPath('pnginfo-corpus', 'manifest.json'), 'utf8'));

for (const e of manifest) {
  test(`${e.file} (${e.generator}: ${e.notes.slice(0, 60)})`, () => {
    const info = readGenerationInfoFile(sharedPath('pnginfo-corpus', e.file));
    assert.equal(info.container, e.container);
    if (e.expected) {
      const x = e.expected;
      assert.equal(info.prompt, x.prompt);
      assert.equal(info.negativePrompt, x.negative_prompt);
      assert.equal(info.steps, x.steps);
      assert.equal(info.sampler, x.sampler);
      assert.equal(info.cfgScale, x.cfg_scale);
      assert.equal(info.seed, x.seed);
      assert.equal(info.width, x.width);
      assert.equal(info.height, x.height);
      if ('model_hash' in x) assert.equal(info.modelHash, x.model_hash);
      if ('model' in x) assert.equal(info.model, x.model);
      for (const [k, v] of Object.entries(e.expected_extra ?? {})) assert.deepEqual(info.parameters[k], v, `parameters[${k}]`);
      assert.deepEqual(info.problems, []);
      assert.ok(isReadOk(info));
    } else if (e.comfyui_hint) {
      const h = e.comfyui_hint;
      assert.equal(info.format, 'comfyui');
      assert.equal(info.prompt, h.largest_text_encode_prompt);
      assert.equal(info.seed, h.ksampler.seed);
      assert.equal(info.steps, h.ksampler.steps);
      assert.equal(info.cfgScale, h.ksampler.cfg);
      assert.equal(info.sampler, h.ksampler.sampler_name);
      assert.equal(info.scheduleType, h.ksampler.scheduler);
      assert.equal(info.denoisingStrength, h.ksampler.denoise);
      if (e.reader_errors) assert.match(info.problems.join('\n'), /truncated PNG/);
      else assert.deepEqual(info.problems, []);
    } else {
      assert.equal(info.format, 'none');
      assert.ok(info.problems.length > 0, 'a file without generation data says why');
      assert.ok(!isReadOk(info));
    }
    // Send-to names every sampler with an A1111 name img2img accepts (resolveSampler throws on any other).
    if (info.sampler !== null) {
      const p = sendToImg2Img(info)!;
      assert.ok(p.sampler_name !== undefined, `${info.sampler} (${info.format}) has an A1111 name`);
      resolveSampler(p.sampler_name, p.scheduler);
    }
    // raw keeps every metadata text the manifest lists (values over 20 KB are cut in the manifest)
    for (const c of e.chunk_info) {
      assert.ok(c.keyword in info.raw, `raw has ${c.keyword}`);
      const want = e.chunks?.[c.keyword];
      // (EXIF comments lose their trailing NUL terminators)
      if (want !== undefined && want.length < 20000 && !c.TRUNCATED) assert.ok(info.raw[c.keyword] === want.replace(/\0+$/, ''), `raw ${c.keyword} verbatim`);
    }
  });
}
