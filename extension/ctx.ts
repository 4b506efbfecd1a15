// The extension's state and its two lifetimes: things that live as long as the extension (commands, the
// status bar, the settings listener: `extension.subscriptions`) and things that die with the daemon (job
// tracking: `daemonSubscriptions`, cleared on every stop). Implements SdContext for the panels.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobInfo, ParamsOf, RequestMethod, ResultOf } from '../daemon/protocol';
import * as config from './config';
import { DaemonClient } from './daemonClient';
import { runJob } from './progress';
import type { SdContext } from './sdContext';

export class Ctx implements SdContext {
  readonly daemon: DaemonClient;
  readonly log: vscode.LogOutputChannel;
  private readonly status: vscode.StatusBarItem;
  private daemonSubscriptions: vscode.Disposable[] = [];
  /** Jobs queued or running, by id (from `sd/job.state`). */
  private readonly activeJobs = new Map<string, JobInfo>();
  private starting: Promise<void> | undefined;
  private lastError: string | undefined;
  /** The A1111 API's URL while the daemon serves it (`sdStudio.api.enabled`). */
  private apiUrl: string | undefined;
  /** A restart-needing setting is being changed by a command that restarts the daemon itself: no prompt. */
  private applyingRestartSetting = 0;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('SD Studio', { log: true });
    this.daemon = new DaemonClient(extension.extensionPath, this.log, () => config.daemonSettings(extension.globalStorageUri), extension.globalStorageUri.fsPath);
    this.status = vscode.window.createStatusBarItem('sdStudio.status', vscode.StatusBarAlignment.Left, 10);
    this.status.name = 'SD Studio';
    extension.subscriptions.push(this.log, this.daemon, this.status);
    extension.subscriptions.push(
      this.daemon.onDidChangeState(() => this.renderStatus()),
      this.daemon.onDidExit((reason) => this.onDaemonExit(reason)),
      vscode.workspace.onDidChangeConfiguration((e) => void this.onConfigChange(e)),
      { dispose: () => this.disposeDaemonSubscriptions() },
    );
    this.renderStatus();
    this.status.show();
  }

  runJob<M extends RequestMethod>(method: M, params: ParamsOf<M> & { jobId?: string }, title: string): Promise<ResultOf<M> | undefined> {
    return runJob(this.daemon, this.log, method, params, title);
  }

  allowedRoots(): vscode.Uri[] {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri);
    const dirs = [config.outputDir(this.extension.globalStorageUri), config.resolvePath(config.get('modelsRoot'))];
    const model = config.resolvePath(config.get('model'));
    if (model) dirs.push(path.extname(model) ? path.dirname(model) : model);
    for (const d of dirs) if (d) roots.push(vscode.Uri.file(d));
    return roots;
  }

  /** Start the daemon (once at a time); failures are logged and shown, and leave the "not running" status. */
  startDaemon(): Promise<void> {
    this.starting ??= (async () => {
      try {
        this.log.info(`starting daemon (${process.execPath} ${path.join(this.extension.extensionPath, 'dist', 'cli.js')} serve --stdio)`);
        await this.daemon.start();
        this.lastError = undefined;
        this.trackJobs();
        this.log.info('daemon running');
        await this.applyApi();
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.log.error(`daemon failed to start: ${this.lastError}`);
        void vscode.window.showErrorMessage(`SD Studio daemon failed to start: ${this.lastError}`, 'Show Logs', 'Restart').then((b) => {
          if (b === 'Show Logs') this.log.show();
          if (b === 'Restart') void this.restartDaemon();
        });
      } finally {
        this.starting = undefined;
        this.renderStatus();
      }
    })();
    return this.starting;
  }

  async restartDaemon(): Promise<void> {
    await this.starting;
    this.disposeDaemonSubscriptions();
    await this.daemon.stop();
    await this.startDaemon();
  }

  /** Changes a setting that needs a restart (execution provider, threads) and restarts the daemon with it. */
  async applyRestartSetting<K extends keyof config.SdStudioConfig>(key: K, value: config.SdStudioConfig[K]): Promise<void> {
    this.applyingRestartSetting++;
    try {
      if (config.get(key) !== value) await config.update(key, value);
      await this.restartDaemon();
    } finally {
      this.applyingRestartSetting--;
    }
  }

  /** The daemon died on its own: say so, keep it in the status bar's tooltip, offer a restart. */
  private onDaemonExit(reason: string): void {
    this.lastError = reason;
    this.renderStatus();
    void vscode.window.showErrorMessage(`SD Studio: ${reason}. Jobs that were running failed.`, 'Restart Daemon', 'Show Logs').then((b) => {
      if (b === 'Restart Daemon') void this.restartDaemon();
      if (b === 'Show Logs') this.log.show();
    });
  }

  private trackJobs(): void {
    this.disposeDaemonSubscriptions();
    this.activeJobs.clear();
    this.daemonSubscriptions.push(
      this.daemon.onNotification('sd/job.state', (s) => {
        if (s.state === 'queued' || s.state === 'running') this.activeJobs.set(s.jobId, s);
        else this.activeJobs.delete(s.jobId);
        this.renderStatus();
      }),
      this.daemon.onDidChangeState((running) => {
        if (!running) {
          this.activeJobs.clear();
          this.apiUrl = undefined;
        }
      }),
    );
    this.daemon.request('sd/jobs.list', {}).then(
      (r) => {
        for (const j of r.jobs) if (j.state === 'queued' || j.state === 'running') this.activeJobs.set(j.jobId, j);
        this.renderStatus();
      },
      () => undefined,
    );
  }

  /** Start, restart or stop the daemon's A1111 HTTP API as `sdStudio.api.*` say; failures are shown, not thrown. */
  private async applyApi(): Promise<void> {
    const opts = config.apiOptions();
    try {
      if (opts) {
        // The daemon's own log line says where it listens (once).
        this.apiUrl = (await this.daemon.request('sd/api.start', opts)).url;
      } else if (this.apiUrl) {
        await this.daemon.request('sd/api.stop', {});
        this.apiUrl = undefined;
      }
    } catch (e) {
      this.apiUrl = undefined;
      const message = e instanceof Error ? e.message : String(e);
      this.log.error(`A1111 API: ${message}`);
      void vscode.window.showErrorMessage(`SD Studio could not start the A1111 API: ${message}`, 'Open Settings').then((b) => {
        if (b) void vscode.commands.executeCommand('workbench.action.openSettings', 'sdStudio.api');
      });
    }
    this.renderStatus();
  }

  /** Jobs queued or running now (for "Cancel Job"). */
  jobs(): JobInfo[] {
    return [...this.activeJobs.values()];
  }

  private disposeDaemonSubscriptions(): void {
    for (const d of this.daemonSubscriptions.splice(0)) d.dispose();
  }

  private async onConfigChange(e: vscode.ConfigurationChangeEvent): Promise<void> {
    const change = config.classifyChange(e);
    if (!change) return;
    this.renderStatus();
    if (change.affectsApi && this.daemon.running) void this.applyApi();
    if (change.needsRestart) {
      if (this.applyingRestartSetting) return;
      const b = await vscode.window.showInformationMessage('SD Studio: restart the daemon to apply the execution provider / threads setting.', 'Restart Daemon');
      if (b) await this.restartDaemon();
      return;
    }
    if (change.affectsDaemon && this.daemon.running) {
      try {
        await this.daemon.request('sd/settings.update', { settings: config.daemonSettings(this.extension.globalStorageUri) });
      } catch (e) {
        this.log.error(`settings update failed: ${(e as Error).message}`);
      }
    }
  }

  private renderStatus(): void {
    const s = this.status;
    if (!this.daemon.running) {
      s.text = this.starting ? '$(sync~spin) SD Studio: starting…' : '$(error) SD Studio: daemon not running';
      s.tooltip = this.lastError ? `${this.lastError}\nClick to restart the daemon.` : 'Click to restart the daemon.';
      s.command = 'sdStudio.restartDaemon';
      s.backgroundColor = this.starting ? undefined : new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    const model = config.resolvePath(config.get('model'));
    const provider = config.get('executionProvider');
    const depth = this.activeJobs.size;
    // Which engines run the jobs (when backends are configured): "2 jobs on gpu-a, local".
    const where = [...new Set([...this.activeJobs.values()].map((j) => j.backend).filter((b): b is string => !!b))];
    const remote = where.some((b) => b !== 'local') ? ` on ${where.join(', ')}` : '';
    const api = this.apiUrl ? ` · API ${this.apiUrl.replace(/^http:\/\//, '')}` : '';
    s.text = `$(sparkle) ${model ? path.basename(model) : 'no model'} · ${provider} · ${depth === 0 ? 'idle' : `${depth} job${depth === 1 ? '' : 's'}${remote}`}${api}`;
    const backends = config.get('backends') ?? [];
    s.tooltip = `SD Studio daemon\nmodel: ${model || '(sdStudio.model not set)'}\nexecution provider: ${provider}\njobs queued or running: ${depth}${remote}` +
      `${backends.length ? `\nbackends: ${backends.map((b) => `${b.name} (${b.kind})`).join(', ')}` : ''}` +
      `${this.apiUrl ? `\nA1111 API: ${this.apiUrl}/sdapi/v1` : ''}\nClick for the logs.`;
    s.command = depth > 0 ? 'sdStudio.cancelJob' : 'sdStudio.showLogs';
    s.backgroundColor = undefined;
  }
}
