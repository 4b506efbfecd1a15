// `npm run bench -- int8-fixtures`: how far the int8 UNet is from fp32 on every sd-tiny UNet fixture (relative L2
// of eps, and the max abs error against the PyTorch reference of both), built and written as the product does it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeExternalModel } from '../../models/arch/externalModel';
import { buildUnet, type UnetHeads } from '../../models/arch/unet';
import { openWeights, stateDict } from '../../models/formats/open';
import { readTensor } from '../../models/formats/tensorRecord';
import { writeUnetVariant } from '../../models/unetVariant';
import { sharedPath } from '../sharedPath';
import type { Bench } from './registry';

const FIXTURES: Array<[string, UnetHeads | undefined]> = [['unet-sd1', undefined], ['unet-sd2', { headChannels: 8 }], ['unet-sd1-inpaint', undefined]];

export const int8FixturesBench: Bench = {
  summary: 'int8 UNet vs fp32 on every sd-tiny UNet fixture: relative L2 of eps',
  default: false,
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'sd-int8-'));
    try {
      for (const [name, heads] of FIXTURES) {
        const file = (f: string) => sharedPath('models-fixtures', 'sd-tiny', f);
        const tensors = stateDict(await openWeights(file(`${name}.safetensors`)));
        const io = stateDict(await openWeights(file(`${name}.io.safetensors`)));
        const t = async (k: string) => new ort.Tensor('float32', (await readTensor(io.get(k)!)) as Float32Array, io.get(k)!.shape);
        const feeds = { sample: await t('x'), timestep: await t('timesteps'), encoder_hidden_states: await t('context') };
        const ref = (await readTensor(io.get('eps')!)) as Float32Array;
        const plain = buildUnet(tensors, { heads });
        const w = await writeExternalModel(plain.g, plain.params.plan, join(dir, name));
        const int8 = await writeUnetVariant(buildUnet(tensors, { heads, int8: true }), w.modelPath, 'int8');
        const run = async (m: string) => {
          const s = await ort.InferenceSession.create(m, { executionProviders: ['cpu'] });
          try {
            return (await s.run(feeds)).out_sample!.data as Float32Array;
          } finally {
            await s.release();
          }
        };
        const a = await run(w.modelPath);
        const q = await run(int8);
        let num = 0, den = 0, ea = 0, eq = 0;
        for (let i = 0; i < a.length; i++) {
          num += (q[i]! - a[i]!) ** 2;
          den += a[i]! ** 2;
          ea = Math.max(ea, Math.abs(a[i]! - ref[i]!));
          eq = Math.max(eq, Math.abs(q[i]! - ref[i]!));
        }
        console.log(`${name.padEnd(17)} rel. L2 of eps int8 vs fp32: ${Math.sqrt(num / den).toExponential(2)}   max |Δ| vs PyTorch: fp32 ${ea.toExponential(1)}, int8 ${eq.toExponential(1)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
