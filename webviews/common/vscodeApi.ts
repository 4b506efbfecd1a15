// The webview's side of the conversation with its host: typed requests with ids and timeouts, pushed messages,
// and the persisted state (getState/setState) that survives hide/show and window reloads.
import type { HostMessage, HostOp, HostOps, WebviewMessage } from './messages';

interface VsCodeApi<S> {
  postMessage(message: WebviewMessage): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

const api = acquireVsCodeApi<unknown>();
let nextId = 1;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: number }>();
const listeners: ((m: HostMessage) => void)[] = [];

/** Quick intents time out; jobs (generate, extras, merge) and dialogs wait for the user or the job. */
const NO_TIMEOUT = new Set<HostOp>(['generate', 'extras', 'merge', 'pickImages', 'pickModel', 'saveSpec', 'sendTo', 'interrogate']);

export function request<K extends HostOp>(op: K, args: HostOps[K]['args'], timeoutMs = 15000): Promise<HostOps[K]['result']> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const entry: { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: number } = { resolve: resolve as (v: unknown) => void, reject };
    if (!NO_TIMEOUT.has(op)) {
      entry.timer = window.setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${op}: no answer from the extension after ${timeoutMs / 1000} s`));
      }, timeoutMs);
    }
    pending.set(id, entry);
    api.postMessage({ type: 'request', id, op, args } as WebviewMessage);
  });
}

export function onMessage(listener: (m: HostMessage) => void): void {
  listeners.push(listener);
}

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const m = e.data;
  if (!m || typeof m !== 'object' || !('type' in m)) return;
  if (m.type === 'reply') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (p.timer !== undefined) window.clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(m.error));
    return;
  }
  for (const l of listeners) l(m);
});

/** Tell the host we listen; it answers with `init`. Call after registering onMessage. */
export function ready(): void {
  api.postMessage({ type: 'ready' });
}

export function getState<S>(): S | undefined {
  return api.getState() as S | undefined;
}

export function setState<S>(state: S): void {
  api.setState(state);
}
