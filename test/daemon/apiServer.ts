// Start the BUILT CLI's `sd-studio serve --api --port 0` and wait for the line that names its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './harness';
import { writeTinySdModel } from '../../models/testModel/tinySd';

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startApiServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--api', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running on (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve --api exited with ${code} before it was ready: ${err}`)));
  });
  return {
    child,
    url,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A models root holding the tiny SD model as `Stable-diffusion/tiny` (an ONNX folder, as convert-onnx writes). */
export async function tinyModelsRoot(root: string): Promise<string> {
  const model = join(root, 'Stable-diffusion', 'tiny');
  mkdirSync(model, { recursive: true });
  await writeTinySdModel(model);
  return model;
}
