// A large download that survives interruptions: bytes go to `<dest>.part`, what they are (URL, size, hash,
// validator) to `<dest>.part.json`; an interrupted transfer continues with an HTTP Range request (If-Range keeps a
// changed file from being spliced onto old bytes), within this call (a few retries) or in a later one. Nothing
// is trusted until the whole file has the published size and SHA-512; a mismatch deletes the part and says so.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { HttpError, httpGet } from './http';

export interface DownloadSpec {
  url: string;
  /** Where the verified file ends up. */
  dest: string;
  /** Published size in bytes. */
  size: number;
  /** Published SHA-512, base64 (as NuGet publishes it). */
  sha512: string;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Bytes on disk so far, of `total`. Called at most every 256 KiB of progress and at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Interruptions continued within this call before giving up (the part is kept either way). Default 3. */
  retries?: number;
  env?: NodeJS.ProcessEnv;
}

export interface DownloadResult {
  path: string;
  /** Bytes that were already on disk when this call started (0 = a fresh download). */
  resumedFrom: number;
  /** Bytes transferred by this call. */
  transferred: number;
  /** HTTP requests made for the file (1 = no interruption). */
  requests: number;
}

/** The download failed in a way a later call can continue from (the part file is kept). */
export class DownloadInterrupted extends Error {
  constructor(
    readonly url: string,
    readonly have: number,
    readonly size: number,
    why: string,
  ) {
    super(`download of ${url} interrupted at ${mb(have)} of ${mb(size)} (${why}); run the install again to resume`);
    this.name = 'DownloadInterrupted';
  }
}

/** The bytes are not the published ones: they were deleted. */
export class ChecksumMismatch extends Error {
  constructor(
    readonly url: string,
    what: string,
  ) {
    super(`${url}: ${what}; the download was deleted (nothing was installed)`);
    this.name = 'ChecksumMismatch';
  }
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

interface PartMeta {
  url: string;
  size: number;
  sha512: string;
  /** ETag or Last-Modified of the first reply: sent as If-Range when resuming. */
  validator?: string;
}

const sizeOf = async (path: string): Promise<number> => (await stat(path).catch(() => undefined))?.size ?? 0;

export async function sha512Base64(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha512');
  await pipeline(createReadStream(path), hash, signal ? { signal } : {});
  return hash.digest('base64');
}

/** Downloads `spec.url` to `spec.dest`, resuming a part left by an earlier call; verifies size and SHA-512. */
export async function downloadVerified(spec: DownloadSpec, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const part = `${spec.dest}.part`;
  const metaPath = `${part}.json`;
  if ((await sizeOf(spec.dest)) === spec.size && (await sha512Base64(spec.dest, opts.signal)) === spec.sha512) {
    return { path: spec.dest, resumedFrom: spec.size, transferred: 0, requests: 0 };
  }
  const old = await readFile(metaPath, 'utf8').then((t) => JSON.parse(t) as PartMeta, () => undefined);
  let meta: PartMeta = { url: spec.url, size: spec.size, sha512: spec.sha512 };
  if (old && old.url === spec.url && old.size === spec.size && old.sha512 === spec.sha512) meta = old;
  else await rm(part, { force: true });
  await writeFile(metaPath, JSON.stringify(meta));
  const resumedFrom = Math.min(await sizeOf(part), spec.size);
  let transferred = 0;
  let requests = 0;
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      requests++;
      transferred += await fetchRest(spec, part, meta, metaPath, opts);
      break;
    } catch (e) {
      if (e instanceof ChecksumMismatch) {
        await rm(part, { force: true });
        await rm(metaPath, { force: true });
      }
      if (opts.signal?.aborted || !(e instanceof DownloadInterrupted) || attempt >= retries) throw e;
    }
  }
  const got = await sizeOf(part);
  if (got !== spec.size) {
    await rm(part, { force: true });
    await rm(metaPath, { force: true });
    throw new ChecksumMismatch(spec.url, `${got} bytes received, ${spec.size} published`);
  }
  const digest = await sha512Base64(part, opts.signal);
  if (digest !== spec.sha512) {
    await rm(part, { force: true });
    await rm(metaPath, { force: true });
    throw new ChecksumMismatch(spec.url, `SHA-512 mismatch: published ${spec.sha512}, received ${digest}`);
  }
  await rename(part, spec.dest);
  await rm(metaPath, { force: true });
  return { path: spec.dest, resumedFrom, transferred, requests };
}

/** One request for the bytes not yet in `part`; returns how many it wrote. */
async function fetchRest(spec: DownloadSpec, part: string, meta: PartMeta, metaPath: string, opts: DownloadOptions): Promise<number> {
  let have = await sizeOf(part);
  if (have > spec.size) {
    await truncate(part, 0);
    have = 0;
  }
  if (have === spec.size) return 0;
  const headers: Record<string, string> = {};
  if (have > 0) {
    headers.Range = `bytes=${have}-`;
    if (meta.validator) headers['If-Range'] = meta.validator;
  }
  let res: IncomingMessage;
  try {
    res = await httpGet(spec.url, headers, opts.signal, opts.env);
  } catch (e) {
    if (e instanceof HttpError && e.status === 416 && have > 0) {
      await truncate(part, 0); // the server no longer has those bytes: start over on the next attempt
      throw new DownloadInterrupted(spec.url, 0, spec.size, 'the server refused the resume range');
    }
    if (e instanceof HttpError && (e.status === 0 || e.status >= 500)) throw new DownloadInterrupted(spec.url, have, spec.size, e.message);
    throw e;
  }
  let start: number;
  if (res.statusCode === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have || (m[3] !== '*' && Number(m[3]) !== spec.size)) {
      res.destroy();
      throw new Error(`${spec.url}: the server answered the resume request with an unexpected range "${res.headers['content-range'] ?? ''}"`);
    }
    start = have;
  } else if (res.statusCode === 200) {
    start = 0; // the server ignored the range (or the file changed, If-Range): the whole file comes again
    const length = Number(res.headers['content-length'] ?? spec.size);
    if (length !== spec.size) {
      res.destroy();
      throw new ChecksumMismatch(spec.url, `the server sends ${length} bytes, ${spec.size} are published`);
    }
  } else {
    res.destroy();
    throw new HttpError(spec.url, res.statusCode ?? 0, `${spec.url}: unexpected HTTP ${res.statusCode}`);
  }
  const body = new BodyQueue(res);
  const validator = res.headers.etag && !res.headers.etag.startsWith('W/') ? res.headers.etag : res.headers['last-modified'];
  if (validator && validator !== meta.validator) {
    meta.validator = validator;
    await writeFile(metaPath, JSON.stringify(meta));
  }
  return pump(body, part, start, spec, opts);
}

/**
 * The response body taken as it arrives (flowing mode from the first moment, paused while 8 MB wait for the disk):
 * a response destroyed by a broken connection drops its unread buffer, and what arrived before a break should be on
 * disk for the next attempt.
 */
class BodyQueue {
  private readonly chunks: Buffer[] = [];
  private queued = 0;
  private ended = false;
  failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(readonly res: IncomingMessage) {
    res.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.queued += chunk.length;
      if (this.queued > 8 << 20) res.pause();
      this.notify();
    });
    res.once('error', (e) => {
      this.failure ??= e;
      this.notify();
    });
    res.once('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  /** The next chunk; undefined once the response is over (ended, failed or closed). */
  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.queued -= chunk.length;
        if (this.res.isPaused() && this.queued < 1 << 20) this.res.resume();
        return chunk;
      }
      if (this.ended || this.failure) return undefined;
      await new Promise<void>((r) => (this.wake = r));
    }
  }
}

/** Writes the body at `start` of `part`; a body that ends early or breaks is an interruption. */
async function pump(body: BodyQueue, part: string, start: number, spec: DownloadSpec, opts: DownloadOptions): Promise<number> {
  let done = start;
  let reported = start;
  const fh = await open(part, start > 0 ? 'r+' : 'w');
  try {
    for (let chunk = await body.next(); chunk && !opts.signal?.aborted; chunk = await body.next()) {
      if (done + chunk.length > spec.size) {
        body.res.destroy();
        throw new ChecksumMismatch(spec.url, `the server sent more than the published ${spec.size} bytes`);
      }
      let written = 0;
      while (written < chunk.length) written += (await fh.write(chunk, written, chunk.length - written, done + written)).bytesWritten;
      done += chunk.length;
      if (done - reported >= 1 << 18 || done === spec.size) {
        reported = done;
        opts.onProgress?.(done, spec.size);
      }
    }
  } finally {
    await fh.close();
  }
  if (opts.signal?.aborted) throw opts.signal.reason ?? body.failure;
  if (body.failure || !body.res.complete || done < spec.size) {
    throw new DownloadInterrupted(spec.url, done, spec.size, body.failure?.message ?? `the connection closed after ${mb(done)}`);
  }
  return done - start;
}
