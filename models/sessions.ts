// The only importer of onnxruntime-node: which ONNX Runtime this process runs (the bundled one, or the GPU runtime
// copy the user installed), execution providers (the per-platform table `auto` picks from), session creation once
// per file, reuse, dispose.
import type * as Ort from 'onnxruntime-node';
import { bundledOnnxRuntime, checkGpuRuntime, runtimeModuleDir, userDataDir } from './gpuRuntime/layout';

export type ExecutionProvider = 'cpu' | 'cuda' | 'dml' | 'coreml' | 'webgpu';
/** A provider, or `auto`: the first of AUTO_PROVIDERS this install has that starts, else CPU. */
export type ProviderChoice = ExecutionProvider | 'auto';
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
  provider: ProviderChoice;
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

/** Where this process's ONNX Runtime comes from; decided once, before the native binding loads. */
export interface RuntimeInfo {
  source: 'bundled' | 'gpu-runtime';
  /** The onnxruntime-node package folder loaded. */
  dir: string;
  version: string;
  /** Set when an installed GPU runtime exists but could not be used (the bundled one runs instead). */
  problem?: string;
}

/**
 * The GPU runtime copy (models/gpuRuntime) when one is installed for this onnxruntime-node version and complete,
 * else the bundled package. SD_STUDIO_GPU_RUNTIME=off forces the bundled one. One process holds one ONNX Runtime:
 * a daemon started before an install keeps the bundled one until it restarts.
 */
function loadRuntime(env: NodeJS.ProcessEnv = process.env): { ort: typeof Ort; info: RuntimeInfo } {
  const bundled = bundledOnnxRuntime();
  let problem: string | undefined;
  const gpu = env.SD_STUDIO_GPU_RUNTIME === 'off' ? undefined : checkGpuRuntime(userDataDir(env), bundled.version);
  if (gpu?.ok) {
    const dir = runtimeModuleDir(gpu.dir);
    try {
      return { ort: require(dir) as typeof Ort, info: { source: 'gpu-runtime', dir, version: bundled.version } };
    } catch (e) {
      problem = `the GPU runtime in ${gpu.dir} does not load (${(e as Error).message.split('\n')[0]}); reinstall GPU support`;
    }
  } else if (gpu) {
    problem = gpu.problem;
  }
  return { ort: require('onnxruntime-node') as typeof Ort, info: { source: 'bundled', dir: bundled.dir, version: bundled.version, ...(problem ? { problem } : {}) } };
}

const runtime = loadRuntime();
const ort = runtime.ort;

export function runtimeInfo(): RuntimeInfo {
  return { ...runtime.info };
}

/**
 * What `auto` tries, in order, on each platform (then CPU): DirectML on Windows; WebGPU then CoreML on macOS
 * (WebGPU runs the fp16 fused-attention UNet whole, CoreML takes a subset of its operators and leaves the rest
 * to the CPU); CUDA on Linux once the GPU runtime is installed. Linux WebGPU stays opt-in: without a Vulkan GPU
 * it runs on a software device, slower than the CPU provider.
 */
export const AUTO_PROVIDERS: Readonly<Record<string, readonly ExecutionProvider[]>> = {
  win32: ['dml'],
  darwin: ['webgpu', 'coreml'],
  linux: ['cuda'],
};

/** Providers this process can start: the binding's built-in ones, plus CUDA when the GPU runtime is loaded. */
export function presentProviders(): ExecutionProvider[] {
  const names = new Set(ort.listSupportedBackends().filter((b) => b.bundled || runtime.info.source === 'gpu-runtime').map((b) => b.name));
  return (Object.keys(providerNames) as ExecutionProvider[]).filter((p) => p === 'cpu' || names.has(providerNames[p]));
}

/** The providers a pool tries, in order, for a setting (CPU is always the last resort, not listed). */
export function providerCandidates(choice: ProviderChoice, platform: string = process.platform, present: readonly ExecutionProvider[] = presentProviders()): ExecutionProvider[] {
  if (choice === 'cpu') return [];
  if (choice !== 'auto') return [choice];
  return (AUTO_PROVIDERS[platform] ?? []).filter((p) => present.includes(p));
}

function specsOf(meta: readonly Ort.InferenceSession.ValueMetadata[], names: readonly string[]): TensorSpec[] {
  return names.map((name, i) => {
    const m = meta[i];
    if (m && m.isTensor) return { name, type: m.type, shape: [...m.shape] };
    return { name, type: 'unknown', shape: [] };
  });
}

async function createOne(path: string, settings: SessionSettings, provider: ExecutionProvider): Promise<Ort.InferenceSession> {
  const m = settings.memory ?? {};
  const options: Ort.InferenceSession.SessionOptions = {
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
    private readonly session: Ort.InferenceSession,
    readonly provider: ExecutionProvider,
  ) {
    this.inputs = specsOf(session.inputMetadata, session.inputNames);
    this.outputs = specsOf(session.outputMetadata, session.outputNames);
  }

  async run(feeds: Record<string, HostTensor>, outputNames?: string[]): Promise<Record<string, HostTensor>> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
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
  /** Providers that failed to start: dropped from the candidates (the user is told once), the next one tried. */
  private readonly failed = new Set<ExecutionProvider>();

  constructor(
    private readonly settingsSource: SessionSettings | (() => SessionSettings),
    private readonly warn: (message: string) => void = () => undefined,
  ) {}

  /** Providers still to try, in order, before CPU. */
  private candidates(): ExecutionProvider[] {
    return providerCandidates(this.settings.provider).filter((p) => !this.failed.has(p));
  }

  /** The provider the next session will try first. */
  get provider(): ExecutionProvider {
    return this.candidates()[0] ?? 'cpu';
  }

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
    for (let wanted = this.candidates()[0]; wanted; wanted = this.candidates()[0]) {
      try {
        return new OrtModelSession(path, await createOne(path, settings, wanted), wanted);
      } catch (e) {
        // Another session may have dropped it meanwhile: warn once per provider.
        if (this.failed.has(wanted)) continue;
        this.failed.add(wanted);
        const next = this.candidates()[0] ?? 'CPU';
        const hint = wanted === 'cuda' && runtime.info.source === 'bundled' ? ' (install GPU support first: "SD Studio: Install GPU Support" / sd-studio gpu install)' : '';
        this.warn(`execution provider "${wanted}" is not available (${(e as Error).message.split('\n')[0]})${hint}; running on ${next} instead`);
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
  return presentProviders();
}
