// What "GPU support" is for each platform, as onnxruntime-node's own installer defines it
// (node_modules/onnxruntime-node/script/install-metadata.js, read by install.js when `npm ci` runs with
// ONNXRUNTIME_NODE_INSTALL=cuda12): for linux/x64 it takes three files from the NuGet package
// Microsoft.ML.OnnxRuntime.Gpu.Linux of the same version and puts them beside libonnxruntime.so.1 in
// bin/napi-v6/linux/x64/. ONNX Runtime loads provider libraries from the folder of its own shared library
// (Env::GetRuntimePath), so that is where they must sit. A unit test keeps this table equal to that file.
// Windows (DirectML, WebGPU), macOS (CoreML, WebGPU) and Linux x64 WebGPU are built into the bindings: nothing to
// download (checked with the 1.30 binaries: `strings onnxruntime_binding.node` lists the backends each registers).

/** One file the installer extracts from the package into the runtime's binary folder. */
export interface GpuRuntimeFile {
  /** Member path in the .nupkg (a zip). */
  member: string;
  /** File name in bin/napi-v6/<platform>/<arch>/. */
  name: string;
}

export interface GpuRuntimePackage {
  /** NuGet package id. */
  id: string;
  /** Execution providers the files enable (the binding was built with them; only the libraries were missing). */
  providers: Array<'cuda' | 'tensorrt'>;
  /** What the user's machine must have besides (ONNX Runtime's CUDA provider does not ship CUDA itself). */
  requires: string;
  files: GpuRuntimeFile[];
}

/** The public NuGet v3 service index, as onnxruntime-node's installer uses it. */
export const NUGET_FEED = 'https://api.nuget.org/v3/index.json';

const linuxX64Native = (name: string): GpuRuntimeFile => ({ member: `runtimes/linux-x64/native/${name}`, name });

/** Keyed by `${process.platform}/${process.arch}` as onnxruntime-node's installer keys them. */
export const GPU_RUNTIME_PACKAGES: Readonly<Record<string, GpuRuntimePackage>> = {
  'linux/x64': {
    id: 'Microsoft.ML.OnnxRuntime.Gpu.Linux',
    providers: ['cuda', 'tensorrt'],
    requires: 'an NVIDIA driver with CUDA 12.x and cuDNN 9 libraries on the library path (TensorRT 10 for the tensorrt provider)',
    files: [
      linuxX64Native('libonnxruntime_providers_cuda.so'),
      linuxX64Native('libonnxruntime_providers_shared.so'),
      linuxX64Native('libonnxruntime_providers_tensorrt.so'),
    ],
  },
};

/** What a platform gets instead when there is nothing to download (for `sd/gpu.status` and the CLI). */
export const BUILT_IN_GPU: Readonly<Record<string, string>> = {
  win32: 'DirectML is built in (sdStudio.executionProvider "dml", or "auto")',
  darwin: 'CoreML and WebGPU are built in (sdStudio.executionProvider "coreml" / "webgpu", or "auto")',
  linux: 'the CUDA download exists for linux-x64 only; linux-arm64 runs on the CPU',
};

export function gpuRuntimePackage(platform: string = process.platform, arch: string = process.arch): GpuRuntimePackage | undefined {
  return GPU_RUNTIME_PACKAGES[`${platform}/${arch}`];
}
