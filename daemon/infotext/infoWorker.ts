// Image metadata is read off the daemon's event loop, in a worker thread, so one huge or crafted file never
// holds up other requests (progress, cancel, completions). The worker runs this same bundle (dist/cli.js, which
// checks `isInfoWorker()` first); it has its own heap limit and each file a time limit, and a worker that dies or
// overruns is replaced: the file gets a problem entry, the daemon goes on.
//
// For the readers themselves (one function per container, a ByteSource in, keyword → text out) see imageMeta.ts;
// new metadata formats plug into interpret.ts and need nothing here.
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { ExtrasParams, Img2ImgParams } from '../protocol';
import { readInfoOrProblem, unreadableInfo, type FileInfo } from './readInfo';
import { sendToExtras, sendToImg2Img, sendToInpaint } from './sendTo';
import { infotextOf, infotextWarning } from './toSpec';

/** One file as `sd/pngInfo.read` answers it: its info and the send-to params (parsing them is work too). */
export interface FileRead {
  info: FileInfo;
  img2img: Img2ImgParams | null;
  inpaint: Img2ImgParams;
  extras: ExtrasParams;
  /** Infotext keys SD Studio cannot honour yet (Hires, ControlNet, ...), or null. */
  warning: string | null;
  /** The A1111 infotext of its settings (its own, or written from another generator's fields), or null. */
  infotext: string | null;
}

/** Reads one file and derives its send-to params. */
export function readFileForPanels(file: string): FileRead {
  return withSendTo(file, readInfoOrProblem(file));
}

const withSendTo = (file: string, info: FileInfo): FileRead => ({
  info, img2img: sendToImg2Img(info), inpaint: sendToInpaint(info, file), extras: sendToExtras(info, file), warning: infotextWarning(info),
  infotext: infotextOf(info),
});

const TAG = 'sd-studio:image-info';
/** Per file: bounded readers finish in well under a second; this only catches what they did not foresee. */
const FILE_TIMEOUT_MS = 30_000;
/** The worker's heap: the readers' bounds keep a file's text under ~32 MB, so this is ample. */
const HEAP_MB = 512;

/** True inside the worker (the bundle's entry calls serveInfoWorker() instead of the CLI then). */
export function isInfoWorker(): boolean {
  return workerData === TAG;
}

/** The worker's loop: `{ id, file }` in, `{ id, read }` out. */
export function serveInfoWorker(): void {
  parentPort!.on('message', (m: { id: number; file: string }) => {
    parentPort!.postMessage({ id: m.id, read: readFileForPanels(m.file) });
  });
}

/** Reads files' metadata one at a time in a worker; owned by the daemon's services, `dispose()` at shutdown. */
export class ImageInfoReader {
  private worker: Worker | undefined;
  private nextId = 0;
  private queue: Promise<unknown> = Promise.resolve();

  /** `script`: the bundle to run as the worker (the daemon's own dist/cli.js). */
  constructor(private readonly script: string = __filename) {}

  /** Each file, in order; a file that cannot be read gets a problem, never an exception. */
  async read(files: readonly string[]): Promise<FileRead[]> {
    const out: FileRead[] = [];
    for (const f of files) out.push(await this.readOne(f));
    return out;
  }

  readOne(file: string): Promise<FileRead> {
    const run = this.queue.then(() => this.inWorker(file));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private inWorker(file: string): Promise<FileRead> {
    const w = (this.worker ??= this.start());
    const id = this.nextId++;
    return new Promise<FileRead>((resolve) => {
      const done = (read: FileRead): void => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(read);
      };
      const failed = (problem: string): void => done(withSendTo(file, unreadableInfo(file, problem)));
      const onMessage = (m: { id: number; read: FileRead }): void => {
        if (m.id === id) done(m.read);
      };
      const onExit = (code: number): void => {
        if (this.worker === w) this.worker = undefined;
        failed(`cannot read file: the metadata reader stopped (exit code ${code}); the file may be crafted to exhaust memory`);
      };
      const timer = setTimeout(() => {
        w.off('exit', onExit);
        if (this.worker === w) this.worker = undefined;
        void w.terminate();
        failed(`cannot read file: reading its metadata took over ${FILE_TIMEOUT_MS / 1000} s and was stopped`);
      }, FILE_TIMEOUT_MS);
      w.on('message', onMessage);
      w.on('exit', onExit);
      w.postMessage({ id, file });
    });
  }

  private start(): Worker {
    const w = new Worker(this.script, { workerData: TAG, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stdout: true, stderr: true });
    w.unref(); // an idle reader never keeps the daemon alive
    w.on('error', () => undefined); // reported through 'exit'
    return w;
  }

  async dispose(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
