import type { PipelineDeps } from '../pipelines/img2img';
import type { DaemonSettings } from '../protocol';
import type { Services } from '../services';
import { modelHashForFolder } from '../modelFiles/modelHash';

/** What the generation pipelines get from the daemon's long-lived resources, with the settings of the job. */
export function pipelineDeps(services: Services, settings: DaemonSettings): PipelineDeps {
  return { models: services.models, taesd: services.taesd, embeddings: services.embeddings, faces: services.faces, upscalers: services.upscalers, interrogate: services.interrogate, settings, modelHash: modelHashForFolder };
}
