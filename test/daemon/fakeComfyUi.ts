// A stand-in ComfyUI server on 127.0.0.1 that answers with recorded shapes (test/fixtures/comfyui/traffic.json)
// and records what the client sent: the prompts (graphs), uploads and interrupts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

const traffic = JSON.parse(readFileSync(resolve('test/fixtures/comfyui/traffic.json'), 'utf8')) as Record<string, unknown>;

export type ComfyMode = 'run' | 'error' | 'hold';

export interface FakeComfy {
  url: string;
  prompts: Array<Record<string, { class_type: string; inputs: Record<string, unknown> }>>;
  uploads: string[];
  interrupts: number;
  mode: ComfyMode;
  close(): Promise<void>;
}

const fill = (v: unknown, vars: Record<string, string>): unknown =>
  JSON.parse(Object.entries(vars).reduce((s, [k, x]) => s.split(`"$${k}"`).join(JSON.stringify(x)), JSON.stringify(v)));

export async function startFakeComfy(image: Buffer, preview: Buffer): Promise<FakeComfy> {
  const sockets = new Map<string, WebSocket>();
  let n = 0;
  let held: { id: string; client: string } | undefined;
  const state: FakeComfy = { url: '', prompts: [], uploads: [], interrupts: 0, mode: 'run', close: async () => undefined };

  const send = async (client: string, messages: unknown[], vars: Record<string, string>): Promise<void> => {
    const ws = sockets.get(client);
    for (const m of messages) {
      await new Promise((r) => setImmediate(r));
      if ((m as { binary?: string }).binary) ws?.send(Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), preview]));
      else ws?.send(JSON.stringify(fill(m, vars)));
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (v: unknown): void => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      const body = Buffer.concat(chunks);
      if (req.method === 'GET' && url.pathname === '/prompt') return json(traffic.queue_status);
      if (req.method === 'GET' && url.pathname === '/system_stats') return json(traffic.system_stats);
      if (req.method === 'GET' && url.pathname === '/object_info/CheckpointLoaderSimple') return json(traffic.object_info_checkpoints);
      if (req.method === 'GET' && url.pathname === '/object_info/UpscaleModelLoader') return json(traffic.object_info_upscalers);
      if (req.method === 'POST' && url.pathname === '/upload/image') {
        const name = /filename="([^"]+)"/.exec(body.toString('latin1'))?.[1] ?? 'upload.png';
        state.uploads.push(name);
        return json(fill(traffic.upload_image, { NAME: name }));
      }
      if (req.method === 'POST' && url.pathname === '/prompt') {
        const { prompt, client_id: client } = JSON.parse(body.toString('utf8')) as { prompt: FakeComfy['prompts'][number]; client_id: string };
        state.prompts.push(prompt);
        const id = `prompt-${++n}`;
        const vars = { ID: id, CLIENT: client, FILE: `ComfyUI_temp_${n}_00001_.png` };
        json(fill(traffic.prompt_response, vars));
        const run = traffic.ws_run as unknown[];
        if (state.mode === 'run') void send(client, run, vars);
        else if (state.mode === 'error') void send(client, traffic.ws_error as unknown[], vars);
        else {
          held = { id, client };
          void send(client, run.slice(0, 7), vars); // running, stopped at step 1 until /interrupt
        }
        return;
      }
      if (req.method === 'POST' && url.pathname === '/interrupt') {
        state.interrupts++;
        res.writeHead(200).end();
        if (held) void send(held.client, traffic.ws_interrupted as unknown[], { ID: held.id, CLIENT: held.client });
        held = undefined;
        return;
      }
      const hist = /^\/history\/(.+)$/.exec(url.pathname);
      if (req.method === 'GET' && hist) {
        const id = decodeURIComponent(hist[1]!);
        const k = id.replace('prompt-', '');
        return json({ [id]: fill(traffic.history_entry, { ID: id, CLIENT: 'c', FILE: `ComfyUI_temp_${k}_00001_.png` }) });
      }
      if (req.method === 'GET' && url.pathname === '/view') {
        res.writeHead(200, { 'Content-Type': 'image/png' });
        return res.end(image);
      }
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws, req) => {
    const client = new URL(req.url ?? '/', 'http://x').searchParams.get('clientId') ?? 'anon';
    sockets.set(client, ws);
    ws.send(JSON.stringify(fill(traffic.ws_hello, { CLIENT: client })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.close(() => r());
      server.closeAllConnections();
    });
  return state;
}
