// What the command table calls (see extension/sdContext.ts). Panel files never import each other: send-to
// buttons are routed through `sendTo` here.
import * as vscode from 'vscode';
import type { GenerationResult } from '../../daemon/protocol';
import type { PanelOpener, PanelSeed, SdContext } from '../sdContext';
import { EXTRAS_VIEW, extrasPanel } from './extrasPanel';
import { IMG2IMG_VIEW, img2imgPanel } from './img2imgPanel';
import { INPAINT_VIEW, inpaintPanel } from './inpaintPanel';
import { MERGER_VIEW, mergerPanel } from './mergerPanel';
import { registerPngInfo } from './pngInfoEditor';
import { PREVIEW_VIEW, revivePreview, showPreview } from './previewPanel';
import type { SendToRouter } from './generationIntents';
import { createOrShow, type PanelDef, revive } from './singletonPanel';

let router: { ctx: SdContext } | undefined;
const sendTo: SendToRouter = async (target, seed) => {
  if (!router) throw new Error('SD Studio panels are not ready.');
  const open = { img2img: openImg2Img, inpaint: openInpaint, extras: openExtras }[target];
  await open(router.ctx, seed);
};

const defs = {
  [IMG2IMG_VIEW]: img2imgPanel(sendTo),
  [INPAINT_VIEW]: inpaintPanel(sendTo),
  [EXTRAS_VIEW]: extrasPanel(sendTo),
  [MERGER_VIEW]: mergerPanel(),
} satisfies Record<string, PanelDef>;

function remember(ctx: SdContext): SdContext {
  router = { ctx };
  return ctx;
}

export const openImg2Img: PanelOpener = (ctx, seed?: PanelSeed) => createOrShow(remember(ctx), defs[IMG2IMG_VIEW], seed);
export const openInpaint: PanelOpener = (ctx, seed?: PanelSeed) => createOrShow(remember(ctx), defs[INPAINT_VIEW], seed);
export const openExtras: PanelOpener = (ctx, seed?: PanelSeed) => createOrShow(remember(ctx), defs[EXTRAS_VIEW], seed);
export const openMerger: PanelOpener = (ctx) => createOrShow(remember(ctx), defs[MERGER_VIEW]);

/** The read-only PNG info editor for .png/.jpg/.webp (viewType sdStudio.pngInfo). */
export function registerPngInfoEditor(ctx: SdContext): vscode.Disposable {
  return registerPngInfo(remember(ctx), sendTo);
}

/** Show (or update) the preview beside a .sdprompt editor; call without result when a job starts, with it when it ends. */
export function showPreviewBeside(ctx: SdContext, document: vscode.TextDocument, specIndex: number, result?: GenerationResult): Promise<void> {
  return showPreview(remember(ctx), sendTo, document, specIndex, result);
}

/** Serializers so open panels come back after a window reload, drafts restored from their webview state. */
export function registerPanelSerializers(ctx: SdContext): vscode.Disposable {
  remember(ctx);
  const subs: vscode.Disposable[] = Object.values(defs).map((def) =>
    vscode.window.registerWebviewPanelSerializer(def.viewType, {
      deserializeWebviewPanel: async (panel) => revive(ctx, def, panel),
    }),
  );
  subs.push(
    vscode.window.registerWebviewPanelSerializer(PREVIEW_VIEW, {
      deserializeWebviewPanel: async (panel, state) => revivePreview(ctx, sendTo, panel, state),
    }),
  );
  return vscode.Disposable.from(...subs);
}

/** View types, for package.json `activationEvents` (onWebviewPanel:<type>) and tests. */
export const PANEL_VIEW_TYPES = [IMG2IMG_VIEW, INPAINT_VIEW, EXTRAS_VIEW, MERGER_VIEW, PREVIEW_VIEW] as const;
