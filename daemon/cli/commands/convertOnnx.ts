import { resolve } from 'node:path';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage, exitCodeFor } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const flags: Record<string, FlagSpec> = {
  out: { kind: 'string', help: 'output folder (diffusers ONNX layout, or model.onnx + model.json for a network); must not exist or be empty' },
  config: { kind: 'string', help: 'head counts the weights cannot give: *.config.json form or ldm .yaml (SD); JSON with n_head (CodeFormer)' },
  vae: { kind: 'string', help: 'a separate VAE file to use instead of the checkpoint\'s' },
  fp16: { kind: 'boolean', help: 'fp16 text encoder and UNet for GPU providers (the VAE stays fp32)' },
  tokenizer: { kind: 'string', help: 'folder with vocab.json + merges.txt to copy as tokenizer/ (default: SD_STUDIO_TOKENIZER, the Hugging Face cache, else the CLIP tokenizer SD Studio ships)' },
  prediction: { kind: 'string', help: 'epsilon or v_prediction: override the guess (A1111 rules)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};

/**
 * `sd-studio convert-onnx FILE [--config C] --out DIR`: the graphs the daemon builds, as a folder any ONNX tool
 * reads: an SD checkpoint → diffusers ONNX folder; GFPGAN / CodeFormer / RetinaFace / ParseNet / ESRGAN weights →
 * DIR/model.onnx + DIR/model.json.
 */
export const convertOnnxCommand: CliCommand = {
  name: 'convert-onnx',
  summary: 'SD 1.x/2.x/SDXL checkpoint → diffusers ONNX folder; GFPGAN/CodeFormer/RetinaFace/ParseNet/CLIP image encoder/DeepDanbooru/ESRGAN weights → model.onnx + model.json; built without Python',
  usage: () => usageText('convert-onnx', 'FILE --out DIR', flags),
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    if (positionals.length !== 1) throw new UsageError('expected one FILE (checkpoint or network weights)');
    if (typeof f.out !== 'string' || !f.out) throw new UsageError('--out DIR is required');
    const prediction = f.prediction === undefined ? undefined : String(f.prediction);
    if (prediction !== undefined && prediction !== 'epsilon' && prediction !== 'v_prediction') throw new UsageError('--prediction: expected epsilon or v_prediction');
    const opt = (v: unknown): string | undefined => (typeof v === 'string' && v ? resolve(v) : undefined);
    const params = {
      checkpoint: resolve(positionals[0]!), out: resolve(f.out), config: opt(f.config), vae: opt(f.vae), tokenizer: opt(f.tokenizer),
      fp16: f.fp16 === true, prediction: prediction as 'epsilon' | 'v_prediction' | undefined,
    };
    const client = await DaemonClient.start();
    try {
      const outcome = await runJobWithProgress(client, 'models/convertOnnx', params, 'convert-onnx');
      if (!outcome.result) {
        process.stderr.write(`sd-studio convert-onnx: ${outcome.error}\n`);
        return outcome.exitCode ?? 1;
      }
      const r = outcome.result;
      if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else if (r.kind === 'network') {
        process.stdout.write(`${r.dir}  ${r.network}: ${r.arch}; input "${r.input.name}" ${r.input.channels} ${r.input.preprocess}; outputs ${r.outputs.join(', ')}; ${r.pointed} weights read in place, ${r.converted} converted, ${r.seconds.toFixed(1)} s\n`);
      } else {
        const pointed = Object.values(r.parts).reduce((a, p) => a + p.pointed, 0);
        const converted = Object.values(r.parts).reduce((a, p) => a + p.converted, 0);
        process.stdout.write(`${r.dir}  ${r.summary} (prediction: ${r.predictionSource}), ${pointed} weights read in place, ${converted} converted, ${r.seconds.toFixed(1)} s\n`);
        if (r.tokenizer === 'missing') {
          process.stdout.write('tokenizer/ is missing: copy vocab.json and merges.txt of openai/clip-vit-large-patch14 into it (or rerun with --tokenizer DIR)\n');
        }
      }
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio convert-onnx: ${errorMessage(e)}\n`);
      return exitCodeFor(e);
    } finally {
      await client.stop();
    }
  },
};
