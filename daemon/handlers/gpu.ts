import { checkGpuRuntime, userDataDir } from '../../models/gpuRuntime/layout';
import { installGpuRuntime, removeGpuRuntime } from '../../models/gpuRuntime/install';
import { BUILT_IN_GPU, gpuRuntimePackage } from '../../models/gpuRuntime/packages';
import { presentProviders, providerCandidates, runtimeInfo } from '../../models/sessions';
import { invalidParam } from '../errors';
import type { GpuStatusResult } from '../protocol';
import type { DaemonServer } from '../server';

/** `sd/gpu.status` (quick), `sd/gpu.install` and `sd/gpu.remove` (jobs: they wait for a running generation). */
export function registerGpuHandlers(server: DaemonServer): void {
  server.onRequest('sd/gpu.status', () => gpuStatus());

  server.onJobRequest('sd/gpu.install', 'gpu install', async (params, { job }) => {
    if (params.feed !== undefined && (typeof params.feed !== 'string' || !/^https?:\/\/\S+$/.test(params.feed))) {
      throw invalidParam('feed', 'expected the URL of a NuGet v3 service index', 'https://…/v3/index.json');
    }
    let last = '';
    const r = await installGpuRuntime({
      dataDir: userDataDir(),
      ...(params.feed ? { feed: params.feed } : {}),
      signal: job.signal,
      // One report per percent and per stage message (a 400 MB download would otherwise send thousands).
      onProgress: (stage, done, total, message) => {
        const key = `${stage}:${total ? Math.floor((done / total) * 100) : 0}:${stage === 'downloading' ? '' : message}`;
        if (key === last) return;
        last = key;
        job.report(done, total, message);
      },
    });
    return {
      jobId: job.id, runtimeDir: r.runtimeDir, package: r.package, resumedFrom: r.download.resumedFrom, transferred: r.download.transferred,
      libraries: r.libraries, checks: r.checks, restartNeeded: runtimeInfo().source !== 'gpu-runtime',
    };
  });

  server.onJobRequest('sd/gpu.remove', 'gpu remove', async () => removeGpuRuntime(userDataDir()));
}

function gpuStatus(): GpuStatusResult {
  const info = runtimeInfo();
  const dataDir = userDataDir();
  const pkg = gpuRuntimePackage();
  const check = checkGpuRuntime(dataDir, info.version);
  const installed = check?.ok ? { dir: check.dir, package: check.installed.package.id, version: check.installed.package.version, installedAt: check.installed.installedAt } : null;
  const problem = info.problem ?? (check && !check.ok ? check.problem : undefined);
  const advice = !pkg
    ? `${BUILT_IN_GPU[process.platform] ?? 'Only the CPU provider exists on this platform'}.`
    : info.source === 'gpu-runtime'
      ? `GPU support is loaded: set sdStudio.executionProvider (or --provider) to "cuda" or "auto". It needs ${pkg.requires}.`
      : installed && !problem
        ? 'GPU support is installed: restart the daemon to load it.'
        : problem
          ? `${problem}. Run "SD Studio: Install GPU Support" (sd-studio gpu install) again.`
          : `Run "SD Studio: Install GPU Support" (sd-studio gpu install) to download ${pkg.id} ${info.version} from NuGet; it needs ${pkg.requires}.`;
  return {
    platform: `${process.platform}-${process.arch}`,
    onnxruntimeVersion: info.version,
    dataDir,
    runtime: info.source,
    runtimeDir: info.dir,
    ...(problem ? { runtimeProblem: problem } : {}),
    providers: presentProviders(),
    autoProviders: providerCandidates('auto'),
    download: pkg ? { package: pkg.id, providers: [...pkg.providers], requires: pkg.requires } : null,
    installed,
    advice,
  };
}
