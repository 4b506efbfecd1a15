import type { GpuInstallResult, GpuStatusResult } from '../../protocol';
import { parseFlags, usageText, UsageError, type FlagSpec } from '../args';
import { DaemonClient, errorMessage } from '../client';
import type { CliCommand } from '../command';
import { runJobWithProgress } from '../runJob';

const flags: Record<string, FlagSpec> = {
  feed: { kind: 'string', help: 'install: NuGet v3 service index to download from (a mirror); default nuget.org' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
};

const ACTIONS = ['status', 'install', 'remove'] as const;

function printStatus(s: GpuStatusResult): void {
  const lines = [
    `platform:        ${s.platform} (onnxruntime ${s.onnxruntimeVersion})`,
    `runtime:         ${s.runtime} (${s.runtimeDir})`,
    `providers:       ${s.providers.join(', ')}`,
    `auto tries:      ${s.autoProviders.length ? `${s.autoProviders.join(', ')}, then cpu` : 'cpu'}`,
    `download:        ${s.download ? `${s.download.package} (${s.download.providers.join(', ')})` : 'none for this platform'}`,
    `installed:       ${s.installed ? `${s.installed.package} ${s.installed.version} in ${s.installed.dir}` : 'no'}`,
    ...(s.runtimeProblem ? [`problem:         ${s.runtimeProblem}`] : []),
    '',
    s.advice,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printInstall(r: GpuInstallResult): void {
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  const lines = [
    `installed ${r.package.id} ${r.package.version} into ${r.runtimeDir}`,
    `  ${r.resumedFrom ? `resumed at ${mb(r.resumedFrom)}, ` : ''}${mb(r.transferred)} downloaded, SHA-512 verified`,
    ...r.libraries.map((l) => `  ${l}`),
    ...r.checks.map((c) => `  ${c.provider}: ${c.ok ? 'starts' : `does not start: ${c.message}`}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** `sd-studio gpu status|install|remove`: the ONNX Runtime CUDA provider, downloaded into the user data folder. */
export const gpuCommand: CliCommand = {
  name: 'gpu',
  summary: 'GPU support: status, install (download the ONNX Runtime CUDA provider; resumable), remove',
  usage: () =>
    `${usageText('gpu', 'status|install|remove [--feed URL] [--json]', flags)}\n` +
    'The runtime goes into SD_STUDIO_DATA_DIR, else the per-user data folder (~/.local/share/sd-studio on Linux);\n' +
    'later commands load it by themselves. Ctrl-C stops a download; running install again resumes it.\n',
  async run(argv) {
    const { flags: f, positionals } = parseFlags(argv, flags, true);
    const action = positionals[0] ?? 'status';
    if (!(ACTIONS as readonly string[]).includes(action) || positionals.length > 1) throw new UsageError(`expected one of ${ACTIONS.join(', ')}`);
    if (f.feed !== undefined && action !== 'install') throw new UsageError('--feed is for install');
    const client = await DaemonClient.start();
    try {
      if (action === 'status') {
        const s = await client.request('sd/gpu.status', {});
        if (f.json) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        else printStatus(s);
        return 0;
      }
      if (action === 'remove') {
        const r = await client.request('sd/gpu.remove', {});
        if (f.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else process.stdout.write(r.removed.length ? `${r.removed.map((d) => `removed ${d}`).join('\n')}\n` : 'nothing to remove\n');
        return 0;
      }
      const outcome = await runJobWithProgress(client, 'sd/gpu.install', typeof f.feed === 'string' ? { feed: f.feed } : {}, 'gpu install');
      if (!outcome.result) {
        process.stderr.write(`sd-studio gpu install: ${outcome.error}\n`);
        return 1;
      }
      if (f.json) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
      else printInstall(outcome.result);
      return 0;
    } catch (e) {
      process.stderr.write(`sd-studio gpu ${action}: ${errorMessage(e)}\n`);
      return 1;
    } finally {
      await client.stop();
    }
  },
};
