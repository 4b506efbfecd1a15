import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { buildDeepDanbooru } from '../../../models/arch/deepDanbooru';
import { selectTags, tagText } from '../../../daemon/interrogate/tagFormat';
import { deepbooruInput } from '../../../daemon/interrogate/deepbooruInput';
import { cleanup, report, runBuilt } from '../arch/archHelpers';
import { ioF32, maxAbsDiff, visionFixture, visionIo, visionWeights, type IoTensor } from '../../fixtures/visionTiny';

const config = JSON.parse(readFileSync(visionFixture('deepdanbooru.config.json'), 'utf8')) as { config: { tags: string[] }; io: Record<string, unknown> };

describe('DeepDanbooru (vision-tiny, model-resnet_custom_v3.pt layout, widths /16)', () => {
  let io: Map<string, IoTensor>;
  let scores: Float32Array;
  before(async () => {
    io = await visionIo('deepdanbooru');
  });
  after(cleanup);

  it('scores and logits match the original (asymmetric pads, −inf max-pool pad, strides on the 3×3)', async () => {
    const built = buildDeepDanbooru(await visionWeights('deepdanbooru'));
    assert.deepEqual(built.info, { tags: 300, stem: 4 });
    const img = io.get('image_rgb_u8')!;
    const x = deepbooruInput({ data: img.data as Uint8Array, width: 512, height: 512 });
    const out = await runBuilt(built, { image: new ort.Tensor('float32', x, [1, 3, 512, 512]) });
    scores = out.scores!;
    for (const name of ['scores', 'logits']) {
      const ref = ioF32(io, name);
      const err = maxAbsDiff(out[name]!, ref);
      const tol = name === 'scores' ? 1e-4 : 1e-4 * 5.7;
      report(name, err, tol);
      assert.ok(err <= tol, `${name}: ${err}`);
    }
  });

  it("A1111's tag order at threshold 0.5, by score (rating:* dropped)", () => {
    const tags = selectTags(config.config.tags, scores, { threshold: 0.5, sortAlpha: false, filterTags: '' });
    assert.deepEqual(tags.map((t) => t.tag), config.io['a1111_tags_at_threshold_0.5_sorted_by_score']);
  });

  it('tag_multi formatting: alphabetical, filter, spaces, escapes, ranks', () => {
    const tags = ['b_(x)', 'a\\b', 'rating:safe', 'c_d', 'low'];
    const s = [0.9, 0.8, 0.99, 0.7, 0.2];
    const base = { threshold: 0.5, sortAlpha: true, useSpaces: true, escape: true, filterTags: '', returnRanks: false };
    assert.equal(tagText(tags, s, base), 'a\\\\b, b \\(x\\), c d');
    assert.equal(tagText(tags, s, { ...base, sortAlpha: false, filterTags: ' c d , nothing' }), 'b \\(x\\), a\\\\b');
    assert.equal(tagText(tags, s, { ...base, useSpaces: false, escape: false, returnRanks: true }), '(a\\b:0.800), (b_(x):0.900), (c_d:0.700)');
  });
});
