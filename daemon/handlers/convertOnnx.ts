import { ArchError } from '../../models/arch/params';
import { ConfigError } from '../../models/arch/archConfig';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { UnsupportedCheckpointError } from '../../models/detect';
import { WeightsError } from '../../models/formats/tensorRecord';
import { invalidParam, notFound, RpcError } from '../errors';
import { ErrorCodes } from '../protocol';
import type { DaemonServer } from '../server';

const STAGES = ['reading checkpoint', 'hashing checkpoint', 'writing text_encoder', 'writing unet', 'writing vae_encoder', 'writing vae_decoder', 'testing for v-prediction'];

/** `models/convertOnnx`: checkpoint → diffusers ONNX folder, as a job; progress is the build stage. */
export function registerConvertOnnxHandlers(server: DaemonServer): void {
  server.onJobRequest('models/convertOnnx', 'convertOnnx', async (params, { job }) => {
    if (typeof params.checkpoint !== 'string' || !params.checkpoint) throw invalidParam('checkpoint', 'expected a .safetensors or .ckpt path');
    if (typeof params.out !== 'string' || !params.out) throw invalidParam('out', 'expected an output folder');
    if (params.prediction !== undefined && params.prediction !== 'epsilon' && params.prediction !== 'v_prediction') throw invalidParam('prediction', 'expected epsilon or v_prediction');
    try {
      const r = await checkpointToOnnx({
        checkpoint: params.checkpoint, out: params.out, config: params.config, vae: params.vae, fp16: params.fp16,
        tokenizerDir: params.tokenizer, prediction: params.prediction, signal: job.signal,
        onStage: (s) => job.progress(Math.max(0, STAGES.indexOf(s)), STAGES.length, 0, 1),
      });
      const d = r.detection;
      return {
        jobId: job.id, dir: r.dir, summary: d.summary.replace('prediction to be tested', r.prediction), family: d.family, variant: d.variant,
        precision: d.precision, prediction: r.prediction, predictionSource: d.predictionSource, sha256: r.sha256,
        tokenizer: r.tokenizer, parts: r.parts, seconds: r.seconds,
      };
    } catch (e) {
      if (e instanceof WeightsError && e.problem === 'file not found') throw notFound(e.file, 'checkpoint');
      if (e instanceof WeightsError || e instanceof UnsupportedCheckpointError || e instanceof ArchError || e instanceof ConfigError) {
        throw new RpcError(ErrorCodes.ModelError, e.message, { file: params.checkpoint });
      }
      if (e instanceof Error && /output folder exists/.test(e.message)) throw invalidParam('out', e.message);
      throw e;
    }
  });
}
