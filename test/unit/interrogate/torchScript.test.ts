import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openWeights } from '../../../models/formats/open';
import { netStateDict } from '../../../models/formats/netStateDict';
import { readTensor, convert } from '../../../models/formats/tensorRecord';
import { storedZip, Pickle, OP } from '../../fixtures/torchSave';
import { interrogateFixture } from '../../fixtures/interrogateTiny';

const expected = JSON.parse(readFileSync(interrogateFixture('clip-tiny.expected.json'), 'utf8')) as { tensors: Record<string, { dtype: string; shape: number[]; first: number[] }> };

describe('TorchScript archives (OpenAI ViT-L-14.pt is one), read without running their code', () => {
  it('every tensor of the traced tiny CLIP by its state-dict name, shape and value', async () => {
    const w = await openWeights(interrogateFixture('clip-tiny.pt'));
    const sd = netStateDict(w);
    assert.deepEqual([...sd.keys()].sort(), Object.keys(expected.tensors).sort());
    for (const [name, e] of Object.entries(expected.tensors)) {
      const r = sd.get(name)!;
      assert.deepEqual(r.shape, e.shape, name);
      assert.equal(r.dtype, e.dtype === 'float16' ? 'F16' : e.dtype === 'float32' ? 'F32' : r.dtype, name);
      const v = convert(await readTensor(r), r.dtype, 'F32') as Float32Array;
      e.first.forEach((x, i) => assert.equal(v[i], x, `${name}[${i}]`));
    }
  });

  it('a script archive naming any other global is still refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-'));
    try {
      const p = new Pickle().global('__torch__', 'Clip').op(OP.EMPTY_TUPLE, 0x81, OP.EMPTY_DICT, OP.MARK).str('x');
      p.global('posix', 'system').op(OP.MARK).str('echo pwned').op(OP.TUPLE, OP.REDUCE, OP.SETITEMS, 0x62);
      const file = join(dir, 'evil.pt');
      writeFileSync(file, storedZip([['evil/data.pkl', p.bytes()], ['evil/code/__torch__.py', Buffer.from('x = 1\n')], ['evil/constants.pkl', new Pickle().op(OP.EMPTY_TUPLE).bytes()], ['evil/version', Buffer.from('3\n')]]));
      await assert.rejects(openWeights(file), /global 'posix\.system' is forbidden/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
