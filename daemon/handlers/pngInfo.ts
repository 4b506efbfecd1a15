import { existsSync } from 'node:fs';
import { OutputExistsError } from '../../models/formats/atomicFile';
import { invalidParam, notFound, RpcError } from '../errors';
import { ImageWriteError, writeInfotextFile } from '../infotext/writeInfo';
import { ErrorCodes } from '../protocol';
import type { DaemonServer } from '../server';
import type { Services } from '../services';

/** `sd/pngInfo.read` and `sd/pngInfo.write`: PNG Info over the protocol (pure file work, no job queue). */
export function registerPngInfoHandlers(server: DaemonServer, { infoReader }: Services): void {
  server.onRequest('sd/pngInfo.read', async (params) => {
    if (!Array.isArray(params.files) || params.files.some((f) => typeof f !== 'string')) throw invalidParam('files', 'expected an array of file paths');
    // Read and parsed in the worker, send-to params included: nothing per file runs on this thread.
    const reads = await infoReader.read(params.files);
    return { infos: reads.map((r) => r.info), img2img: reads.map((r) => r.img2img), inpaint: reads.map((r) => r.inpaint), extras: reads.map((r) => r.extras), warnings: reads.map((r) => r.warning), infotexts: reads.map((r) => r.infotext) };
  });
  server.onRequest('sd/pngInfo.write', (params) => {
    if (typeof params.file !== 'string') throw invalidParam('file', 'expected the source image path');
    if (typeof params.out !== 'string') throw invalidParam('out', 'expected the output image path');
    if (typeof params.infotext !== 'string') throw invalidParam('infotext', 'expected the infotext as a string');
    if (params.overwrite !== undefined && typeof params.overwrite !== 'boolean') throw invalidParam('overwrite', 'expected true or false', 'boolean');
    if (!existsSync(params.file)) throw notFound(params.file, 'image');
    try {
      writeInfotextFile(params.file, params.out, params.infotext, { overwrite: params.overwrite ?? false });
    } catch (e) {
      if (e instanceof ImageWriteError) throw new RpcError(ErrorCodes.ImageError, `${params.file}: ${e.message}`, { file: params.file });
      if (e instanceof OutputExistsError) throw new RpcError(ErrorCodes.OutputExists, e.message, { file: e.path });
      throw e;
    }
    return { out: params.out };
  });
}
