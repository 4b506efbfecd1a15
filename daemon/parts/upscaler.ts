// An upscaler model as the tile runner sees it: the built (or user's) ONNX in a session created once and reused,
// fed planar [1, 3, h, w] floats. Library errors become protocol errors naming the file.
import { UnsupportedArchitectureError } from '../../models/arch/detectUpscaler';
import { TfjsModelError } from '../../models/arch/esrganSlim';
import { WeightsError } from '../../models/formats/tensorRecord';
import { f16BitsToF32, f32ToF16Bits } from '../../models/graph/float16';
import type { ModelSession, SessionPool } from '../../models/sessions';
import { upscalerOnnx } from '../../models/upscalerCache';
import { modelError, notFound } from '../errors';
import type { TileNetwork } from '../image/tiles';

export interface UpscalerNetwork extends TileNetwork {
  source: string;
  arch: string;
}

/** The upscaler networks in use, their sessions in the upscaler pool (given by daemon/services.ts). */
export class UpscalerModels {
  private readonly networks = new Map<string, Promise<UpscalerNetwork>>();

  constructor(
    private readonly pool: SessionPool,
    private readonly cacheDir?: string,
  ) {}

  /** The network for a model file (built and cached on first use; the session lives until dispose). */
  get(source: string): Promise<UpscalerNetwork> {
    let n = this.networks.get(source);
    if (!n) {
      n = this.load(source);
      this.networks.set(source, n);
      n.catch(() => this.networks.delete(source));
    }
    return n;
  }

  private async load(source: string): Promise<UpscalerNetwork> {
    const built = await mapModelErrors(source, () => upscalerOnnx(source, ...(this.cacheDir ? [this.cacheDir] : [])));
    const session = await mapModelErrors(source, () => this.pool.get(built.onnxPath));
    if (session.inputs.length !== 1 || session.outputs.length < 1) throw modelError(source, `an upscaler has one image input and one output; this model has ${session.inputs.length} inputs`);
    return { source, arch: built.info.arch, multipleOf: built.info.multipleOf, context: built.info.context, channelOrder: built.info.channelOrder, run: (d, h, w) => runSession(session, d, h, w) };
  }

  async dispose(): Promise<void> {
    this.networks.clear();
    await this.pool.disposeAll();
  }
}

async function runSession(s: ModelSession, planar: Float32Array, height: number, width: number): Promise<{ data: Float32Array; height: number; width: number }> {
  const input = s.inputs[0]!;
  const half = input.type === 'float16';
  const feeds = { [input.name]: half ? { type: 'float16', data: f32ToF16Bits(planar), dims: [1, 3, height, width] } : { type: 'float32', data: planar, dims: [1, 3, height, width] } };
  const out = (await s.run(feeds, [s.outputs[0]!.name]))[s.outputs[0]!.name]!;
  const data = out.type === 'float16' ? f16BitsToF32(out.data as Uint16Array) : (out.data as Float32Array);
  if (out.dims.length !== 4 || out.dims[1] !== 3) throw modelError(s.path, `upscaler output has shape [${out.dims.join(', ')}], expected [1, 3, H, W]`);
  return { data, height: out.dims[2]!, width: out.dims[3]! };
}

async function mapModelErrors<T>(file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof WeightsError && e.problem === 'file not found') throw notFound(e.file, 'upscaler model');
    if (e instanceof WeightsError || e instanceof UnsupportedArchitectureError || e instanceof TfjsModelError) throw modelError(file, e.message.startsWith(file) ? e.message.slice(file.length + 2) : e.message);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(file, 'upscaler model');
    // ONNX Runtime's load failures: a corrupt or foreign .onnx.
    throw modelError(file, `cannot load the upscaler: ${(e as Error).message.split('\n')[0]}`);
  }
}
