// Graph surgery on text encoders: inputs_embeds instead of ids, CLIP skip via the residual stream, disk cache.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildClipText } from '../../../models/arch/clipText';
import { writeExternalModel } from '../../../models/arch/externalModel';
import { encodeModelProto } from '../../../models/graph';
import { deriveTextEncoder, loadModelInline, surgeTextEncoder } from '../../../models/textEncoderSurgery';
import type { SdModel } from '../../../daemon/parts/sdModel';
import { testModelManager } from '../../fixtures/testServices';
import { writeTinySdModel } from '../../../models/testModel/tinySd';
import { cleanup, io, maxAbsDiff, tempDir, weights } from '../arch/archHelpers';

const work = mkdtempSync(join(tmpdir(), 'sd-surgery-'));
process.env.SD_STUDIO_CACHE_DIR = join(work, 'cache');
const models = testModelManager();
let model: SdModel;

before(async () => {
  await writeTinySdModel(join(work, 'tiny'));
  model = await models.get(join(work, 'tiny'));
});
after(async () => {
  await models.dispose();
  await cleanup();
  rmSync(work, { recursive: true, force: true });
});

const idsFor = (m: SdModel, text: string): Int32Array => {
  const ids = new Int32Array(77).fill(m.tokenizer.eosId);
  ids[0] = m.tokenizer.bosId;
  ids.set(m.tokenizer.encode(text), 1);
  return ids;
};

async function runBytes(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  try {
    const r = await s.run(feeds);
    return Object.fromEntries(Object.entries(r).map(([k, t]) => [k, t.data as Float32Array]));
  } finally {
    await s.release();
  }
}

describe('text encoder surgery', () => {
  it('inputs_embeds variant: token-embedding rows in give exactly the stock output, and it is cached by hash', async () => {
    const ids = idsFor(model, 'a photo of a cat');
    const stock = await model.textEncoder.encode(ids);
    const source = model.textEncoder.path;
    const d = await deriveTextEncoder(source, { inputsEmbeds: true, clipSkip: 1 });
    assert.ok(d.modelPath.startsWith(join(work, 'cache', 'surgery')), d.modelPath);
    assert.ok(d.tokenEmbeddingPath && existsSync(d.tokenEmbeddingPath));
    // An override that writes back the table's own row changes nothing.
    const table = await import('../../../models/formats/safetensors').then((m) => m.readSafetensors(d.tokenEmbeddingPath!));
    const rec = table.tensors[0]!;
    const row = (await import('../../../models/formats/tensorRecord').then((m) => m.readTensor(rec, 'F32'))) as Float32Array;
    const D = rec.shape[1]!;
    const cat = row.slice(ids[5]! * D, (ids[5]! + 1) * D);
    const viaEmbeds = await model.textEncoder.encodeChunk(ids, { overrides: [{ row: 5, vectors: cat }] });
    assert.ok(maxAbsDiff(viaEmbeds.hidden, stock.hidden) < 1e-6, `max diff ${maxAbsDiff(viaEmbeds.hidden, stock.hidden)}`);
    const mtime = statSync(d.modelPath).mtimeMs;
    const again = await deriveTextEncoder(source, { inputsEmbeds: true, clipSkip: 1 }, join(work, 'cache', 'surgery'));
    assert.equal(again.modelPath, d.modelPath);
    assert.equal(statSync(d.modelPath).mtimeMs, mtime);
  });

  it('CLIP skip on a real-layout CLIP (sd-tiny clip-l-text, 3 layers): equals PyTorch final_layer_norm(hidden_states[-2])', async () => {
    const ref = await io('clip-l-text.io.safetensors');
    const built = buildClipText(await weights('clip-l-text.safetensors'), { heads: 4 });
    const dir = await tempDir();
    const w = await writeExternalModel(built.g, built.params.plan, dir);
    // A stock export has only last_hidden_state (+ pooler): drop our converter's extra outputs first.
    const inline = await loadModelInline(w.modelPath);
    inline.graph!.output = inline.graph!.output!.filter((o) => o.name === 'last_hidden_state');
    const r = surgeTextEncoder(inline, { inputsEmbeds: false, clipSkip: 2 }, 'clip-l-text');
    assert.equal(r.layers, 3);
    const ids = ref.get('input_ids')!;
    const feeds = { input_ids: new ort.Tensor('int32', Int32Array.from(ids.data as BigInt64Array, Number), ids.dims) };
    const out = await runBytes(encodeModelProto(r.model), feeds);
    const err = maxAbsDiff(out.last_hidden_state!, ref.get('penultimate_final_ln')!.data as Float32Array);
    assert.ok(err <= 2e-5, `clip skip 2: max abs error ${err}`);
    // CLIP skip 3 (hidden_states[-3]) and 4 (the embeddings) exist; 5 does not.
    const r3 = surgeTextEncoder(await loadModelInline(w.modelPath).then((m) => ((m.graph!.output = m.graph!.output!.filter((o) => o.name === 'last_hidden_state')), m)), { inputsEmbeds: true, clipSkip: 4 }, 'clip-l-text');
    assert.ok(r3.tokenEmbedding && r3.tokenEmbedding.shape[1] === 32);
    const m5 = await loadModelInline(w.modelPath);
    m5.graph!.output = m5.graph!.output!.filter((o) => o.name === 'last_hidden_state');
    assert.throws(() => surgeTextEncoder(m5, { inputsEmbeds: false, clipSkip: 5 }, 'clip-l-text'), /CLIP skip 5 needs hidden_states\[-5\], but this text encoder has 3 layers \(CLIP skip up to 4 works\)/);
  });

  it('CLIP skip through the TextEncoder: changes the output where supported, clear error where not', async () => {
    const ids = idsFor(model, 'a photo of a cat');
    const stock = await model.textEncoder.encode(ids);
    const skip2 = await model.textEncoder.encodeChunk(ids, { clipSkip: 2 });
    assert.equal(skip2.hidden.length, stock.hidden.length);
    assert.ok(maxAbsDiff(skip2.hidden, stock.hidden) > 1e-3);
    // The tiny encoder has one layer: CLIP skip 3 would need hidden_states[-3].
    await assert.rejects(model.textEncoder.encodeChunk(ids, { clipSkip: 3 }), /CLIP skip 3 needs hidden_states\[-3\], but this text encoder has 1 layer/);
    const files = readdirSync(join(work, 'cache', 'surgery'));
    assert.ok(files.some((f) => f.endsWith('.skip2.onnx')), files.join(', '));
  });
});
