// The only importer of onnxruntime-node: execution providers, session creation once per file, reuse, dispose.
import * as ort from 'onnxruntime-node';

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
export type ElementType = 'float32' | 'float16' | 'float64' | 'int32' | 'int64' | 'uint8' | 'bool' | string;

/** A tensor as the daemon holds it: typed array + dims. float16 travels as raw IEEE bits in a Uint16Array. */
export interface HostTensor {
  type: ElementType;
  data: Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array;
  dims: number[];
}

/** Name, element type and shape (numbers or symbolic names) of one model input/output. */
export interface TensorSpec {
  name: string;
  type: ElementType;
  shape: ReadonlyArray<number | string>;
}

export interface ModelSession {
  readonly path: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** The provider the session really runs on (after any fallback). */
  readonly provider: ExecutionProvider;
  run(feeds: Record<string, HostTensor>, outputNames?: string[]): Promise<Record<string, HostTensor>>;
  dispose(): Promise<void>;
}

export interface SessionSettings {
  provider: ExecutionProvider;
  /** Intra-op threads; 0 lets ONNX Runtime decide. */
  threads: number;
  /** ONNX Runtime's memory trade-offs (defaults: ONNX Runtime's own, all on). */
  memory?: SessionMemory;
}

/** ONNX Runtime memory options; each costs or saves memory against speed (measured: `npm run bench -- memory`). */
export interface SessionMemory {
  /** Pre-packed copies of constant GEMM/Conv weights (faster kernels, a second copy of those weights). */
  prepacking?: boolean;
  /**
   * The CPU arena keeps a session's activation memory between runs instead of returning it. Off, the UNet's GBs of
   * activations are given back before the VAE decodes (SDXL at 1024²: the arenas of UNet, VAE encoder and decoder
   * would otherwise add up).
   */
  arena?: boolean;
  /** Memory-pattern planning of activations. */
  memPattern?: boolean;
}

const providerNames: Record<ExecutionProvider, string> = { cpu: 'cpu', cuda: 'cuda', dml: 'dml', coreml: 'coreml', webgpu: 'webgpu' };

function specsOf(meta: readonly ort.InferenceSession.ValueMetadata[], names: readonly string[]): TensorSpec[] {
  return names.map((name, i) => {
    const m = meta[i];
    if (m && m.isTensor) return { name, type: m.type, shape: [...m.shape] };
    return { name, type: 'unknown', shape: [] };
  });
}

async function createOne(path: string, settings: SessionSettings, provider: ExecutionProvider): Promise<ort.InferenceSession> {
  const m = settings.memory ?? {};
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: provider === 'cpu' ? ['cpu'] : [providerNames[provider]],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(settings.threads > 0 ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : {}),
    ...(m.arena === false ? { enableCpuMemArena: false } : {}),
    ...(m.memPattern === false ? { enableMemPattern: false } : {}),
    ...(m.prepacking === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
  };
  return ort.InferenceSession.create(path, options);
}

class OrtModelSession implements ModelSession {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  constructor(
    readonly path: string,
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProvider,
  ) {
    this.inputs = specsOf(session.inputMetadata, session.inputNames);
    this.outputs = specsOf(session.outputMetadata, session.outputNames);
  }

  async run(feeds: Record<string, HostTensor>, outputNames?: string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const out = outputNames ? await this.session.run(ortFeeds, outputNames) : await this.session.run(ortFeeds);
    const result: Record<string, HostTensor> = {};
    for (const [name, t] of Object.entries(out)) {
      result[name] = { type: t.type, data: t.data as HostTensor['data'], dims: [...t.dims] };
      t.dispose?.();
    }
    return result;
  }

  dispose(): Promise<void> {
    return this.session.release();
  }
}

/**
 * Sessions are expensive (seconds to minutes for a real UNet): create each once per (file, provider) and reuse.
 * A provider that is not available falls back to CPU, and says so through `warn`. `settings` may be a function:
 * the daemon's pools exist from start-up and read the provider and threads in force when a session is made.
 */
export class SessionPool {
  private readonly sessions = new Map<string, Promise<ModelSession>>();
  /** Set once the wanted provider failed: later sessions go straight to CPU, and the user is told once. */
  private providerFailed = false;

  constructor(
    private readonly settingsSource: SessionSettings | (() => SessionSettings),
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  private get settings(): SessionSettings {
    return typeof this.settingsSource === 'function' ? this.settingsSource() : this.settingsSource;
  }

  /** `memory`: options for this session over the pool's (read when the session is made). */
  get(path: string, memory?: SessionMemory): Promise<ModelSession> {
    let s = this.sessions.get(path);
    if (!s) {
      s = this.create(path, memory);
      this.sessions.set(path, s);
      s.catch(() => this.sessions.delete(path));
    }
    return s;
  }

  private async create(path: string, memory?: SessionMemory): Promise<ModelSession> {
    const settings = memory ? { ...this.settings, memory: { ...this.settings.memory, ...memory } } : this.settings;
    const wanted = settings.provider;
    if (wanted !== 'cpu' && !this.providerFailed) {
      try {
        return new OrtModelSession(path, await createOne(path, settings, wanted), wanted);
      } catch (e) {
        if (!this.providerFailed) this.warn(`execution provider "${wanted}" is not available (${(e as Error).message.split('\n')[0]}); running on CPU instead`);
        this.providerFailed = true;
      }
    }
    return new OrtModelSession(path, await createOne(path, settings, 'cpu'), 'cpu');
  }

  /** Disposes the session of `path` if one was made (the next `get` makes a new one): frees its memory now. */
  async release(path: string): Promise<void> {
    const s = this.sessions.get(path);
    if (!s) return;
    this.sessions.delete(path);
    await (await s.catch(() => undefined))?.dispose();
  }

  async disposeAll(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.dispose()));
  }
}

/** Providers onnxruntime-node can load in this install (for the status bar and error messages). */
export function availableProviders(): string[] {
  return ort.listSupportedBackends().filter((b) => b.bundled).map((b) => b.name);
}
