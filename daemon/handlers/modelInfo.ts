// `models/info`: what a model is before it is loaded (a checkpoint's tensor names and shapes, or an ONNX folder's
// files), so panels and .sdprompt runs can offer SDXL's defaults (1024² and the refiner) for the model in use.
import { statSync } from 'node:fs';
import { detectCheckpoint } from '../../models/detect';
import { readDiffusersOnnxLayout } from '../../models/diffusersOnnx';
import { openWeights, stateDict } from '../../models/formats/open';
import type { ModelsInfoResult } from '../protocol';
import type { DaemonServer } from '../server';
import { listCheckpointTitles } from '../modelFiles/checkpointName';

async function familyOf(model: string): Promise<Pick<ModelsInfoResult, 'family' | 'problem'>> {
  if (!model) return { family: 'unknown', problem: 'no model given and no default model configured' };
  try {
    if (statSync(model).isFile()) return { family: detectCheckpoint(stateDict(await openWeights(model)), { file: model }).family };
    const layout = readDiffusersOnnxLayout(model);
    return { family: layout.kind === 'sd' ? (layout.padToken !== undefined && layout.padToken !== '<|endoftext|>' ? 'sd2' : 'sd1') : layout.kind };
  } catch (e) {
    return { family: 'unknown', problem: (e as Error).message };
  }
}

export function registerModelInfoHandler(server: DaemonServer): void {
  server.onRequest('models/info', async (params, ctx) => {
    const model = typeof params.model === 'string' && params.model ? params.model : ctx.settings.model;
    const f = await familyOf(model);
    return { model, ...f, defaultSize: f.family === 'sdxl' || f.family === 'sdxl-refiner' ? 1024 : 512, checkpoints: listCheckpointTitles(ctx.settings.modelsRoot) };
  });
}
