// JSON over HTTP to a remote engine, with what the job queue needs to know: a server that cannot be reached or
// drops the connection is a BackendLostError (the job moves to another backend); a server that answers with an
// error status is a RemoteError (the job is at fault, not the server). Node's http module, not fetch: a
// generation request may wait minutes for its answer, longer than fetch's fixed header timeout.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BackendLostError, CancelledError } from '../errors';

/** The remote answered, with an error status. */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** "USER:PASS" → basic auth; "Bearer TOKEN" as it is. */
export function authHeader(auth: string | undefined): Record<string, string> {
  if (!auth) return {};
  if (/^bearer\s/i.test(auth)) return { Authorization: auth };
  return { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` };
}

/** The readable part of an error body: A1111's detail/errors, ComfyUI's error.message, else the text. */
function describe(status: number, text: string): string {
  try {
    const j = JSON.parse(text) as { detail?: unknown; errors?: unknown; error?: { message?: unknown } | unknown };
    const detail = typeof j.detail === 'string' && j.detail ? j.detail : Array.isArray(j.detail) ? JSON.stringify(j.detail) : undefined;
    const errors = typeof j.errors === 'string' && j.errors ? j.errors : undefined;
    const comfy = typeof (j.error as { message?: unknown })?.message === 'string' ? (j.error as { message: string }).message : undefined;
    return `HTTP ${status}: ${detail ?? errors ?? comfy ?? text.slice(0, 300)}`;
  } catch {
    return `HTTP ${status}: ${text.slice(0, 300)}`;
  }
}

export class RemoteHttp {
  constructor(
    readonly backend: string,
    readonly base: string,
    private readonly auth?: string,
  ) {}

  /** Raw bytes of a response (images); JSON errors as for `json`. */
  async bytes(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal, timeoutMs = 0): Promise<Buffer> {
    const url = new URL(path, this.base.endsWith('/') ? this.base : `${this.base}/`);
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const headers: Record<string, string | number> = { ...authHeader(this.auth), Accept: 'application/json' };
    if (payload !== undefined && !Buffer.isBuffer(payload)) headers['Content-Type'] = 'application/json';
    if (payload !== undefined) headers['Content-Length'] = Buffer.byteLength(payload);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Buffer>((resolve, reject) => {
      if (signal?.aborted) return reject(new CancelledError());
      const req = send(url, { method, headers, ...(signal ? { signal } : {}) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(this.lost(e)));
        res.on('aborted', () => reject(this.lost(new Error('the connection closed mid-answer'))));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(buf);
          else if (status === 502 || status === 503 || status === 504) reject(this.lost(new Error(describe(status, buf.toString('utf8')))));
          else reject(new RemoteError(status, `${this.backend}: ${describe(status, buf.toString('utf8'))}`));
        });
      });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs / 1000} s`)));
      req.on('error', (e) => reject(signal?.aborted ? new CancelledError() : this.lost(e)));
      req.end(payload);
    });
  }

  async json<T = unknown>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal, timeoutMs = 0): Promise<T> {
    const buf = await this.bytes(method, path, body, signal, timeoutMs);
    const text = buf.toString('utf8');
    if (text.trim() === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RemoteError(200, `${this.backend}: ${path} did not answer JSON: ${text.slice(0, 200)}`);
    }
  }

  private lost(e: Error): BackendLostError {
    const code = (e as NodeJS.ErrnoException).code;
    return new BackendLostError(this.backend, `${this.base} ${code ? `${code}: ` : ''}${e.message}`);
  }
}
