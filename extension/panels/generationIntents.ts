// The img2img and inpaint panels' intents (generate, prompt stats, image picking, cancel/skip, send-to) and the
// views they and the other panels share (a seed, generated results). Each handler is a thin mapping onto the
// daemon protocol or a VS Code command; the webview only renders and asks.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { GenerationResult, Img2ImgParams, PromptMatrixParams, PromptsFromFileParams, XyzParams } from '../../daemon/protocol';
import type { ImageView, PanelKind, ResultView, ScriptOptions, SeedView } from '../../webviews/common/messages';
import type { PanelSeed, SdContext } from '../sdContext';
import { panelDefaults } from '../config';
import { galleryOps } from './galleryIntents';
import { followJob, jobTracker, type JobTracker } from './panelJobs';
import type { PanelDef } from './singletonPanel';
import { type Handlers, imageRef, imageView, pngView, viewRef, type WebviewHost } from './webviewHost';
import { generateParams, outpaintParams, scriptOptions } from './generateParams';

/** Where send-to buttons go; set by index.ts so panel files never import each other. */
export type SendToRouter = (target: 'img2img' | 'inpaint' | 'extras', seed: PanelSeed) => Promise<void>;

/** A seed (paths from the extension side) as the webview may see it. */
export async function seedView(ctx: SdContext, webview: vscode.Webview, seed: PanelSeed | undefined): Promise<SeedView | undefined> {
  if (!seed) return undefined;
  const view = async (ref: string | undefined): Promise<ImageView | undefined> => {
    if (!ref) return undefined;
    if (ref.startsWith('data:image/')) return { name: 'image.png', src: ref };
    try {
      return await imageView(ctx, webview, ref);
    } catch (e) {
      ctx.log.warn(`cannot read ${basename(ref)}: ${String(e)}`);
      return undefined;
    }
  };
  return { image: await view(seed.image), mask: await view(seed.mask), params: seed.params };
}

export async function resultViews(ctx: SdContext, webview: vscode.Webview, images: { path?: string; png?: string; seed: number | string; infotext: string; width: number; height: number }[], backend?: string): Promise<ResultView[]> {
  const out: ResultView[] = [];
  const remote = backend && backend !== 'local' ? { backend } : {};
  for (const img of images) {
    const image = img.path ? await imageView(ctx, webview, img.path) : img.png ? pngView(`${img.seed}.png`, img.png) : undefined;
    if (image) out.push({ image: { ...image, width: img.width, height: img.height }, seed: img.seed, infotext: img.infotext, ...remote });
  }
  return out;
}

/** The handlers img2img and inpaint share. */
export function generationOps(ctx: SdContext, host: WebviewHost, kind: PanelKind, jobs: JobTracker, sendTo: SendToRouter): Handlers {
  const webview = host.webview;
  return {
    samplers: () => ctx.daemon.request('sd/samplers.list', {}),
    // the hires fix section's upscaler choice
    upscalers: () => ctx.daemon.request('sd/upscalers.list', {}),
    modelInfo: () => ctx.daemon.request('models/info', {}),
    inspectPrompt: async ({ text, negative, steps }) => {
      const r = await ctx.daemon.request('sd/prompt.inspect', { text, negative, steps });
      return { tokenCount: r.tokenCount, chunks: Math.max(1, r.chunks.length), diagnostics: r.diagnostics };
    },
    pickImages: async ({ many, folder }) => {
      const uris = await vscode.window.showOpenDialog({
        canSelectMany: many, canSelectFiles: !folder, canSelectFolders: !!folder,
        filters: folder ? undefined : { Images: ['png', 'jpg', 'jpeg', 'webp'] },
        openLabel: folder ? 'Use folder' : 'Use image',
      });
      if (!uris) return [];
      return Promise.all(uris.filter((u) => u.scheme === 'file').map((u) => imageView(ctx, webview, u.fsPath)));
    },
    activeEditorImage: async () => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      const input = tab?.input;
      const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
      if (!uri || uri.scheme !== 'file' || !/\.(png|jpe?g|webp)$/i.test(uri.fsPath)) return null;
      return imageView(ctx, webview, uri.fsPath);
    },
    styles: () => ctx.daemon.request('sd/styles.list', {}),
    saveStyle: ({ style }) => ctx.daemon.request('sd/styles.save', { style }),
    applyStyles: (args) => ctx.daemon.request('sd/styles.apply', args),
    xyzAxes: () => ctx.daemon.request('sd/xyz.axes', { tab: kind === 'img2img' ? undefined : 'img2img' }),
    generate: async ({ params, init, mask, inpaint, outpaint, script: chosen }) => {
      // Outpainting runs A1111's script with its own mask and blur (and masked content "fill"), not the inpaint form's.
      // Only the forms' fields go to the daemon (generateParams.ts); the images come from the host's own refs.
      const full = generateParams(params, outpaint ? undefined : inpaint, `${kind}-${Date.now().toString(36)}`);
      const jobId = full.jobId;
      const script = scriptOptions(chosen);
      full.init_images = init ? [imageRef(ctx, init)] : [];
      if (mask && !outpaint) full.mask = imageRef(ctx, mask);
      jobs.running.add(jobId);
      const follow = followJob(ctx, host, jobId);
      try {
        // Outpainting is the daemon's: it grows the canvas and masks the new area (sd/outpaint), then inpaints.
        // A script runs the job as its base (X/Y/Z plot, prompt matrix, prompts from file); grids come first.
        const res = script ? await runScript(ctx, script, { ...full, jobId: undefined }, jobId)
          : outpaint
            ? await ctx.runJob('sd/outpaint', { ...full, ...outpaintParams(outpaint) }, 'Outpaint')
            : await ctx.runJob('sd/img2img', full, kind === 'inpaint' ? 'Inpaint' : 'img2img');
        if (!res) return null;
        const grids = (await resultViews(ctx, webview, res.grids ?? [], res.backend)).map((v) => ({ ...v, grid: true }));
        return { jobId, results: [...grids, ...await resultViews(ctx, webview, res.images, res.backend)], ...(res.warnings?.length ? { warnings: res.warnings } : {}) };
      } finally {
        follow.dispose();
        jobs.running.delete(jobId);
      }
    },
    cancel: async ({ jobId }) => {
      await ctx.daemon.request('sd/job.cancel', { jobId });
    },
    skip: async ({ jobId }) => {
      await ctx.daemon.request('sd/job.skip', { jobId });
    },
    interrogate: async ({ image, method }) => {
      const r = await ctx.runJob('sd/interrogate', { images: [imageRef(ctx, image)], model: method }, method === 'clip' ? 'Interrogate CLIP' : 'Interrogate DeepBooru');
      if (!r) return null;
      const first = r.images[0];
      if (!first || first.error !== undefined || first.caption === undefined) throw new Error(first?.error ?? 'interrogation gave no text');
      return { caption: first.caption };
    },
    aestheticEmbeddings: () => ctx.daemon.request('sd/aesthetic.list', {}),
    sendTo: ({ target, image, infotext }) => sendImageTo(ctx, sendTo, target, image, infotext),
    ...galleryOps(ctx),
  };
}

/** A script job from the panel's Script dropdown. */
function runScript(ctx: SdContext, script: ScriptOptions, params: Img2ImgParams, jobId: string): Promise<GenerationResult | undefined> {
  const { kind, ...options } = script;
  if (kind === 'xyz') return ctx.runJob('sd/xyz', { ...options, params, jobId } as XyzParams, 'X/Y/Z plot');
  if (kind === 'promptMatrix') return ctx.runJob('sd/promptMatrix', { ...options, params, jobId } as PromptMatrixParams, 'Prompt matrix');
  return ctx.runJob('sd/promptsFromFile', { ...options, params, jobId } as PromptsFromFileParams, 'Prompts from file');
}

/** The img2img and inpaint panels differ by their webview only: the host side is this one definition. */
export function generationPanelDef(kind: 'img2img' | 'inpaint', viewType: string, title: string, sendTo: SendToRouter): PanelDef {
  return {
    viewType,
    kind,
    title,
    initFields: () => ({ defaults: panelDefaults() }),
    handlers(ctx, host) {
      const jobs = jobTracker(ctx);
      return { handlers: generationOps(ctx, host, kind, jobs, sendTo), onDispose: () => jobs.cancelAll() };
    },
  };
}

/**
 * A gallery image (and its infotext, pasted as A1111 pastes it) to another panel; settings SD Studio cannot apply
 * yet (Refiner, ControlNet, …) are named in a warning rather than dropped silently.
 */
export async function sendImageTo(ctx: SdContext, sendTo: SendToRouter, target: 'img2img' | 'inpaint' | 'extras', image: ImageView, infotext: string | undefined): Promise<void> {
  let params: Img2ImgParams | undefined;
  if (infotext) {
    const parsed = await ctx.daemon.request('sd/infotext.parse', { text: infotext });
    params = parsed.params;
    if (parsed.warning) void vscode.window.showWarningMessage(parsed.warning);
  }
  await sendTo(target, { image: viewRef(ctx, image), params });
}
