// The route table of A1111 1.10's /sdapi/v1 as SD Studio serves it: one line per endpoint.
import type { ApiContext } from './context';
import { HttpError } from './errors';
import { parseRequest } from './fields';
import { generate, imageData } from './generate';
import type { ApiRequest, Route } from './http';
import { extraBatchImages, extraSingleImage, pngInfo } from './images';
import * as lists from './listings';
import { openApiDocument } from './openapi';
import { scriptInfo, scriptsList } from './scripts';

/** A1111's /sdapi/v1/interrogate: one image through `sd/interrogate` ("deepdanbooru" is A1111's name for DeepBooru). */
async function interrogate(api: ApiContext, body: unknown): Promise<unknown> {
  const { values } = parseRequest(body, [['image', 'string', ''], ['model', 'string', 'clip']]);
  if (!values.image) throw new HttpError(404, 'Image not found');
  const image = imageData(values.image, 'image');
  const model = (values.model as string | null) ?? 'clip';
  if (model !== 'clip' && model !== 'deepdanbooru') throw new HttpError(404, 'Model not found');
  const r = await api.server.call('sd/interrogate', { images: [image], model });
  const first = r.images[0];
  if (!first || first.error !== undefined) throw new HttpError(500, first?.error ?? 'interrogation gave no text');
  return { caption: first.caption ?? null };
}

/** A1111's Interrupt and Skip act on whatever runs now. */
function control(api: ApiContext, what: 'interrupt' | 'skip'): void {
  for (const j of api.server.jobs.active()) {
    api.progress.mark(j.jobId, what === 'interrupt' ? 'interrupted' : 'skipped');
    if (what === 'interrupt') api.server.jobs.interrupt(j.jobId);
    else api.server.jobs.skip(j.jobId);
  }
}

export function apiRoutes(api: ApiContext): Route[] {
  const get = (path: string, summary: string, handler: (r: ApiRequest) => unknown): Route => ({ method: 'GET', path: `/sdapi/v1/${path}`, summary, handler });
  const post = (path: string, summary: string, handler: (r: ApiRequest) => unknown): Route => ({ method: 'POST', path: `/sdapi/v1/${path}`, summary, handler });
  const routes: Route[] = [
    post('txt2img', 'Text to image', (r) => generate(api, r.body, false)),
    post('img2img', 'Image to image (inpainting with a mask)', (r) => generate(api, r.body, true)),
    post('extra-single-image', 'Upscale / restore faces of one image', (r) => extraSingleImage(api, r.body)),
    post('extra-batch-images', 'Upscale / restore faces of several images', (r) => extraBatchImages(api, r.body)),
    post('png-info', 'Generation info of an image', (r) => pngInfo(r.body)),
    post('interrogate', 'Describe an image (CLIP / DeepBooru)', (r) => interrogate(api, r.body)),
    get('progress', 'Progress of the running job, with a preview', (r) => api.progress.response(/^(1|true|yes|on)$/i.test(r.query.get('skip_current_image') ?? ''))),
    post('interrupt', 'Stop the running job, keeping what is done', () => (control(api, 'interrupt'), {})),
    post('skip', 'Skip the current batch of the running job', () => void control(api, 'skip')),
    get('options', 'Settings, by A1111 option name', () => api.options.get()),
    post('options', 'Change settings', async (r) => {
      if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) throw new HttpError(422, 'expected a JSON object of option names and values');
      await api.options.set(r.body as Record<string, unknown>);
      return null;
    }),
    get('sd-models', 'Checkpoints', () => lists.sdModels(api)),
    get('sd-vae', 'VAE files', () => lists.sdVae(api)),
    get('samplers', 'Samplers', () => lists.samplers()),
    get('schedulers', 'Schedule types', () => lists.schedulers()),
    get('upscalers', 'Upscalers', () => lists.upscalers(api)),
    get('latent-upscale-modes', 'Latent upscale modes', () => lists.latentUpscaleModes()),
    get('face-restorers', 'Face restorers', () => lists.faceRestorers(api)),
    get('loras', 'LoRA files', () => lists.loras(api)),
    get('embeddings', 'Textual-inversion embeddings', () => lists.embeddings(api)),
    get('prompt-styles', 'Prompt styles (styles.csv)', () => lists.promptStyles(api)),
    get('scripts', 'Scripts by tab', () => scriptsList()),
    get('script-info', 'Scripts and their script_args', () => scriptInfo()),
    get('memory', 'Memory use', () => lists.memory(api)),
    // Lists are read from disk on every request: refreshing is a no-op kept for clients that call it.
    post('refresh-checkpoints', 'Rescan checkpoints', () => null),
    post('refresh-vae', 'Rescan VAE files', () => null),
    post('refresh-loras', 'Rescan LoRA files', () => null),
    post('refresh-embeddings', 'Rescan embeddings', () => null),
  ];
  routes.push({ method: 'GET', path: '/openapi.json', summary: 'This document', handler: () => openApiDocument(routes) });
  return routes;
}
