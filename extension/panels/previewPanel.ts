// One preview panel per .sdprompt file, beside its editor: follows the spec under the cursor, shows the live
// preview while a job of that file samples, the latest result, and a history strip of that spec's results.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { GenerationResult } from '../../daemon/protocol';
import type { PreviewState, ResultView } from '../../webviews/common/messages';
import type { SdContext } from '../sdContext';
import { galleryOps } from './galleryIntents';
import { resultViews, sendImageTo, type SendToRouter } from './generationIntents';
import { isAllowedPath, WebviewHost, webviewOptions } from './webviewHost';

export const PREVIEW_VIEW = 'sdStudio.preview';
const HISTORY = 24;

/** Index of the spec holding `line`: specs are separated by `---` lines (docs/sdprompt.md). */
export function specIndexAt(document: vscode.TextDocument, line: number): number {
  let index = 0;
  for (let i = 0; i < line && i < document.lineCount; i++) if (/^---[ \t]*$/.test(document.lineAt(i).text)) index++;
  return index;
}

class Preview {
  readonly history = new Map<number, ResultView[]>();
  specIndex = 0;
  /** A job is expected (showPreviewBeside was called without a result): follow the next job that runs. */
  waiting = false;
  jobId: string | undefined;
  live: PreviewState['live'];
  readonly host: WebviewHost;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly ctx: SdContext, readonly panel: vscode.WebviewPanel, readonly file: vscode.Uri, sendTo: SendToRouter, onDispose: () => void) {
    const gallery = galleryOps(ctx);
    this.host = new WebviewHost(ctx, panel.webview, 'preview', panel.title, {
      ...gallery,
      sendTo: ({ target, image, infotext }) => sendImageTo(ctx, sendTo, target, image, infotext),
      cancel: async ({ jobId }) => {
        await ctx.daemon.request('sd/job.cancel', { jobId });
      },
    }, () => ({ preview: this.state() }));
    this.subs.push(
      this.host.track(panel),
      ctx.daemon.onNotification('sd/job.state', (s) => {
        if (s.state === 'running' && this.waiting && !this.jobId) this.jobId = s.jobId;
        if (s.jobId === this.jobId && (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled')) {
          this.jobId = undefined;
          this.live = undefined;
          this.waiting = false;
          this.push();
        }
      }),
      ctx.daemon.onNotification('sd/job.preview', (p) => {
        if (p.jobId !== this.jobId) return;
        this.live = { src: `data:image/png;base64,${p.png}`, step: p.step, image: p.image };
        this.push();
      }),
      ctx.daemon.onNotification('sd/job.progress', (p) => {
        if (p.jobId === this.jobId) this.host.post({ type: 'progress', progress: p });
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const primary = e.selections[0];
        if (!primary || e.textEditor.document.uri.toString() !== file.toString()) return;
        const index = specIndexAt(e.textEditor.document, primary.active.line);
        if (index !== this.specIndex) {
          this.specIndex = index;
          this.push();
        }
      }),
    );
    panel.onDidDispose(() => {
      this.subs.forEach((s) => s.dispose());
      this.host.dispose();
      onDispose();
    });
  }

  state(): PreviewState {
    const history = this.history.get(this.specIndex) ?? [];
    return { file: basename(this.file.fsPath), uri: isAllowedPath(this.ctx, this.file.fsPath) ? this.file.toString() : undefined, specIndex: this.specIndex, running: this.jobId !== undefined || this.waiting, live: this.live, latest: history[0], history };
  }

  push(): void {
    this.host.post({ type: 'preview', preview: this.state() });
  }

  async add(specIndex: number, result: GenerationResult): Promise<void> {
    const views = await resultViews(this.ctx, this.panel.webview, result.images, result.backend);
    const list = this.history.get(specIndex) ?? [];
    this.history.set(specIndex, [...views.reverse(), ...list].slice(0, HISTORY));
    this.jobId = undefined;
    this.waiting = false;
    this.live = undefined;
  }
}

const previews = new Map<string, Preview>();

export async function showPreview(ctx: SdContext, sendTo: SendToRouter, document: vscode.TextDocument, specIndex: number, result?: GenerationResult): Promise<void> {
  const key = document.uri.toString();
  let preview = previews.get(key);
  if (!preview) {
    const panel = vscode.window.createWebviewPanel(PREVIEW_VIEW, `Preview ${basename(document.uri.fsPath)}`, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, webviewOptions(ctx));
    preview = new Preview(ctx, panel, document.uri, sendTo, () => previews.delete(key));
    previews.set(key, preview);
  } else if (!preview.panel.visible) {
    preview.host.hidden();
    preview.panel.reveal(vscode.ViewColumn.Beside, true);
  }
  preview.specIndex = specIndex;
  if (result) await preview.add(specIndex, result);
  else preview.waiting = true;
  preview.push();
}

/**
 * A preview panel restored after a reload: its file and its results per spec are in the webview's saved state.
 * Restored images keep only what the webview may see; a path is re-checked against the policy whenever used.
 */
export function revivePreview(ctx: SdContext, sendTo: SendToRouter, panel: vscode.WebviewPanel, state: unknown): void {
  const fileUri = typeof state === 'object' && state !== null && typeof (state as { uri?: unknown }).uri === 'string' ? (state as { uri: string }).uri : undefined;
  if (!fileUri) {
    panel.dispose();
    return;
  }
  const uri = vscode.Uri.parse(fileUri);
  const key = uri.toString();
  previews.get(key)?.panel.dispose();
  const preview = new Preview(ctx, panel, uri, sendTo, () => previews.delete(key));
  const saved = (state as { history?: unknown }).history;
  if (typeof saved === 'object' && saved !== null) {
    for (const [k, list] of Object.entries(saved)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || !Array.isArray(list)) continue;
      const views = list.filter((r): r is ResultView => typeof r?.image?.src === 'string' && typeof r?.image?.name === 'string' && (typeof r?.seed === 'number' || typeof r?.seed === 'string') && typeof r?.infotext === 'string');
      if (views.length) preview.history.set(i, views.slice(0, HISTORY));
    }
  }
  previews.set(key, preview);
}
