// Interrogate (A1111's 📎 Interrogate CLIP / 📦 Interrogate DeepBooru, and a batch over a folder that writes each
// caption to `<stem>.txt`): open the method's interrogator once, then per input load → describe → write. A bad
// input is reported in its own entry and the batch goes on; an existing .txt is kept unless `overwrite`. The
// models are released at the end unless the settings keep them (A1111's interrogate_keep_models_in_memory).
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { writeFileAtomic, writeNewFileSync } from '../../models/formats/atomicFile';
import { checkWritableFolder } from '../../models/formats/outputChecks';
import { CancelledError, RpcError, throwIfAborted } from '../errors';
import { loadImage } from '../image/decode';
import { openInterrogator, type InterrogatorContext } from '../interrogate/interrogators';
import type { JobContext } from '../jobs';
import type { InterrogateImageResult, InterrogateMethod, InterrogateResult, InterrogateSettings } from '../protocol';

export interface ResolvedInterrogate {
  method: InterrogateMethod;
  inputs: Array<{ ref: string; label: string; file?: string }>;
  /** Batch: captions go to `<outputDir>/<stem>.txt`, or beside each input file with `writeBeside`. */
  outputDir?: string;
  writeBeside: boolean;
  overwrite: boolean;
  settings: InterrogateSettings;
  modelsRoot: string;
  modelSetting: string;
}

export type InterrogateDeps = Pick<InterrogatorContext, 'models' | 'tokenizers' | 'cacheDir'>;

export async function runInterrogate(p: ResolvedInterrogate, job: JobContext, deps: InterrogateDeps): Promise<InterrogateResult> {
  const notices = new Set<string>();
  const total = p.inputs.length;
  let index = 0;
  const images: InterrogateImageResult[] = [];
  if (p.outputDir) await checkWritableFolder(p.outputDir); // before the models load, not after the first image
  try {
    const interrogator = await openInterrogator(p.method, {
      ...deps, modelsRoot: p.modelsRoot, modelSetting: p.modelSetting, settings: p.settings,
      report: (m) => job.report(index, total, `image ${index + 1}/${total} · ${m}`), notice: (m) => notices.add(m),
    });
    for (; index < total; index++) {
      throwIfAborted(job.signal);
      const input = p.inputs[index]!;
      try {
        const d = await interrogator.describe(await loadImage(input.ref, input.label), job.signal);
        images.push({ source: input.label, ...d, ...(await writeCaption(d.caption, input.file, p)) });
      } catch (e) {
        if (e instanceof CancelledError || job.signal.aborted) throw new CancelledError();
        images.push({ source: input.label, error: e instanceof RpcError || e instanceof Error ? e.message : String(e) });
      }
      job.report(index + 1, total, `image ${index + 1}/${total} done`);
    }
  } finally {
    if (!p.settings.keepModelsInMemory) await deps.models.release();
  }
  return { jobId: job.id, method: p.method, images, failed: images.filter((i) => i.error !== undefined).length, ...(notices.size ? { notices: [...notices] } : {}) };
}

/** The .txt of a batch input: written atomically; an existing file is kept unless overwrite. */
async function writeCaption(caption: string, file: string | undefined, p: ResolvedInterrogate): Promise<Pick<InterrogateImageResult, 'txt' | 'skipped'>> {
  if (!file || (!p.outputDir && !p.writeBeside)) return {};
  const txt = join(p.outputDir ?? dirname(file), `${basename(file, extname(file))}.txt`);
  if (p.overwrite) {
    mkdirSync(dirname(txt), { recursive: true });
    await writeFileAtomic(txt, caption);
    return { txt };
  }
  return writeNewFileSync(txt, new TextEncoder().encode(caption)) ? { txt } : { skipped: `${txt} exists (overwrite: true replaces it)` };
}
