// The seam between the extension's core (daemon client, commands, settings, status bar) and its panels.
// Core implements SdContext; panels (extension/panels/) receive it and never import each other.
import type * as vscode from 'vscode';
import type { Img2ImgParams, NotificationMethod, NotificationTypes, ParamsOf, RequestMethod, ResultOf } from '../daemon/protocol';

/** Typed access to the daemon; requests fail with a clear "daemon not running" error while it is down. */
export interface DaemonHandle {
  request<M extends RequestMethod>(method: M, params: ParamsOf<M>, token?: vscode.CancellationToken): Promise<ResultOf<M>>;
  onNotification<M extends NotificationMethod>(method: M, handler: (params: NotificationTypes[M]) => void): vscode.Disposable;
  readonly running: boolean;
  /** Fires when the daemon (re)starts or stops. */
  readonly onDidChangeState: vscode.Event<boolean>;
}

export interface SdContext {
  readonly extension: vscode.ExtensionContext;
  readonly daemon: DaemonHandle;
  /**
   * Run a job request with a VS Code progress notification (step i/n, ETA) that can cancel it; resolves with the
   * result, or undefined when the user cancelled. Errors are shown to the user and rethrown.
   */
  runJob<M extends RequestMethod>(method: M, params: ParamsOf<M> & { jobId?: string }, title: string): Promise<ResultOf<M> | undefined>;
  /** Folders whose files a webview may show: workspace folders, the output folder, the model folders. */
  allowedRoots(): vscode.Uri[];
  /** Output channel for logs. */
  readonly log: vscode.LogOutputChannel;
}

/** What a panel can be opened with (send-to buttons, "Regenerate from image…", the PNG info editor). */
export interface PanelSeed {
  /** An image to start from (absolute path). */
  image?: string;
  mask?: string;
  params?: Img2ImgParams;
}

/**
 * Entry points the panels module (extension/panels/index.ts) exports; the command table calls only these.
 *   openImg2Img(ctx, seed?), openInpaint(ctx, seed?), openExtras(ctx, seed?), openMerger(ctx),
 *   registerPngInfoEditor(ctx): vscode.Disposable   (custom editor viewType "sdStudio.pngInfo"),
 *   showPreviewBeside(ctx, document: vscode.TextDocument, specIndex: number, result?: GenerationResult),
 *   registerPanelSerializers(ctx): vscode.Disposable  (panels survive reloads)
 */
export type PanelOpener = (ctx: SdContext, seed?: PanelSeed) => Promise<void>;
