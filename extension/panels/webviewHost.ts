// The only place that writes webview HTML and talks to webviews. Every panel and the PNG info editor go through
// WebviewHost: strict CSP (default-src 'none', scripts only with a fresh crypto nonce per render), local files only
// through asWebviewUri with narrow localResourceRoots, a ready → init handshake, typed request/reply by id, and
// the path policy: a webview never receives a file path outside ctx.allowedRoots().
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, relative, isAbsolute, resolve } from 'node:path';
import type { SdContext } from '../sdContext';
import type { HostMessage, HostOp, HostOps, ImageInput, ImageView, PanelKind, WebviewMessage } from '../../webviews/common/messages';

export type Handlers = { [K in HostOp]?: (args: HostOps[K]['args']) => Promise<HostOps[K]['result']> };
export type InitFields = Omit<Extract<HostMessage, { type: 'init' }>, 'type' | 'panel' | 'daemonRunning'>;

/** The codicon font and its CSS (@vscode/codicons, shipped in the .vsix: see .vscodeignore). */
export function codiconsRoot(ctx: SdContext): vscode.Uri {
  return vscode.Uri.joinPath(ctx.extension.extensionUri, 'node_modules', '@vscode', 'codicons', 'dist');
}

/** Folders a panel's webview may load from: our bundles and the codicons, plus the workspace, output and model folders. */
export function resourceRoots(ctx: SdContext): vscode.Uri[] {
  return [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webviews'), codiconsRoot(ctx), ...ctx.allowedRoots()];
}

export function webviewOptions(ctx: SdContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: resourceRoots(ctx), retainContextWhenHidden: false };
}

/** Whether `path` lies inside one of the allowed roots (workspace, output folder, model folders). */
export function isAllowedPath(ctx: SdContext, path: string): boolean {
  if (!isAbsolute(path)) return false;
  const p = resolve(path);
  return ctx.allowedRoots().some((root) => {
    if (root.scheme !== 'file') return false;
    const rel = relative(resolve(root.fsPath), p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  });
}

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp' };
export const mimeOf = (path: string): string => MIME[extname(path).toLowerCase()] ?? 'image/png';

/** An image file as a webview may see it: by URI and path inside the allowed roots, else by its bytes only. */
export async function imageView(ctx: SdContext, webview: vscode.Webview, path: string): Promise<ImageView> {
  if (isAllowedPath(ctx, path)) {
    // a query string per call, so an overwritten file is not served from the webview's cache
    const src = webview.asWebviewUri(vscode.Uri.file(path)).with({ query: `v=${Date.now()}` }).toString();
    return { name: basename(path), src, path };
  }
  const bytes = await readFile(path);
  return { name: basename(path), src: `data:${mimeOf(path)};base64,${bytes.toString('base64')}` };
}

export function pngView(name: string, base64: string): ImageView {
  return { name, src: `data:image/png;base64,${base64}` };
}

/** The daemon's ImageRef for an image a webview handed back; paths are re-checked against the policy. */
export function imageRef(ctx: SdContext, input: ImageInput): string {
  if ('bytes' in input) return `data:${input.mime || 'image/png'};base64,${Buffer.from(input.bytes).toString('base64')}`;
  return viewRef(ctx, input.view);
}

export function viewRef(ctx: SdContext, view: ImageView): string {
  if (view.path !== undefined) {
    if (!isAllowedPath(ctx, view.path)) throw new Error(`Not an allowed image path: ${basename(view.path)}`);
    return view.path;
  }
  if (view.src.startsWith('data:image/')) return view.src;
  throw new Error('The image has neither an allowed path nor data.');
}

/** A file path (or null) for a view, only when it is inside the allowed roots. */
export function viewPath(ctx: SdContext, view: ImageView): string | undefined {
  return view.path !== undefined && isAllowedPath(ctx, view.path) ? view.path : undefined;
}

export function nonce(): string {
  return randomBytes(18).toString('base64');
}

/** The HTML of a panel: a shell the bundle `dist/webviews/<kind>.js` fills in. */
export function renderHtml(ctx: SdContext, webview: vscode.Webview, kind: PanelKind, title: string): string {
  const n = nonce();
  const base = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'webviews');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(base, `${kind}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(base, `${kind}.css`));
  // codicon.css loads codicon.ttf by a relative URL, so the font comes from the same webview resource root
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(codiconsRoot(ctx), 'codicon.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${n}'`,
  ].join('; ');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="codicon-css">
<link rel="stylesheet" href="${style}">
<title>${esc(title)}</title>
</head>
<body data-panel="${kind}">
<div id="app" class="app" aria-busy="true"></div>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
}

/**
 * One webview's side of the conversation. Messages posted before the webview said `ready` are queued, so
 * nothing is lost while the page loads; requests are answered by id (the webview times them out).
 */
export class WebviewHost implements vscode.Disposable {
  private ready = false;
  private queue: HostMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: SdContext,
    readonly webview: vscode.Webview,
    private readonly kind: PanelKind,
    title: string,
    private readonly handlers: Handlers,
    private readonly init: () => InitFields | Promise<InitFields>,
  ) {
    webview.options = webviewOptions(ctx);
    this.disposables.push(
      webview.onDidReceiveMessage((m: WebviewMessage) => void this.receive(m)),
      ctx.daemon.onDidChangeState((running) => this.post({ type: 'daemon', running })),
    );
    webview.html = renderHtml(ctx, webview, kind, title);
  }

  /**
   * The page went away (panel hidden without retainContextWhenHidden, or reloading): queue messages until the
   * next `ready`, so a send-to into a hidden panel is not lost.
   */
  hidden(): void {
    this.ready = false;
  }

  /** Call with a panel's onDidChangeViewState so hiding it queues messages. */
  track(panel: vscode.WebviewPanel): vscode.Disposable {
    return panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) this.hidden();
    });
  }

  post(message: HostMessage): void {
    if (!this.ready) {
      this.queue.push(message);
      return;
    }
    void this.webview.postMessage(message);
  }

  private async receive(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready': {
        // a reload of the page (hide/show without retainContext) says ready again: init again
        this.ready = false;
        const fields = await this.init();
        this.ready = true;
        void this.webview.postMessage({ type: 'init', panel: this.kind, daemonRunning: this.ctx.daemon.running, ...fields } satisfies HostMessage);
        for (const q of this.queue.splice(0)) void this.webview.postMessage(q);
        return;
      }
      case 'request': {
        const handler = this.handlers[m.op] as ((a: unknown) => Promise<unknown>) | undefined;
        try {
          if (!handler) throw new Error(`The ${this.kind} panel does not handle "${m.op}".`);
          const result = await handler(m.args);
          this.post({ type: 'reply', id: m.id, ok: true, result: result ?? null });
        } catch (e) {
          const error = e instanceof Error ? e.message : String(e);
          this.ctx.log.warn(`[${this.kind}] ${m.op} failed: ${error}`);
          this.post({ type: 'reply', id: m.id, ok: false, error });
        }
        return;
      }
      default: {
        const never: never = m;
        this.ctx.log.warn(`[${this.kind}] unknown message ${JSON.stringify(never)}`);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
