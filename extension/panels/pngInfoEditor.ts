// The PNG info custom editor (viewType sdStudio.pngInfo, read-only): the image and every field the daemon read
// (`sd/pngInfo.read`), grouped, with copy and send-to buttons and the raw chunks.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { PngInfoView } from '../../webviews/common/messages';
import type { SdContext } from '../sdContext';
import { galleryOps } from './galleryIntents';
import type { SendToRouter } from './generationIntents';
import { imageView, isAllowedPath, viewRef, WebviewHost } from './webviewHost';

export const PNG_INFO_VIEW = 'sdStudio.pngInfo';

class PngInfoProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly ctx: SdContext, private readonly sendTo: SendToRouter) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const ctx = this.ctx;
    const file = document.uri.fsPath;
    let params: import('../../daemon/protocol').Img2ImgParams | null = null;
    const host = new WebviewHost(ctx, panel.webview, 'pngInfo', `PNG Info: ${basename(file)}`, {
      copy: galleryOps(ctx).copy,
      saveSpec: galleryOps(ctx).saveSpec,
      openImage: galleryOps(ctx).openImage,
      sendTo: async ({ target, image }) => this.sendTo(target, { image: viewRef(ctx, image), params: params ?? undefined }),
    }, async () => {
      const image = await imageView(ctx, panel.webview, file);
      try {
        const r = await ctx.daemon.request('sd/pngInfo.read', { files: [file] });
        params = r.img2img[0] ?? null;
        const read = r.infos[0];
        if (!read) throw new Error(`The daemon returned no PNG info for ${basename(file)}.`);
        const info = { ...read, file: isAllowedPath(ctx, file) ? file : basename(file) };
        const view: PngInfoView = {
          image, info, hasParams: params !== null, warning: r.warnings[0] ?? null, infotext: r.infotexts[0] ?? null,
          a1111: { ...(params?.sampler_name !== undefined ? { sampler: params.sampler_name } : {}), ...(params?.scheduler !== undefined ? { scheduleType: params.scheduler } : {}) },
        };
        return { pngInfo: view };
      } catch (e) {
        return { seed: { image }, error: e instanceof Error ? e.message : String(e) };
      }
    });
    const tracking = host.track(panel);
    panel.onDidDispose(() => {
      tracking.dispose();
      host.dispose();
    });
  }
}

export function registerPngInfo(ctx: SdContext, sendTo: SendToRouter): vscode.Disposable {
  return vscode.window.registerCustomEditorProvider(PNG_INFO_VIEW, new PngInfoProvider(ctx, sendTo), {
    webviewOptions: { retainContextWhenHidden: false, enableFindWidget: true },
    supportsMultipleEditorsPerDocument: true,
  });
}
