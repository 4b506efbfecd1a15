// Files → GenerationInfo. Reads through a file handle so only headers and metadata are read (1000 one-megabyte
// PNGs take well under 10 s); the pixels are read only for a PNG whose text metadata gave no settings, to look
// for settings hidden in them (stealth.ts), as A1111's stealth-pnginfo extension does. Every read is bounded
// (limits.ts, pngScanlines.ts); the daemon runs these in a worker thread (infoWorker.ts).

import { basename } from 'node:path';
import { fileSource, memorySource, type ByteSource } from './byteSource';
import { emptyResult, type GenerationInfo } from './generationInfo';
import { readImageMeta, type Container } from './imageMeta';
import { interpretMetadata } from './interpret';
import { readStealthPayload } from './stealth';

export interface FileInfo extends GenerationInfo {
  file: string;
  container: Container;
}

/** GenerationInfo of an image file. Throws only when the file cannot be opened (missing, a folder, no access). */
export function readGenerationInfoFile(path: string): FileInfo {
  const src = fileSource(path);
  try {
    return readFrom(src, path);
  } finally {
    src.close();
  }
}

/** The same for bytes in memory (a webview drop, a daemon-made image). */
export function readGenerationInfoBytes(bytes: Uint8Array, name = 'image'): FileInfo {
  return readFrom(memorySource(bytes), basename(name));
}

function readFrom(src: ByteSource, file: string): FileInfo {
  const meta = readImageMeta(src);
  let info = interpretMetadata(meta);
  if (info.format === 'none' && meta.container === 'png') {
    const hidden = readStealthPayload(src);
    if (hidden) {
      meta.entries.push({ keyword: hidden.signature, text: hidden.text, source: 'LSB' });
      info = interpretMetadata(meta);
    }
  }
  return { file, container: meta.container, ...info };
}

/** Whether the file gave generation settings without damage (the CLI's exit status counts the others). */
export function isReadOk(info: GenerationInfo): boolean {
  return info.format !== 'none' && info.problems.length === 0;
}

/** A file that gave nothing: no settings, one problem saying why. */
export function unreadableInfo(file: string, problem: string): FileInfo {
  const { problems: _p, infotext: _i, ...rest } = emptyResult('none', null);
  return { ...rest, file, container: 'unknown', guessed: false, infotext: null, raw: {}, problems: [problem] };
}

/** A file that cannot be opened still gets an entry, so one bad path does not fail a batch. */
export function readInfoOrProblem(file: string): FileInfo {
  try {
    return readGenerationInfoFile(file);
  } catch (e) {
    return unreadableInfo(file, `cannot read file: ${(e as Error).message}`);
  }
}
