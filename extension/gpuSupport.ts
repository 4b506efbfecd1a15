// "SD Studio: Install GPU Support": the daemon downloads the ONNX Runtime CUDA provider libraries into this
// extension's global storage (sd/gpu.install: progress, cancel, an interrupted download resumes on the next run),
// then the daemon restarts to load them, with the provider set to one that uses them.
import * as vscode from 'vscode';
import type { GpuInstallResult, GpuStatusResult } from '../daemon/protocol';
import * as config from './config';
import type { Ctx } from './ctx';

const mb = (n: number): string => `${Math.round(n / 1e6)} MB`;

/** Sets the provider and restarts the daemon, which then loads the installed runtime and starts that provider. */
function useProvider(ctx: Ctx, provider: config.ExecutionProvider): Promise<void> {
  return ctx.applyRestartSetting('executionProvider', provider);
}

/** Platforms whose GPU providers are built in: say so, and offer `auto` when the setting pins the CPU. */
async function builtIn(ctx: Ctx, status: GpuStatusResult): Promise<void> {
  const pinned = config.get('executionProvider') === 'cpu';
  const b = await vscode.window.showInformationMessage(`SD Studio: nothing to download on ${status.platform}. ${status.advice}`, ...(pinned ? ['Use "auto"'] : []));
  if (b) await useProvider(ctx, 'auto');
}

function report(ctx: Ctx, r: GpuInstallResult): string | undefined {
  ctx.log.info(`GPU support: ${r.package.id} ${r.package.version} in ${r.runtimeDir} (${r.resumedFrom ? `resumed at ${mb(r.resumedFrom)}, ` : ''}${mb(r.transferred)} downloaded, SHA-512 ${r.package.sha512})`);
  for (const c of r.checks) ctx.log.info(`GPU support: ${c.provider} ${c.ok ? 'starts' : `does not start: ${c.message}`}`);
  const failed = r.checks.find((c) => !c.ok);
  return failed?.message;
}

export async function installGpuSupport(ctx: Ctx): Promise<void> {
  const status = await ctx.daemon.request('sd/gpu.status', {});
  const download = status.download;
  if (!download) return builtIn(ctx, status);
  if (status.installed && !status.runtimeProblem) {
    const loaded = status.runtime === 'gpu-runtime';
    const choice = await vscode.window.showInformationMessage(
      `SD Studio: GPU support (${status.installed.package} ${status.installed.version}) is installed${loaded ? ' and loaded' : '; the daemon loads it when it restarts'}.`,
      'Use CUDA', 'Reinstall',
    );
    if (choice === 'Use CUDA') return useProvider(ctx, 'cuda');
    if (choice !== 'Reinstall') return;
  } else {
    const go = await vscode.window.showInformationMessage(
      `Download ${download.package} ${status.onnxruntimeVersion} (ONNX Runtime's ${download.providers.join(' and ')} provider libraries, a few hundred MB) from NuGet into the extension's storage?`,
      { modal: true, detail: `It needs ${download.requires}. The download is checked against NuGet's published SHA-512; an interrupted download continues where it stopped.` },
      'Download and Install',
    );
    if (!go) return;
  }
  const r = await ctx.runJob('sd/gpu.install', {}, 'SD Studio: installing GPU support');
  if (!r) return;
  const problem = report(ctx, r);
  const provider = download.providers[0] === 'cuda' ? 'cuda' : 'auto';
  if (problem) {
    const b = await vscode.window.showWarningMessage(
      `SD Studio: GPU support installed, but ${download.providers[0]} does not start on this machine: ${problem}. It needs ${download.requires}.`,
      'Use It Anyway', 'Show Logs',
    );
    if (b === 'Show Logs') ctx.log.show();
    if (b === 'Use It Anyway') await useProvider(ctx, provider);
    return;
  }
  const b = await vscode.window.showInformationMessage(`SD Studio: GPU support installed (${r.package.id} ${r.package.version}); ${download.providers[0]} starts on this machine.`, `Use ${provider.toUpperCase()} Now`);
  if (b) await useProvider(ctx, provider);
}
