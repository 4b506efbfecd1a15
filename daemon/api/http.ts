// The HTTP side of the A1111 API: Node's http module, no framework (a dozen routes of JSON in, JSON out).
// Binds 127.0.0.1 unless told to listen on the network, and then only with credentials (A1111's --listen with
// --api-auth); basic auth as A1111's `Api.auth`; a request body limit; CORS only for configured origins; a Host
// check on loopback so a web page cannot reach the API through DNS rebinding.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorResponse, HttpError } from './errors';
import { RequestValidationError } from './fields';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Parsed JSON body (undefined for an empty body). */
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  handler: (req: ApiRequest) => unknown;
}

export interface HttpApiOptions {
  /** Default 7860 (A1111's); 0 picks a free port. */
  port: number;
  /** Bind every interface instead of 127.0.0.1 (needs `auth`). */
  listen: boolean;
  /** A1111 --api-auth: "USER:PASS[,USER2:PASS2]". */
  auth?: string;
  /** A1111 --cors-allow-origins: origins allowed to call from a browser; none by default. */
  corsOrigins?: readonly string[];
  /** Largest request body accepted, bytes. */
  bodyLimit?: number;
}

export interface RunningHttpApi {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Bad server options (reported at start, before anything binds). */
export class ApiConfigError extends Error {}

export const DEFAULT_BODY_LIMIT = 64 * 1024 * 1024;

/** "u:p,u2:p2" → user → password; a password may contain ':' (split at the first). */
export function parseApiAuth(spec: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of spec.split(',')) {
    const i = pair.indexOf(':');
    if (i <= 0 || i === pair.length - 1) throw new ApiConfigError(`--api-auth: expected USER:PASS[,USER2:PASS2], got "${pair}"`);
    out.set(pair.slice(0, i), pair.slice(i + 1));
  }
  return out;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length ? timingSafeEqual(x, y) : (timingSafeEqual(x, x), false);
}

function checkAuth(req: IncomingMessage, users: Map<string, string>): void {
  const header = req.headers.authorization ?? '';
  const m = /^Basic\s+(.+)$/i.exec(header);
  if (!m) throw new HttpError(401, 'Not authenticated', { 'WWW-Authenticate': 'Basic' });
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const user = i >= 0 ? decoded.slice(0, i) : decoded;
  const pass = i >= 0 ? decoded.slice(i + 1) : '';
  const want = users.get(user);
  if (want === undefined || !sameSecret(pass, want)) throw new HttpError(401, 'Incorrect username or password', { 'WWW-Authenticate': 'Basic' });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new HttpError(413, `Request body too large: ${declared} bytes, the limit is ${limit}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new HttpError(413, `Request body too large: over ${limit} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (e) {
        reject(new RequestValidationError([{ loc: ['body', 0], msg: `Expecting value: ${(e as Error).message}`, type: 'value_error.jsondecode' }]));
      }
    });
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body === undefined ? null : body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Start serving `routes`; rejects with ApiConfigError for unsafe options and with the bind error (port taken). */
export async function startHttpApi(routes: readonly Route[], opts: HttpApiOptions, log: (m: string) => void): Promise<RunningHttpApi> {
  const users = opts.auth ? parseApiAuth(opts.auth) : undefined;
  if (opts.listen && !users) {
    throw new ApiConfigError('--listen serves the API to the whole network: refusing to start without --api-auth USER:PASS (A1111 clients send it as HTTP basic auth)');
  }
  const limit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const cors = new Set(opts.corsOrigins ?? []);
  const table = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  const paths = new Set(routes.map((r) => r.path));

  const server: Server = createServer((req, res) => {
    void (async () => {
      const origin = req.headers.origin;
      const corsHeaders: Record<string, string> = origin && cors.has(origin) ? { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', 'Access-Control-Allow-Credentials': 'true' } : {};
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
        if (!opts.listen && !LOOPBACK_HOSTS.has(host)) throw new HttpError(403, `Host "${req.headers.host ?? ''}" not allowed: this API serves 127.0.0.1 only (start it with --listen to serve other names)`);
        if (req.method === 'OPTIONS' && origin) {
          if (!cors.has(origin)) throw new HttpError(400, 'Disallowed CORS origin');
          res.writeHead(200, { ...corsHeaders, 'Access-Control-Allow-Methods': 'GET, POST', 'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] ?? '*', 'Content-Length': 0 });
          res.end();
          return;
        }
        if (users) checkAuth(req, users);
        const route = table.get(`${req.method} ${url.pathname}`);
        if (!route) {
          req.resume();
          send(res, paths.has(url.pathname) ? 405 : 404, { detail: paths.has(url.pathname) ? 'Method Not Allowed' : 'Not Found' }, corsHeaders);
          return;
        }
        const body = req.method === 'POST' ? await readBody(req, limit) : (req.resume(), undefined);
        const started = Date.now();
        const result = await route.handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body });
        send(res, 200, result, { ...corsHeaders, 'X-Process-Time': ((Date.now() - started) / 1000).toFixed(4) });
      } catch (e) {
        const r = errorResponse(e);
        if (r.status >= 500) log(`API error: ${req.method} ${req.url}: ${(e as Error)?.message ?? e}`);
        if (!res.headersSent) send(res, r.status, r.body, { ...corsHeaders, ...r.headers });
        else res.destroy();
      }
    })();
  });
  server.requestTimeout = 0; // a txt2img request waits for its turn in the queue: no timeout
  const host = opts.listen ? '0.0.0.0' : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.listen ? '0.0.0.0' : '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
