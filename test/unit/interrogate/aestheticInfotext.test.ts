import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aestheticInfotext } from '../../../daemon/output/infotext';
import { buildInfotext } from '../../../daemon/infotext/a1111';
import { paramsFromInfotext } from '../../../daemon/infotext/pasteParams';
import { parseSdPrompt } from '../../../daemon/infotext/sdprompt';
import { specParams } from '../../../daemon/language/specParams';
import { PARAM_KEYS } from '../../../daemon/language/completion';
import { resolveImg2Img } from '../../../daemon/validate';
import { defaultSettings } from '../../../daemon/settings';

const a = { embedding: 'watercolor', weight: 1, steps: 5, lr: 0.00001, slerp: true, slerpAngle: 0.25, text: 'a dark, moody scene', textNegative: true };

describe("aesthetic embeddings in infotexts and .sdprompt files (the extension's keys)", () => {
  it("writes the extension's eight keys with Python's values (float(), int, True/False, the text quoted when needed)", () => {
    const text = buildInfotext('p', '', [['Steps', 20], ...aestheticInfotext(a, 'watercolor')]);
    assert.equal(text, 'p\nSteps: 20, Aesthetic LR: 1e-05, Aesthetic weight: 1.0, Aesthetic steps: 5, Aesthetic embedding: watercolor, Aesthetic slerp: True, Aesthetic text: "a dark, moody scene", Aesthetic text negative: True, Aesthetic slerp angle: 0.25');
    const back = paramsFromInfotext(text).params.aesthetic;
    assert.deepEqual(back, { embedding: 'watercolor', lr: 0.00001, weight: 1, steps: 5, slerp: true, text: 'a dark, moody scene', text_negative: true, slerp_angle: 0.25 });
    assert.deepEqual(resolveImg2Img({ aesthetic: back }, defaultSettings({})).aesthetic, a);
  });

  it('a .sdprompt spec with the keys runs with them; the language server knows them', () => {
    const { specs } = parseSdPrompt('a lighthouse\nSteps: 20, Sampler: Euler, Seed: 1, Aesthetic embedding: sunset, Aesthetic weight: 0.5, Aesthetic steps: 3\n');
    assert.deepEqual(specParams(specs[0]!, '/tmp').aesthetic, { embedding: 'sunset', weight: 0.5, steps: 3 });
    for (const k of ['Aesthetic LR', 'Aesthetic weight', 'Aesthetic steps', 'Aesthetic embedding', 'Aesthetic slerp', 'Aesthetic text', 'Aesthetic text negative', 'Aesthetic slerp angle']) {
      assert.ok(PARAM_KEYS.some(([key]) => key === k), k);
    }
  });

  it('defaults are the extension UI\'s; "None" turns it off; bad values name the field', () => {
    assert.deepEqual(resolveImg2Img({ aesthetic: { embedding: 'x' } }, defaultSettings({})).aesthetic, { embedding: 'x', weight: 0.9, steps: 5, lr: 0.0001, slerp: false, slerpAngle: 0.1, text: '', textNegative: false });
    assert.equal(resolveImg2Img({ aesthetic: { embedding: 'None', weight: 0.5 } }, defaultSettings({})).aesthetic, undefined);
    assert.throws(() => resolveImg2Img({ aesthetic: { embedding: 'x', weight: 2 } }, defaultSettings({})), /aesthetic\.weight: 2 is out of range/);
  });
});
