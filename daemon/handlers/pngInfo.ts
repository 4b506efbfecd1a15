import { infotextWarning } from '../infotext/toSpec';
import { existsSync } from 'node:fs';
import { invalidParam, notFound, RpcError } from '../errors';
import { readInfoOrProblem } from '../infotext/readInfo';
import { sendToExtras, sendToImg2Img, sendToInpaint } from '../infotext/sendTo';
import { ImageWriteError, writeInfotextFile } from '../infotext/writeInfo';
import { ErrorCodes } from '../protocol';
import type { DaemonServer } from '../server';

/** `sd/pngInfo.read` and `sd/pngInfo.write`: PNG Info over the protocol (pure file work, no job queue). */
export function registerPngInfoHandlers(server: DaemonServer): void {
  server.onRequest('sd/pngInfo.read', (params) => {
    if (!Array.isArray(params.files) || params.files.some((f) => typeof f !== 'string')) throw invalidParam('files', 'expected an array of file paths');
    const infos = params.files.map(readInfoOrProblem);
    return {
      infos,
      img2img: infos.map((i) => sendToImg2Img(i)),
      inpaint: infos.map((i, k) => sendToInpaint(i, params.files[k]!)),
      extras: infos.map((i, k) => sendToExtras(i, params.files[k]!)),
      warnings: infos.map(infotextWarning),
    };
  });
  server.onRequest('sd/pngInfo.write', (params) => {
    if (typeof params.file !== 'string') throw invalidParam('file', 'expected the source image path');
    if (typeof params.out !== 'string') throw invalidParam('out', 'expected the output image path');
    if (typeof params.infotext !== 'string') throw invalidParam('infotext', 'expected the infotext as a string');
    if (!existsSync(params.file)) throw notFound(params.file, 'image');
    try {
      writeInfotextFile(params.file, params.out, params.infotext);
    } catch (e) {
      if (e instanceof ImageWriteError) throw new RpcError(ErrorCodes.ImageError, `${params.file}: ${e.message}`, { file: params.file });
      throw e;
    }
    return { out: params.out };
  });
}
