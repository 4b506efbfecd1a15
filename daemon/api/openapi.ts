// /openapi.json: the API as an OpenAPI 3 document (FastAPI serves one at the same path), with the request models
// built from the same field tables the endpoints check requests against.
import { EXTRAS_FIELDS, IMG2IMG_FIELDS, TXT2IMG_FIELDS, type FieldSpec } from './fields';
import type { Route } from './http';

function schema(title: string, fields: readonly FieldSpec[], required: string[] = []): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, type, def] of fields) {
    properties[name] = { title: name.split('_').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' '), type, ...(def !== null ? { default: def } : { nullable: true }) };
  }
  return { title, type: 'object', properties, ...(required.length ? { required } : {}) };
}

const obj = (title: string, props: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({ title, type: 'object', properties: props, required });
const str = { type: 'string' };
const strArray = { type: 'array', items: str };

const SCHEMAS: Record<string, unknown> = {
  StableDiffusionProcessingTxt2Img: schema('StableDiffusionProcessingTxt2Img', TXT2IMG_FIELDS),
  StableDiffusionProcessingImg2Img: schema('StableDiffusionProcessingImg2Img', IMG2IMG_FIELDS),
  ExtrasSingleImageRequest: schema('ExtrasSingleImageRequest', [...EXTRAS_FIELDS, ['image', 'string', '']]),
  ExtrasBatchImagesRequest: schema('ExtrasBatchImagesRequest', [...EXTRAS_FIELDS, ['imageList', 'array', null]], ['imageList']),
  PNGInfoRequest: obj('PNGInfoRequest', { image: str }, ['image']),
  InterrogateRequest: obj('InterrogateRequest', { image: { ...str, default: '' }, model: { ...str, default: 'clip' } }),
  TextToImageResponse: obj('TextToImageResponse', { images: strArray, parameters: { type: 'object' }, info: str }, ['parameters', 'info']),
  ImageToImageResponse: obj('ImageToImageResponse', { images: strArray, parameters: { type: 'object' }, info: str }, ['parameters', 'info']),
  ExtrasSingleImageResponse: obj('ExtrasSingleImageResponse', { html_info: str, image: str }, ['html_info']),
  ExtrasBatchImagesResponse: obj('ExtrasBatchImagesResponse', { html_info: str, images: strArray }, ['html_info', 'images']),
  PNGInfoResponse: obj('PNGInfoResponse', { info: str, items: { type: 'object' }, parameters: { type: 'object' } }, ['info', 'items', 'parameters']),
  ProgressResponse: obj('ProgressResponse', { progress: { type: 'number' }, eta_relative: { type: 'number' }, state: { type: 'object' }, current_image: str, textinfo: str }, ['progress', 'eta_relative', 'state']),
  InterrogateResponse: obj('InterrogateResponse', { caption: str }),
  ScriptsList: obj('ScriptsList', { txt2img: strArray, img2img: strArray }),
  ScriptArg: obj('ScriptArg', { label: str, value: {}, minimum: {}, maximum: {}, step: {}, choices: strArray }),
  ScriptInfo: obj('ScriptInfo', {
    name: str, is_alwayson: { type: 'boolean' }, is_img2img: { type: 'boolean' }, args: { type: 'array', items: { $ref: '#/components/schemas/ScriptArg' } },
  }, ['args']),
  PromptStyleItem: obj('PromptStyleItem', { name: str, prompt: str, negative_prompt: str }, ['name']),
};

const REQUEST: Record<string, string> = {
  '/sdapi/v1/txt2img': 'StableDiffusionProcessingTxt2Img',
  '/sdapi/v1/img2img': 'StableDiffusionProcessingImg2Img',
  '/sdapi/v1/extra-single-image': 'ExtrasSingleImageRequest',
  '/sdapi/v1/extra-batch-images': 'ExtrasBatchImagesRequest',
  '/sdapi/v1/png-info': 'PNGInfoRequest',
  '/sdapi/v1/interrogate': 'InterrogateRequest',
};
const RESPONSE: Record<string, string> = {
  '/sdapi/v1/txt2img': 'TextToImageResponse',
  '/sdapi/v1/img2img': 'ImageToImageResponse',
  '/sdapi/v1/extra-single-image': 'ExtrasSingleImageResponse',
  '/sdapi/v1/extra-batch-images': 'ExtrasBatchImagesResponse',
  '/sdapi/v1/png-info': 'PNGInfoResponse',
  '/sdapi/v1/progress': 'ProgressResponse',
  '/sdapi/v1/interrogate': 'InterrogateResponse',
  '/sdapi/v1/scripts': 'ScriptsList',
};
/** Endpoints answering a list of one schema. */
const LIST_RESPONSE: Record<string, string> = {
  '/sdapi/v1/script-info': 'ScriptInfo',
  '/sdapi/v1/prompt-styles': 'PromptStyleItem',
};

const ref = (name: string): unknown => ({ $ref: `#/components/schemas/${name}` });

export function openApiDocument(routes: readonly Route[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const req = r.method === 'POST' ? REQUEST[r.path] : undefined;
    const res = RESPONSE[r.path];
    const list = LIST_RESPONSE[r.path];
    (paths[r.path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      operationId: `${r.path.replace(/^\/sdapi\/v1\//, '').replace(/[^a-z0-9]+/gi, '_')}_${r.method.toLowerCase()}`,
      ...(req ? { requestBody: { required: true, content: { 'application/json': { schema: ref(req) } } } } : {}),
      responses: {
        200: { description: 'Successful Response', content: { 'application/json': { schema: res ? ref(res) : list ? { type: 'array', items: ref(list) } : {} } } },
        ...(req ? { 422: { description: 'Validation Error' } } : {}),
      },
    };
  }
  return {
    openapi: '3.0.2',
    info: { title: 'SD Studio (A1111-compatible API)', version: '1.10' },
    paths,
    components: { schemas: SCHEMAS, securitySchemes: { HTTPBasic: { type: 'http', scheme: 'basic' } } },
  };
}
