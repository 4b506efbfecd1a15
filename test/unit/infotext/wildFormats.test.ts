// One image per settings-writing generator outside the corpus, written here the way each tool's own writer code
// writes it (see wildWriters.ts), read into the expected fields, and sent to img2img with A1111's sampler/schedule
// names. Prompt-only, hidden and guessed formats: wildHidden.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readGenerationInfoBytes } from '../../../daemon/infotext/readInfo';
import { sendToImg2Img } from '../../../daemon/infotext/sendTo';
import { infotextOf } from '../../../daemon/infotext/toSpec';
import { jpegWithUserComment, webpWithUserComment } from '../../../daemon/infotext/writeInfo';
import { fields, png, sendNames } from './wildExpect';
import {
  asciiTag, exifBlock, jpegWithSegments, PyFloat, pyDumps, textChunk, tinyJpeg, tinyPng, tinyWebp, undefinedAsciiTag, unicodeUserComment, webpWithChunks,
  withChunks, xmlEscape,
} from './wildWriters';

test('SwarmUI JPEG: sui_image_params JSON in EXIF UserComment (ImageSharp: II, UNICODE UTF-16), 64-bit seed exact', async () => {
  // Image.ConvertTo: ExifProfile.SetValue(ExifTag.UserComment, metadata); the metadata is JObject.ToString() (indented, non-ASCII escaped).
  const meta = JSON.stringify({
    sui_image_params: {
      prompt: 'a cat in a hat, テスト', negativeprompt: 'blurry', model: 'OfficialStableDiffusion/sd_xl_base_1.0', seed: 1, steps: 28,
      cfgscale: 6.5, aspectratio: '1:1', width: 1024, height: 1024, sampler: 'dpmpp_2m_sde_gpu', scheduler: 'karras', swarm_version: '0.9.7.4',
    },
    sui_extra_data: { date: '2026-01-03' },
    sui_models: [{ name: 'sd_xl_base_1.0.safetensors', param: 'model', hash: '0x31e35c80fc' }],
  }, null, 2).replace('"seed": 1', '"seed": 9223372036854775807').replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const exif = exifBlock({ littleEndian: true, ifd0: [], exif: [unicodeUserComment(meta, true)], header: true });
  const info = readGenerationInfoBytes(jpegWithSegments(await tinyJpeg(), [{ marker: 0xe1, payload: exif }]), 'swarm.jpg');
  assert.deepEqual(fields(info), {
    format: 'swarmui', generator: 'SwarmUI 0.9.7.4', prompt: 'a cat in a hat, テスト', negativePrompt: 'blurry', steps: 28, sampler: 'dpmpp_2m_sde_gpu',
    scheduleType: 'karras', cfgScale: 6.5, seed: '9223372036854775807', width: 1024, height: 1024, model: 'sd_xl_base_1.0', modelHash: '0x31e35c80fc',
    denoisingStrength: null, guessed: false,
  });
  assert.equal(info.source, 'EXIF:UserComment');
  assert.deepEqual(info.problems, []);
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M SDE', scheduler: 'Karras' });
  assert.equal(sendToImg2Img(info)!.seed, '9223372036854775807');
  // Its WebP output: the same EXIF block (without the "Exif\0\0" prefix) in a RIFF EXIF chunk.
  const webpExif = exifBlock({ littleEndian: true, ifd0: [], exif: [unicodeUserComment(meta, true)] });
  const webp = readGenerationInfoBytes(webpWithChunks(await tinyWebp(), [{ type: 'EXIF', data: webpExif }]), 'swarm.webp');
  assert.deepEqual(fields(webp), fields(info));
});

// Fooocus' "fooocus" scheme record (FooocusMetadataParser.parse_string: json.dumps(dict(sorted(res.items())))).
const FOOOCUS_RECORD = pyDumps({
  adm_guidance: '(1.5, 0.8, 0.3)', base_model: 'juggernautXL_v8Rundiffusion', base_model_hash: 'aeb7e9e689', clip_skip: 2,
  full_negative_prompt: ['unrealistic'], full_prompt: ['a lighthouse at dusk, cinematic'], guidance_scale: 4, loras: [],
  metadata_scheme: 'fooocus', negative_prompt: '', performance: 'Speed', prompt: 'a lighthouse at dusk', refiner_model: 'None',
  resolution: '(1152, 896)', sampler: 'dpmpp_2m_sde_gpu', scheduler: 'karras', seed: '12345678901234567890', sharpness: 2, steps: 30,
  styles: "['Fooocus V2']", vae: 'Default (model)', version: 'Fooocus v2.5.5',
});

test('Fooocus JPEG: the JSON scheme in an IFD0 UserComment, scheme in MakerNote, 64-bit seed as a string (PIL Image.Exif)', async () => {
  // meta_parser.get_exif: exif[0x9286] = metadata, exif[0x0131] = 'Fooocus v…', exif[0x927C] = scheme; PIL writes II, tags sorted.
  const exif = exifBlock({ littleEndian: true, header: true, ifd0: [asciiTag(0x0131, 'Fooocus v2.5.5'), undefinedAsciiTag(0x9286, FOOOCUS_RECORD), undefinedAsciiTag(0x927c, 'fooocus')] });
  const info = readGenerationInfoBytes(jpegWithSegments(await tinyJpeg(), [{ marker: 0xe1, payload: exif }]), 'fooocus.jpg');
  assert.deepEqual(fields(info), {
    format: 'fooocus', generator: 'Fooocus v2.5.5', prompt: 'a lighthouse at dusk', negativePrompt: '', steps: 30, sampler: 'dpmpp_2m_sde_gpu',
    scheduleType: 'karras', cfgScale: 4, seed: '12345678901234567890', width: 1152, height: 896, model: 'juggernautXL_v8Rundiffusion',
    modelHash: 'aeb7e9e689', denoisingStrength: null, guessed: false,
  });
  assert.equal(info.raw['EXIF:MakerNote'], 'fooocus');
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M SDE', scheduler: 'Karras' });
  assert.equal(sendToImg2Img(info)!.seed, '12345678901234567890');
  // What sd/pngInfo.read gives the panel for "Copy infotext": an A1111 text written from the record's fields.
  assert.equal(infotextOf(info), 'a lighthouse at dusk\nSteps: 30, Sampler: DPM++ 2M SDE, Schedule type: Karras, CFG scale: 4, Seed: 12345678901234567890, Size: 1152x896, Model hash: aeb7e9e689, Model: juggernautXL_v8Rundiffusion');
});

test('Fooocus PNG, "a1111" scheme: A1111MetadataParser.parse_string text with fooocus_scheme, Scheduler key, raw prompts', () => {
  const line = 'Steps: 30, Sampler: DPM++ 2M SDE Karras, Seed: 9876543210123, Size: 1152x896, CFG scale: 4.0, Sharpness: 2.0, '
    + 'ADM Guidance: "(1.5, 0.8, 0.3)", Model: juggernautXL_v8Rundiffusion, Model hash: aeb7e9e689, Performance: Speed, Scheduler: karras, '
    + 'VAE: Default (model), Raw prompt: a lighthouse, Raw negative prompt: , Version: Fooocus v2.5.5';
  const text = `a lighthouse, cinematic, dramatic light\nNegative prompt: unrealistic\n${line}`;
  const info = readGenerationInfoBytes(png([['parameters', text], ['fooocus_scheme', 'a1111']]), 'fooocus.png');
  assert.deepEqual(fields(info), {
    format: 'fooocus', generator: 'Fooocus v2.5.5', prompt: 'a lighthouse', negativePrompt: '', steps: 30, sampler: 'DPM++ 2M SDE Karras',
    scheduleType: 'karras', cfgScale: 4, seed: 9876543210123, width: 1152, height: 896, model: 'juggernautXL_v8Rundiffusion', modelHash: 'aeb7e9e689',
    denoisingStrength: null, guessed: false,
  });
  assert.equal(info.raw.parameters, text, 'the text as stored stays in raw');
  assert.match(info.infotext!, /Sampler: DPM\+\+ 2M SDE, .*, Schedule type: Karras, /, 'A1111 names in the infotext send-to pastes');
  const p = sendToImg2Img(info)!;
  assert.equal(p.prompt, 'a lighthouse, cinematic, dramatic light', 'send-to pastes the prompt Fooocus encoded');
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M SDE', scheduler: 'Karras' });
});

test('RuinedFooocus PNG: its flat JSON record in "parameters"', () => {
  const record = pyDumps({
    Prompt: 'a sunflower field', Negative: 'anime', steps: 30, cfg: new PyFloat(8.5), width: 1152, height: 896, seed: 3864674281,
    sampler_name: 'dpmpp_2m_sde_gpu', scheduler: 'karras', base_model_name: 'sd_xl_base_1.0_0.9vae.safetensors', base_model_hash: 'be9edd61',
    loras: [['4852686128', '0.1 - sd_xl_offset_example-lora_1.0.safetensors']], start_step: 0, denoise: null, clip_skip: 1, software: 'RuinedFooocus',
  });
  const info = readGenerationInfoBytes(png([['parameters', record]]), 'ruined.png');
  assert.deepEqual(fields(info), {
    format: 'fooocus', generator: 'RuinedFooocus', prompt: 'a sunflower field', negativePrompt: 'anime', steps: 30, sampler: 'dpmpp_2m_sde_gpu',
    scheduleType: 'karras', cfgScale: 8.5, seed: 3864674281, width: 1152, height: 896, model: 'sd_xl_base_1.0_0.9vae', modelHash: 'be9edd61',
    denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M SDE', scheduler: 'Karras' });
});

test('Fooocus-MRE PNG: its flat JSON record in "Comment" (private_logger.log), cfg and base_model keys', () => {
  const record = pyDumps({
    prompt: 'a red fox', negative_prompt: 'blurry', styles: ['Fooocus V2', 'Default (Slightly Cinematic)'], real_prompt: ['a red fox, cinematic'],
    real_negative_prompt: ['blurry'], seed: 6178437521, width: 1152, height: 896, sampler: 'dpmpp_2m_sde_gpu', scheduler: 'karras',
    performance: 'Speed', steps: 30, switch: 20, sharpness: new PyFloat(2.0), cfg: new PyFloat(7.0), base_clip_skip: -2,
    base_model: 'sd_xl_base_1.0_0.9vae.safetensors', refiner_model: 'None', l1: 'None', w1: new PyFloat(0.5), freeu: false, img2img: false,
    revision: false, positive_prompt_strength: new PyFloat(1.0), negative_prompt_strength: new PyFloat(1.0), control_lora_canny: false,
    control_lora_depth: false, prompt_expansion: true, software: 'Fooocus 2.0.93 MRE',
  });
  const info = readGenerationInfoBytes(png([['Comment', record]]), 'mre.png');
  assert.deepEqual(fields(info), {
    format: 'fooocus', generator: 'Fooocus 2.0.93 MRE', prompt: 'a red fox', negativePrompt: 'blurry', steps: 30, sampler: 'dpmpp_2m_sde_gpu',
    scheduleType: 'karras', cfgScale: 7, seed: 6178437521, width: 1152, height: 896, model: 'sd_xl_base_1.0_0.9vae', modelHash: null,
    denoisingStrength: null, guessed: false,
  });
  assert.equal(info.source, 'Comment');
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M SDE', scheduler: 'Karras' });
});

test('Civitai JPEG: A1111-style UserComment with unquoted Civitai resources / metadata JSON', async () => {
  const resources = '[{"type":"checkpoint","modelVersionId":290640,"modelName":"Pony Diffusion V6 XL","modelVersionName":"V6 (start with this one)"},'
    + '{"type":"lora","weight":0.8,"modelVersionId":12345,"modelName":"Detail, Tweaker: XL","modelVersionName":"v1.0"}]';
  const text = 'score_9, a fox in snow\nNegative prompt: lowres\nSteps: 25, CFG scale: 7, Sampler: DPM++ 2M Karras, Seed: 1311178179, '
    + `Size: 832x1216, Clip skip: 2, Created Date: 2024-06-14T1553:41.6812574Z, Civitai resources: ${resources}, Civitai metadata: {"remixOfId":987}`;
  const info = readGenerationInfoBytes(jpegWithUserComment(await tinyJpeg(), text), 'civitai.jpg');
  assert.deepEqual(fields(info), {
    format: 'civitai', generator: 'Civitai', prompt: 'score_9, a fox in snow', negativePrompt: 'lowres', steps: 25, sampler: 'DPM++ 2M Karras',
    scheduleType: null, cfgScale: 7, seed: 1311178179, width: 832, height: 1216, model: 'Pony Diffusion V6 XL V6 (start with this one)',
    modelHash: null, denoisingStrength: null, guessed: false,
  });
  const res = info.parameters['Civitai resources'] as Array<{ modelName: string }>;
  assert.deepEqual(res.map((r) => r.modelName), ['Pony Diffusion V6 XL', 'Detail, Tweaker: XL']);
  assert.deepEqual(info.parameters['Civitai metadata'], { remixOfId: 987 });
  assert.equal(info.parameters['Clip skip'], '2');
  assert.ok(!Object.keys(info.parameters).some((k) => /modelVersionId|"/.test(k)), 'no keys cut out of the JSON');
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M', scheduler: 'Karras' });
  assert.equal(sendToImg2Img(info)!.override_settings?.CLIP_stop_at_last_layers, 2);
  // Civitai's WebP downloads carry the same UserComment in a RIFF EXIF chunk.
  const webp = readGenerationInfoBytes(webpWithUserComment(await tinyWebp(), text), 'civitai.webp');
  assert.deepEqual(fields(webp), fields(info));
  assert.equal(webp.container, 'webp');
});

test('Civitai JPEG from its ComfyUI runs: an upscale-only graph with the request in extraMetadata', async () => {
  const graph = {
    '1': { class_type: 'LoadImage', inputs: { image: 'source.png' } },
    '2': { class_type: 'ImageScaleBy', inputs: { image: ['1', 0], upscale_method: 'lanczos', scale_by: 1.5 } },
    '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'ComfyUI' } },
    extra: { airs: ['urn:air:sdxl:checkpoint:civitai:827184@1410435'] },
    extraMetadata: JSON.stringify({ prompt: 'a red fox', negativePrompt: 'blurry', cfgScale: 5, sampler: 'Euler a', clipSkip: 2, steps: 25, seed: 1311178179, width: 1024, height: 1024, baseModel: 'Illustrious', transformations: [{ type: 'upscale', upscaleWidth: 1536, upscaleHeight: 1536 }] }),
  };
  const info = readGenerationInfoBytes(jpegWithUserComment(await tinyJpeg(), JSON.stringify(graph)), 'civitai-upscale.jpg');
  assert.deepEqual(fields(info), {
    format: 'civitai', generator: 'Civitai (ComfyUI)', prompt: 'a red fox', negativePrompt: 'blurry', steps: 25, sampler: 'Euler a',
    scheduleType: null, cfgScale: 5, seed: 1311178179, width: 1024, height: 1024, model: 'Illustrious', modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(info.problems, [], 'an upscale-only graph is not a problem when extraMetadata has the settings');
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a' });
  // Its PNG downloads: the graph in "prompt", the request in its own "extraMetadata" text.
  const { extraMetadata, ...nodes } = graph;
  const p = readGenerationInfoBytes(png([['prompt', JSON.stringify(nodes)], ['extraMetadata', extraMetadata]]), 'civitai-upscale.png');
  assert.deepEqual(fields(p), fields(info));
});

test('kohya sd-scripts PNG (gen_img_diffusers.py): one text chunk per setting, size from IHDR', () => {
  const info = readGenerationInfoBytes(png([['prompt', 'a watercolor fox'], ['seed', '424242'], ['sampler', 'k_euler_a'], ['steps', '28'], ['scale', '7.5'], ['negative-prompt', 'lowres'], ['negative-scale', '1.0']], 16), 'im_0001.png');
  assert.deepEqual(fields(info), {
    format: 'kohya', generator: 'kohya sd-scripts', prompt: 'a watercolor fox', negativePrompt: 'lowres', steps: 28, sampler: 'k_euler_a',
    scheduleType: null, cfgScale: 7.5, seed: 424242, width: 16, height: 16, model: null, modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a' });
});

test('a trainer\'s sample image: sd-scripts sample prompt keys (sample_steps, sample_sampler, scale) as JSON', () => {
  // train_util's sample prompt dict (line_to_prompt_dict) as other trainers store it beside their samples.
  const record = pyDumps({ prompt: 'a watercolor fox', negative_prompt: 'lowres', sample_steps: 28, width: 1024, height: 1024, scale: new PyFloat(3.5), seed: 42, sample_sampler: 'euler_a', enum: 0 });
  const info = readGenerationInfoBytes(png([['parameters', record]]), 'sample_e000010_00.png');
  assert.deepEqual(fields(info), {
    format: 'kohya', generator: 'kohya sd-scripts', prompt: 'a watercolor fox', negativePrompt: 'lowres', steps: 28, sampler: 'euler_a', scheduleType: null,
    cfgScale: 3.5, seed: 42, width: 1024, height: 1024, model: null, modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a' });
});

test('Hugging Face Space PNG: the diffusers JSON record in "parameters"', () => {
  const record = pyDumps({
    prompt: '1girl, solo', negative_prompt: 'lowres', resolution: '832 x 1216', guidance_scale: 5, num_inference_steps: 28, style_preset: '(None)',
    seed: 4012345, sampler: 'Euler a', sdxl_style: 'Anime', Model: 'Animagine XL 4.0', 'Model hash': '6327eca98b',
  });
  const info = readGenerationInfoBytes(png([['parameters', record]]), 'space.png');
  assert.deepEqual(fields(info), {
    format: 'diffusers', generator: 'diffusers', prompt: '1girl, solo', negativePrompt: 'lowres', steps: 28, sampler: 'Euler a', scheduleType: null,
    cfgScale: 5, seed: 4012345, width: 832, height: 1216, model: 'Animagine XL 4.0', modelHash: '6327eca98b', denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a' });
});

test('diffusers pipeline PNG: plain key/value chunks with a scheduler class', () => {
  const info = readGenerationInfoBytes(png([['prompt', 'a castle'], ['negative_prompt', ''], ['num_inference_steps', '30'], ['guidance_scale', '7.0'], ['seed', '7'], ['scheduler', 'DPMSolverMultistepScheduler'], ['model_id', 'runwayml/stable-diffusion-v1-5']]), 'pipe.png');
  assert.deepEqual(fields(info), {
    format: 'diffusers', generator: 'diffusers', prompt: 'a castle', negativePrompt: '', steps: 30, sampler: 'DPMSolverMultistepScheduler', scheduleType: null,
    cfgScale: 7, seed: 7, width: 8, height: 8, model: 'stable-diffusion-v1-5', modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M' });
});

test('InvokeAI 2.x PNG: Dream line and sd-metadata of an img2img with a bracketed negative prompt', () => {
  const meta = pyDumps({
    model: 'stable diffusion', model_id: 'stable-diffusion-1.5', model_hash: 'cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516',
    app_id: 'invoke-ai/InvokeAI', app_version: '2.3.5',
    image: {
      prompt: [{ prompt: 'a castle on a hill [blurry, fog]', weight: 1.0 }], steps: 30, cfg_scale: 7.5, threshold: 0, perlin: 0, height: 512, width: 768,
      seed: 42, seamless: false, hires_fix: false, type: 'img2img', postprocessing: null, sampler: 'k_euler_a', variations: [],
      strength_steps: 0.6, orig_hash: 'ab12', inpaint_replace: 0,
    },
  });
  const dream = '"a castle on a hill [blurry, fog]" -s 30 -S 42 -W 768 -H 512 -C 7.5 -A k_euler_a -I outputs/init.png -f 0.6';
  const info = readGenerationInfoBytes(png([['Dream', dream], ['sd-metadata', meta]]), 'invoke2.png');
  assert.deepEqual(fields(info), {
    format: 'invokeai-legacy', generator: 'invoke-ai/InvokeAI 2.3.5', prompt: 'a castle on a hill', negativePrompt: 'blurry, fog', steps: 30,
    sampler: 'k_euler_a', scheduleType: null, cfgScale: 7.5, seed: 42, width: 768, height: 512, model: 'stable-diffusion-1.5',
    modelHash: 'cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516', denoisingStrength: 0.6, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a' });
  assert.equal(sendToImg2Img(info)!.denoising_strength, 0.6);
});

test('Draw Things PNG: XMP (iTXt) with the JSON settings in exif:UserComment and CreatorTool "Draw Things"', () => {
  const config = JSON.stringify({ c: 'a cozy cabin & snow', uc: 'blurry', model: 'sd_xl_base_1.0_f16.ckpt', sampler: 'DPM++ 2M Karras', scale: 4.5, seed: 2441935286, seed_mode: 'Scale Alike', shift: 1, size: '1024x768', steps: 30, strength: 1, v2: { loras: [] } });
  const description = 'a cozy cabin & snow\n-blurry\nSteps: 30, Sampler: DPM++ 2M Karras, Guidance Scale: 4.5, Seed: 2441935286, Size: 1024x768, Model: sd_xl_base_1.0_f16.ckpt, Strength: 1.0, Seed Mode: Scale Alike, Shift: 1.0';
  const xmp = `<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">
   <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
      <rdf:Description rdf:about=""
            xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:xmp="http://ns.adobe.com/xap/1.0/"
            xmlns:exif="http://ns.adobe.com/exif/1.0/">
         <dc:description>
            <rdf:Alt>
               <rdf:li xml:lang="x-default">${xmlEscape(description).replace(/\n/g, '&#xA;')}</rdf:li>
            </rdf:Alt>
         </dc:description>
         <xmp:CreatorTool>Draw Things</xmp:CreatorTool>
         <exif:UserComment>
            <rdf:Alt>
               <rdf:li xml:lang="x-default">${xmlEscape(config)}</rdf:li>
            </rdf:Alt>
         </exif:UserComment>
      </rdf:Description>
   </rdf:RDF>
</x:xmpmeta>
`;
  const info = readGenerationInfoBytes(withChunks(tinyPng(8, 8), [textChunk('XML:com.adobe.xmp', xmp, true)]), 'drawthings.png');
  assert.deepEqual(fields(info), {
    format: 'drawthings', generator: 'Draw Things', prompt: 'a cozy cabin & snow', negativePrompt: 'blurry', steps: 30, sampler: 'DPM++ 2M Karras',
    scheduleType: null, cfgScale: 4.5, seed: 2441935286, width: 1024, height: 768, model: 'sd_xl_base_1.0_f16', modelHash: null, denoisingStrength: 1, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'DPM++ 2M', scheduler: 'Karras' });
});

test('TensorArt PNG: generation_data JSON (NUL-padded, seed "-1") beside the ComfyUI graph it ran', () => {
  const data = `${JSON.stringify({ prompt: 'a koi pond', negativePrompt: 'lowres', width: 1024, height: 1024, seed: '-1', steps: 25, cfgScale: 7, clipSkip: 2, baseModel: { modelFileName: 'WAI-Nsfw-Illustrious-16', hash: 'A5F58EB1C33616C4' } })}\0\0\0`;
  const graph = JSON.stringify({
    '3': { class_type: 'KSampler', inputs: { seed: 808080, steps: 25, cfg: 7, sampler_name: 'euler_ancestral', scheduler: 'karras', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'WAI-Nsfw-Illustrious-16.safetensors' } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 1024, height: 1024, batch_size: 1 } },
    '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a koi pond', clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: 'lowres', clip: ['4', 1] } },
    '9': { class_type: 'SaveImage', inputs: { images: ['8', 0] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  });
  const info = readGenerationInfoBytes(png([['generation_data', data], ['prompt', graph]]), 'tensorart.png');
  assert.deepEqual(fields(info), {
    format: 'tensorart', generator: 'TensorArt', prompt: 'a koi pond', negativePrompt: 'lowres', steps: 25, sampler: 'euler_ancestral',
    scheduleType: 'karras', cfgScale: 7, seed: 808080, width: 1024, height: 1024, model: 'WAI-Nsfw-Illustrious-16', modelHash: 'A5F58EB1C33616C4',
    denoisingStrength: 1, guessed: false,
  });
  assert.deepEqual(sendNames(info), { sampler_name: 'Euler a', scheduler: 'Karras' });
});

test('ComfyUI Image Saver PNG: A1111-style text spelling "CFG Scale", sampler_scheduler names, hashes as JSON', () => {
  // giriss/comfy-image-saver ImageSaveWithMetadata: f"Sampler: {sampler_name}_{scheduler}, CFG Scale: {cfg}, ...".
  const old = 'a lighthouse\nNegative prompt: blurry\nSteps: 20, Sampler: dpmpp_2m_karras, CFG Scale: 8.0, Seed: 123, Size: 512x768, Model hash: 217daae812, Model: janku_v5, Version: ComfyUI';
  const a = readGenerationInfoBytes(png([['parameters', old], ['prompt', '{}']]), 'saver-old.png');
  assert.deepEqual(fields(a), {
    format: 'comfyui', generator: 'ComfyUI (A1111-style text)', prompt: 'a lighthouse', negativePrompt: 'blurry', steps: 20, sampler: 'dpmpp_2m_karras',
    scheduleType: null, cfgScale: 8, seed: 123, width: 512, height: 768, model: 'janku_v5', modelHash: '217daae812', denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(a), { sampler_name: 'DPM++ 2M', scheduler: 'Karras' });
  assert.equal(sendToImg2Img(a)!.cfg_scale, 8);
  // alexopus/ComfyUI-Image-Saver without Civitai downloads: "Hashes: {json.dumps(hashes, separators=(',', ':'))}".
  const now = 'a lighthouse\nNegative prompt: blurry\nSteps: 20, Sampler: euler_simple, CFG scale: 8.0, Seed: 0, Size: 512x512, Clip skip: 2, '
    + 'Model hash: 217daae812, Model: janku_v5, Hashes: {"janku_v5":"217daae812","lora:detail":"ff735ff83f98","embed:easyneg":"c74b4e810b"}, Version: ComfyUI';
  const b = readGenerationInfoBytes(png([['parameters', now]]), 'saver.png');
  assert.equal(b.format, 'comfyui');
  assert.deepEqual(b.parameters.Hashes, { janku_v5: '217daae812', 'lora:detail': 'ff735ff83f98', 'embed:easyneg': 'c74b4e810b' });
  assert.equal(b.parameters['Clip skip'], '2');
  assert.deepEqual(sendNames(b), { sampler_name: 'Euler', scheduler: 'Simple' });
});

test('Easy Diffusion: PNG chunks with its display names ("embed,txt") and a JPEG UserComment JSON ("embed,json")', async () => {
  const a = readGenerationInfoBytes(png([['Prompt', 'a paper boat'], ['Negative Prompt', ''], ['Seed', '3063'], ['Stable Diffusion model', 'sd-v1-5.safetensors'],
    ['Clip Skip', 'False'], ['VAE model', 'None'], ['Sampler', 'dpmpp_2m'], ['Width', '512'], ['Height', '768'], ['Steps', '25'], ['Guidance Scale', '7.5'], ['LoRA model', 'None']]), 'ed.png');
  assert.deepEqual(fields(a), {
    format: 'easydiffusion', generator: 'Easy Diffusion', prompt: 'a paper boat', negativePrompt: '', steps: 25, sampler: 'dpmpp_2m', scheduleType: null,
    cfgScale: 7.5, seed: 3063, width: 512, height: 768, model: 'sd-v1-5', modelHash: null, denoisingStrength: null, guessed: false,
  });
  assert.deepEqual(sendNames(a), { sampler_name: 'DPM++ 2M' });
  // sdkit save_dicts "embed" for JPEG: UserComment.dump(json.dumps(metadata), encoding="unicode").
  const record = pyDumps({ prompt: 'a paper boat', negative_prompt: 'ugly', seed: 3064, use_stable_diffusion_model: 'sd-v1-5', clip_skip: false, use_vae_model: null, sampler_name: 'euler_a', width: 512, height: 512, num_inference_steps: 20, guidance_scale: new PyFloat(7.5), prompt_strength: 0.6 });
  const b = readGenerationInfoBytes(jpegWithUserComment(await tinyJpeg(), record), 'ed.jpg');
  assert.deepEqual(fields(b), {
    format: 'easydiffusion', generator: 'Easy Diffusion', prompt: 'a paper boat', negativePrompt: 'ugly', steps: 20, sampler: 'euler_a', scheduleType: null,
    cfgScale: 7.5, seed: 3064, width: 512, height: 512, model: 'sd-v1-5', modelHash: null, denoisingStrength: 0.6, guessed: false,
  });
  assert.deepEqual(sendNames(b), { sampler_name: 'Euler a' });
});
