// The extras panel: upscale (upscaler 1 + 2 with visibility, scale by / to) and restore faces on one image, a batch
// of files or a folder; before/after comparison in the webview. The daemon does the work (`sd/extras`, a job).
import * as vscode from 'vscode';
import type { ExtrasParams } from '../../daemon/protocol';
import type { ExtrasOptionKey, ImageInput, ImageView } from '../../webviews/common/messages';
import type { SdContext } from '../sdContext';
import type { PanelDef } from './singletonPanel';
import { galleryOps } from './galleryIntents';
import { resultViews, type SendToRouter } from './generationIntents';
import { followJob, jobTracker } from './panelJobs';
import { imageRef, imageView, isAllowedPath, viewRef } from './webviewHost';

export const EXTRAS_VIEW = 'sdStudio.extras';

/** The form fields the webview may set; anything else in its state (older drafts) is dropped. */
const OPTION_KEYS: readonly ExtrasOptionKey[] = [
  'resize_mode', 'upscaling_resize', 'upscaling_resize_w', 'upscaling_resize_h', 'upscaling_crop', 'max_side_length',
  'upscaler_1', 'upscaler_2', 'extras_upscaler_2_visibility', 'gfpgan_visibility', 'codeformer_visibility', 'codeformer_weight',
];

export function extrasPanel(sendTo: SendToRouter): PanelDef {
  return {
    viewType: EXTRAS_VIEW,
    kind: 'extras',
    title: 'Extras',
    handlers(ctx, host) {
      const jobs = jobTracker(ctx);
      return {
        onDispose: () => jobs.cancelAll(),
        handlers: {
          upscalers: () => ctx.daemon.request('sd/upscalers.list', {}),
          pickImages: async ({ many, folder }) => {
            const uris = await vscode.window.showOpenDialog({
              canSelectMany: many, canSelectFiles: !folder, canSelectFolders: !!folder,
              filters: folder ? undefined : { Images: ['png', 'jpg', 'jpeg', 'webp'] },
            });
            if (!uris) return [];
            if (folder) {
              const dir = uris[0]?.fsPath;
              if (!dir) return [];
              if (!isAllowedPath(ctx, dir)) throw new Error('Pick a folder inside the workspace, output or model folders.');
              return [{ name: dir.split(/[\\/]/).pop() ?? dir, src: '', path: dir }];
            }
            return Promise.all(uris.map((u) => imageView(ctx, host.webview, u.fsPath)));
          },
          extras: async ({ options, images, folder }) => {
            const jobId = `extras-${Date.now().toString(36)}`;
            const params: ExtrasParams = { jobId };
            for (const k of OPTION_KEYS) if (options[k] !== undefined) (params as Record<string, unknown>)[k] = options[k];
            let inputs: ImageInput[] = [];
            if (options.mode === 'folder') {
              if (!folder || !isAllowedPath(ctx, folder)) throw new Error('Pick an input folder first.');
              params.input_dir = folder;
            } else {
              inputs = options.mode === 'batch' ? images : images.slice(0, 1);
              if (!inputs.length) throw new Error(options.mode === 'batch' ? 'Add images first.' : 'Pick an image first.');
              params.images = inputs.map((im) => imageRef(ctx, im));
            }
            jobs.running.add(jobId);
            const follow = followJob(ctx, host, jobId);
            try {
              const res = await ctx.runJob('sd/extras', params, 'Extras');
              if (!res) return null;
              // e.g. the fallback face detector is in use: said once per job, beside the panel.
              for (const n of res.notices ?? []) void vscode.window.showWarningMessage(`SD Studio: ${n}`);
              const before: ImageView[] = [];
              const after: ImageView[] = [];
              const errors: string[] = [];
              for (const [i, im] of res.images.entries()) {
                if (im.error || (!im.path && !im.png)) { errors.push(`${label(im.source)}: ${im.error ?? 'no image'}`); continue; }
                const [view] = await resultViews(ctx, host.webview, [{ path: im.path, png: im.png, seed: i, infotext: im.info ?? '', width: im.width ?? 0, height: im.height ?? 0 }]);
                if (!view) continue;
                after.push(view.image);
                before.push(await beforeView(ctx, host.webview, im.source, inputs[i]));
              }
              return { jobId, before, after, errors };
            } finally {
              follow.dispose();
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

const label = (source: string) => source.split(/[\\/]/).pop() ?? source;

/** The "before" of one result: the input the webview gave, else the source file (folder mode) when it may see it. */
async function beforeView(ctx: SdContext, webview: vscode.Webview, source: string, input: ImageInput | undefined): Promise<ImageView> {
  if (input) return 'view' in input ? input.view : { name: input.name, src: imageRef(ctx, input) };
  if (isAllowedPath(ctx, source)) return imageView(ctx, webview, source);
  return { name: label(source), src: '' };
}
