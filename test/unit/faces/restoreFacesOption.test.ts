// A1111's "Restore faces" on img2img: the option resolves to the configured restorer, the infotext carries
// "Face restoration: <model>" where A1111 puts it (after Seed), and a pasted infotext turns it back on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveImg2Img } from '../../../daemon/validate';
import { img2imgInfotext } from '../../../daemon/output/infotext';
import { paramsFromInfotext } from '../../../daemon/infotext/pasteParams';
import { defaultSettings } from '../../../daemon/settings';

const facts = { seed: 7n, subseed: 1n, samplerName: 'Euler a', scheduleLabel: 'Automatic', isImg2Img: true, samplerUsesEnsd: false };

describe('img2img restore_faces', () => {
  const settings = { ...defaultSettings({}), modelsRoot: '/nowhere' };

  it('is off by default and resolves the restorer and CodeFormer weight when on', () => {
    assert.equal(resolveImg2Img({}, settings).restoreFaces, undefined);
    const cf = resolveImg2Img({ restore_faces: true, override_settings: { face_restoration_model: 'CodeFormer' } }, settings).restoreFaces;
    assert.deepEqual(cf, { model: 'codeformer', codeformerWeight: 0.5 });
    const gfp = resolveImg2Img({ restore_faces: true, override_settings: { face_restoration_model: 'GFPGAN', code_former_weight: 0.2 } }, settings).restoreFaces;
    assert.deepEqual(gfp, { model: 'gfpgan', codeformerWeight: 0.2 });
    const byDefault = resolveImg2Img({ restore_faces: true }, { ...settings, defaultFaceRestorer: 'codeformer' }).restoreFaces;
    assert.equal(byDefault?.model, 'codeformer');
    assert.throws(() => resolveImg2Img({ restore_faces: true, override_settings: { face_restoration_model: 'RestoreFormer' as 'GFPGAN' } }, settings), /face_restoration_model/);
    assert.throws(() => resolveImg2Img({ restore_faces: 'yes' as unknown as boolean }, settings), /restore_faces/);
  });

  it('writes "Face restoration" after Seed, and a pasted infotext restores the option', () => {
    const p = resolveImg2Img({ prompt: 'a face', restore_faces: true, override_settings: { face_restoration_model: 'CodeFormer' } }, settings);
    const text = img2imgInfotext(p, facts);
    assert.match(text, /Seed: 7, Face restoration: CodeFormer, Size: 512x512/);
    assert.doesNotMatch(img2imgInfotext(resolveImg2Img({ prompt: 'a face' }, settings), facts), /Face restoration/);
    const back = paramsFromInfotext(text).params;
    assert.equal(back.restore_faces, true);
    assert.equal(back.override_settings?.face_restoration_model, 'CodeFormer');
  });
});
