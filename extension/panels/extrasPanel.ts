// The extras panel: upscale (upscaler 1 + 2 with visibility, scale by / to) and restore faces on one image, a batch
// of files or a folder; before/after comparison in the webview. The daemon does the work (`sd/extras`).
import * as vscode from 'vscode';
import type { ImageView } from '../../webviews/common/messages';
import type { SdContext } from '../sdContext';
import type { PanelDef } from './singletonPanel';
import { galleryOps, jobTracker, resultViews, type SendToRouter } from './sharedOps';
import { imageRef, imageView, isAllowedPath, viewRef } from './webviewHost';

export const EXTRAS_VIEW = 'sdStudio.extras';

/** The daemon's extras call, typed locally until `sd/extras` / `sd/upscalers.list` land in protocol.ts. */
interface ExtrasCall {
  request(method: 'sd/extras', params: Record<string, unknown>): Promise<{ jobId?: string; images: { path?: string; png?: string; width?: number; height?: number }[] }>;
  request(method: 'sd/upscalers.list', params: Record<string, never>): Promise<{ upscalers: ({ name: string } | string)[]; faceRestorers?: ({ name: string } | string)[] }>;
}

export function extrasPanel(sendTo: SendToRouter): PanelDef {
  return {
    viewType: EXTRAS_VIEW,
    kind: 'extras',
    title: 'Extras',
    handlers(ctx, host) {
      const jobs = jobTracker(ctx);
      const daemon = ctx.daemon as unknown as ExtrasCall;
      const names = (xs: ({ name: string } | string)[] | undefined) => (xs ?? []).map((x) => (typeof x === 'string' ? x : x.name));
      return {
        onDispose: () => jobs.cancelAll(),
        handlers: {
          upscalers: async () => {
            const r = await daemon.request('sd/upscalers.list', {});
            return { upscalers: names(r.upscalers), faceRestorers: names(r.faceRestorers) };
          },
          pickImages: async ({ many, folder }) => {
            const uris = await vscode.window.showOpenDialog({
              canSelectMany: many, canSelectFiles: !folder, canSelectFolders: !!folder,
              filters: folder ? undefined : { Images: ['png', 'jpg', 'jpeg', 'webp'] },
            });
            if (!uris) return [];
            if (folder) {
              const dir = uris[0].fsPath;
              if (!isAllowedPath(ctx, dir)) throw new Error('Pick a folder inside the workspace, output or model folders.');
              return [{ name: dir.split(/[\\/]/).pop() ?? dir, src: '', path: dir }];
            }
            return Promise.all(uris.map((u) => imageView(ctx, host.webview, u.fsPath)));
          },
          extras: async ({ options, images, folder }) => {
            const jobId = `extras-${Date.now().toString(36)}`;
            const params: Record<string, unknown> = { ...options, jobId };
            delete params.mode;
            if (options.mode === 'folder') {
              if (!folder || !isAllowedPath(ctx, folder)) throw new Error('Pick an input folder first.');
              params.input_dir = folder;
            } else if (options.mode === 'batch') {
              params.imageList = images.map((im, i) => ({ data: imageRef(ctx, im), name: 'view' in im ? im.view.name : im.name ?? `image-${i}.png` }));
            } else {
              if (!images[0]) throw new Error('Pick an image first.');
              params.image = imageRef(ctx, images[0]);
            }
            jobs.running.add(jobId);
            try {
              const res = await runExtras(ctx, daemon, params);
              const after = await resultViews(ctx, host.webview, res.images.map((im, i) => ({ ...im, seed: i, infotext: '', width: im.width ?? 0, height: im.height ?? 0 })));
              const before: ImageView[] = images.map((im) => ('view' in im ? im.view : { name: im.name, src: imageRef(ctx, im) }));
              return { before, after: after.map((r) => r.image) };
            } finally {
              jobs.running.delete(jobId);
            }
          },
          cancel: async ({ jobId }) => {
            await ctx.daemon.request('sd/job.cancel', { jobId });
          },
          sendTo: async ({ target, image }) => sendTo(target, { image: viewRef(ctx, image) }),
          ...galleryOps(ctx),
        },
      };
    },
  };
}

async function runExtras(ctx: SdContext, daemon: ExtrasCall, params: Record<string, unknown>) {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Extras', cancellable: true }, async (_p, token) => {
    token.onCancellationRequested(() => void ctx.daemon.request('sd/job.cancel', { jobId: String(params.jobId) }).catch(() => undefined));
    return daemon.request('sd/extras', params);
  });
}
