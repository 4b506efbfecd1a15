// The few HTTP(S) calls the GPU runtime installer makes: GET with redirects, optional Range headers, gzip bodies
// (NuGet's registration documents are served gzip-encoded), an AbortSignal, and HTTPS through a proxy named by
// HTTPS_PROXY / https_proxy (CONNECT tunnel), as onnxruntime-node's installer honours proxy variables.
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { gunzipSync, inflateSync } from 'node:zlib';

/** A reply that is not what was asked for; `status` 0 means no reply (connection failed). */
export class HttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const MAX_REDIRECTS = 5;
const IDLE_MS = 60_000;

/** The proxy for `url`, from the environment (NO_PROXY honoured for exact hosts and domain suffixes). */
function proxyFor(url: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const raw = url.protocol === 'https:' ? env.HTTPS_PROXY ?? env.https_proxy : env.HTTP_PROXY ?? env.http_proxy;
  if (!raw) return undefined;
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '').split(',').map((s) => s.trim().replace(/^\*?\./, '')).filter(Boolean);
  if (noProxy.includes('*') || noProxy.some((h) => url.hostname === h || url.hostname.endsWith(`.${h}`))) return undefined;
  return new URL(raw.includes('://') ? raw : `http://${raw}`);
}

/** A TLS socket to `url`'s host through an HTTP CONNECT tunnel. */
function tunnel(proxy: URL, url: URL, signal?: AbortSignal): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const port = url.port || '443';
    const auth = proxy.username ? { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
    const req = http.request({ host: proxy.hostname, port: proxy.port || 80, method: 'CONNECT', path: `${url.hostname}:${port}`, headers: { Host: `${url.hostname}:${port}`, ...auth }, ...(signal ? { signal } : {}) });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new HttpError(url.href, 0, `proxy ${proxy.host} refused the tunnel to ${url.host}: HTTP ${res.statusCode}`));
        return;
      }
      resolve(tls.connect({ socket, servername: url.hostname }));
    });
    req.once('error', (e) => reject(new HttpError(url.href, 0, `proxy ${proxy.host}: ${e.message}`)));
    req.end();
  });
}

/**
 * GET `url`, following redirects. Resolves with the response for any status below 400 other than a redirect (the
 * caller reads 200/206/...); 4xx/5xx reject with HttpError after draining. The body stream is the caller's.
 */
export async function httpGet(url: string, headers: Record<string, string> = {}, signal?: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<http.IncomingMessage> {
  let current = new URL(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await getOnce(current, headers, signal, env);
    const status = res.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status >= 400) {
      res.resume();
      throw new HttpError(current.href, status, `${current.href}: HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
    }
    return res;
  }
  throw new HttpError(url, 0, `${url}: more than ${MAX_REDIRECTS} redirects`);
}

async function getOnce(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined, env: NodeJS.ProcessEnv): Promise<http.IncomingMessage> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new HttpError(url.href, 0, `${url.href}: only http(s) URLs can be downloaded`);
  const proxy = proxyFor(url, env);
  const options: https.RequestOptions = { method: 'GET', headers: { 'User-Agent': 'sd-studio', ...headers }, ...(signal ? { signal } : {}) };
  let req: http.ClientRequest;
  if (proxy && url.protocol === 'https:') {
    const socket = await tunnel(proxy, url, signal);
    req = https.request(url, { ...options, createConnection: () => socket });
  } else if (proxy) {
    req = http.request({ ...options, host: proxy.hostname, port: proxy.port || 80, path: url.href });
  } else {
    req = (url.protocol === 'https:' ? https : http).request(url, options);
  }
  // A stalled connection (nothing for a minute, before or during the body) breaks like a dropped one: the
  // download code then resumes it.
  req.setTimeout(IDLE_MS, () => req.destroy(new Error(`no data for ${IDLE_MS / 1000} s`)));
  return new Promise((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', (e) => reject((e as Error).name === 'AbortError' ? e : new HttpError(url.href, 0, `${url.href}: ${(e as Error).message}`)));
    req.end();
  });
}

/** GET a JSON document (gzip/deflate content-encoding undone), at most `maxBytes` large. */
export async function getJson(url: string, signal?: AbortSignal, maxBytes = 16 << 20, env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const res = await httpGet(url, { Accept: 'application/json', 'Accept-Encoding': 'gzip, deflate' }, signal, env);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      res.destroy();
      throw new HttpError(url, res.statusCode ?? 0, `${url}: reply larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  let body = Buffer.concat(chunks);
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') body = gunzipSync(body, { maxOutputLength: maxBytes });
  else if (encoding === 'deflate') body = inflateSync(body, { maxOutputLength: maxBytes });
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpError(url, res.statusCode ?? 0, `${url}: not JSON (${(e as Error).message})`);
  }
}
