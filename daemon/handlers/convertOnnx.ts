import { readFileSync } from 'node:fs';
import { ArchError } from '../../models/arch/params';
import { ConfigError } from '../../models/arch/archConfig';
import { UnsupportedArchitectureError } from '../../models/arch/detectUpscaler';
import { checkpointToOnnx } from '../../models/checkpointToOnnx';
import { UnsupportedCheckpointError } from '../../models/detect';
import { WeightsError } from '../../models/formats/tensorRecord';
import { isNetworkFile, networkOnnx, UnknownNetworkError } from '../../models/networkOnnx';
import { invalidParam, notFound, RpcError } from '../errors';
import type { JobContext } from '../jobs';
import { ErrorCodes, type ModelsConvertOnnxParams, type NetworkConvertOnnxResult, type SdConvertOnnxResult } from '../protocol';
import type { DaemonServer } from '../server';

const STAGES = ['reading checkpoint', 'hashing checkpoint', 'writing text_encoder', 'writing text_encoder_2', 'writing unet', 'writing vae_encoder', 'writing vae_decoder', 'testing for v-prediction'];
const NETWORK_STAGES = ['reading weights', 'hashing weights', 'building graph', 'writing model'];

/**
 * `models/convertOnnx`, as a job whose progress is the build stage: an SD checkpoint → a diffusers ONNX folder,
 * or a network file (face restorer, detector, parser, upscaler) → model.onnx + model.json. The file's keys decide.
 */
export function registerConvertOnnxHandlers(server: DaemonServer): void {
  server.onJobRequest('models/convertOnnx', 'convertOnnx', async (params, { job }) => {
    if (typeof params.checkpoint !== 'string' || !params.checkpoint) throw invalidParam('checkpoint', 'expected a .safetensors, .ckpt or .pth path');
    if (typeof params.out !== 'string' || !params.out) throw invalidParam('out', 'expected an output folder');
    if (params.prediction !== undefined && params.prediction !== 'epsilon' && params.prediction !== 'v_prediction') throw invalidParam('prediction', 'expected epsilon or v_prediction');
    try {
      return (await isNetworkFile(params.checkpoint)) ? await convertNetwork(params, job) : await convertCheckpoint(params, job);
    } catch (e) {
      if (e instanceof WeightsError && e.problem === 'file not found') throw notFound(e.file, 'checkpoint');
      if (e instanceof WeightsError || e instanceof UnsupportedCheckpointError || e instanceof ArchError || e instanceof ConfigError || e instanceof UnknownNetworkError || e instanceof UnsupportedArchitectureError) {
        throw new RpcError(ErrorCodes.ModelError, e.message, { file: params.checkpoint });
      }
      if (e instanceof Error && /output folder exists/.test(e.message)) throw invalidParam('out', e.message);
      throw e;
    }
  });
}

async function convertCheckpoint(params: ModelsConvertOnnxParams, job: JobContext): Promise<SdConvertOnnxResult> {
  const r = await checkpointToOnnx({
    checkpoint: params.checkpoint, out: params.out, config: params.config, vae: params.vae, fp16: params.fp16,
    tokenizerDir: params.tokenizer, prediction: params.prediction, signal: job.signal,
    onStage: (s) => job.progress(Math.max(0, STAGES.indexOf(s)), STAGES.length, 0, 1),
  });
  const d = r.detection;
  return {
    jobId: job.id, kind: 'sd', dir: r.dir, summary: d.summary.replace('prediction to be tested', r.prediction), family: d.family, variant: d.variant,
    precision: d.precision, prediction: r.prediction, predictionSource: d.predictionSource, sha256: r.sha256,
    tokenizer: r.tokenizer, parts: r.parts, seconds: r.seconds,
  };
}

/** `--config` for a network: a JSON object with n_head at the top or under `config` (the vision-tiny form). */
function networkConfig(path: string | undefined): { heads?: number } {
  if (!path) return {};
  let json: { n_head?: unknown; config?: { n_head?: unknown } };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (e) {
    throw invalidParam('config', `${path}: not a JSON file (${(e as Error).message})`);
  }
  const heads = json.n_head ?? json.config?.n_head;
  if (heads === undefined) return {};
  if (typeof heads !== 'number' || !Number.isInteger(heads) || heads < 1) throw invalidParam('config', `${path}: n_head must be a positive integer, got ${JSON.stringify(heads)}`);
  return { heads };
}

async function convertNetwork(params: ModelsConvertOnnxParams, job: JobContext): Promise<NetworkConvertOnnxResult> {
  const r = await networkOnnx(params.checkpoint, {
    out: params.out, ...networkConfig(params.config), signal: job.signal,
    onStage: (s) => job.progress(NETWORK_STAGES.indexOf(s), NETWORK_STAGES.length, 0, 1),
  });
  const s = r.sidecar;
  return {
    jobId: job.id, kind: 'network', dir: r.dir, network: s.kind, arch: s.arch, input: s.input, outputs: s.outputs.map((o) => o.name),
    sha256: s.source.sha256, pointed: r.pointed, converted: r.converted, seconds: r.seconds,
  };
}
