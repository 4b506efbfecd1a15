// The createOrShow / revive / dispose life of a panel that exists once per window (img2img, inpaint, extras,
// merger). A panel file supplies its view type, title and handlers; this file keeps the one instance.
import * as vscode from 'vscode';
import type { PanelKind, SeedView } from '../../webviews/common/messages';
import type { PanelSeed, SdContext } from '../sdContext';
import { seedView } from './generationIntents';
import { type Handlers, type InitFields, WebviewHost, webviewOptions } from './webviewHost';

export interface PanelDef {
  viewType: string;
  kind: PanelKind;
  title: string;
  /** Handlers of this panel's intents; `onDispose` runs when the panel closes (cancel its jobs). */
  handlers(ctx: SdContext, host: WebviewHost): { handlers: Handlers; onDispose?: () => void };
  /** What this panel's `init` carries besides the seed (read at each `ready`, so settings changes show). */
  initFields?(): Omit<InitFields, 'seed'>;
}

interface Live {
  panel: vscode.WebviewPanel;
  host: WebviewHost;
}

const live = new Map<string, Live>();

/** Show the panel (creating it when needed) and hand it the seed. */
export async function createOrShow(ctx: SdContext, def: PanelDef, seed?: PanelSeed): Promise<void> {
  const existing = live.get(def.viewType);
  if (existing) {
    if (!existing.panel.visible) existing.host.hidden();
    existing.panel.reveal(existing.panel.viewColumn);
    const view = await seedView(ctx, existing.panel.webview, seed);
    if (view) existing.host.post({ type: 'seed', seed: view });
    return;
  }
  const panel = vscode.window.createWebviewPanel(def.viewType, def.title, vscode.ViewColumn.Active, webviewOptions(ctx));
  attach(ctx, def, panel, seed);
}

/** Re-attach a panel VS Code restored after a reload; the webview restores its draft from getState. */
export function revive(ctx: SdContext, def: PanelDef, panel: vscode.WebviewPanel): void {
  live.get(def.viewType)?.panel.dispose();
  attach(ctx, def, panel, undefined);
}

function attach(ctx: SdContext, def: PanelDef, panel: vscode.WebviewPanel, seed: PanelSeed | undefined): void {
  let pendingSeed: PanelSeed | undefined = seed;
  let handlers: Handlers = {};
  let onDispose: (() => void) | undefined;
  const host = new WebviewHost(ctx, panel.webview, def.kind, def.title, new Proxy({}, { get: (_t, op: string) => (handlers as Record<string, unknown>)[op] }) as Handlers, async () => {
    const s: SeedView | undefined = await seedView(ctx, panel.webview, pendingSeed);
    pendingSeed = undefined;
    return { ...def.initFields?.(), seed: s };
  });
  ({ handlers, onDispose } = def.handlers(ctx, host));
  const tracking = host.track(panel);
  const entry = { panel, host };
  live.set(def.viewType, entry);
  panel.onDidDispose(() => {
    if (live.get(def.viewType) === entry) live.delete(def.viewType);
    onDispose?.();
    tracking.dispose();
    host.dispose();
  });
}

/** Panels open now (tests and the command table use it to find a panel). */
export function openPanel(viewType: string): vscode.WebviewPanel | undefined {
  return live.get(viewType)?.panel;
}
