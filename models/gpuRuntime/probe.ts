// Does a runtime copy load, and does a provider start in it? Asked in a child process: one process can hold only
// one ONNX Runtime (the daemon already runs the bundled one), and a provider library that crashes on load must
// not take the daemon with it. The child builds a session for a one-node model on CPU, then on each provider.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElemType, GraphBuilder } from '../graph';

export interface ProviderProbe {
  provider: string;
  ok: boolean;
  /** ONNX Runtime's own words when it failed (the first line: which library or driver is missing). */
  message: string;
}

/** y = x + 1 over two floats: enough for a provider to claim a node and run it. */
function tinyModel(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', ElemType.FLOAT, [2]);
  g.output('y', ElemType.FLOAT, [2], g.op('Add', [x, g.floatConst([1, 1])]));
  return g.toBytes();
}

const CHILD = `
const [moduleDir, model, ...providers] = process.argv.slice(1);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
(async () => {
  let ort;
  try { ort = require(moduleDir); } catch (e) { say({ provider: 'load', ok: false, message: String(e && e.message || e) }); return; }
  for (const p of providers) {
    try {
      const s = await ort.InferenceSession.create(model, { executionProviders: [p], logSeverityLevel: 3 });
      const r = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
      const y = Array.from(r.y.data);
      await s.release();
      say({ provider: p, ok: y[0] === 2 && y[1] === 3, message: 'y = ' + JSON.stringify(y) });
    } catch (e) {
      say({ provider: p, ok: false, message: String(e && e.message || e) });
    }
  }
})();
`;

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Loads the onnxruntime-node package at `moduleDir` in a child Node and tries `providers` in turn (list 'cpu'
 * first to check the copy itself). A child that cannot even load the package reports provider 'load'.
 */
export async function probeRuntime(moduleDir: string, providers: readonly string[], timeoutMs = 120_000): Promise<ProviderProbe[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-studio-probe-'));
  try {
    const model = join(dir, 'add.onnx');
    await writeFile(model, tinyModel());
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['-e', CHILD, moduleDir, model, ...providers], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, timeout: timeoutMs, encoding: 'utf8' }, (err, out, errOut) => {
        // A crash or a timeout still says something: whatever lines came, plus why the child ended.
        resolve({ stdout: err ? `${out}${JSON.stringify({ provider: 'process', ok: false, message: `${err.message.split('\n')[0]}${errOut ? `: ${errOut.trim().split('\n').slice(-1)[0]}` : ''}` })}\n` : out, stderr: errOut });
      });
    });
    // ONNX Runtime throws "…: Failed to load shared library" and logs the loader's reason (which library is
    // missing: libcudnn.so.9, libcublasLt.so.12, …) to stderr: that reason is what a person needs.
    const reason = [...stripAnsi(stderr).matchAll(/Failed to load library \S+ with error: (.+)/g)].map((m) => m[1]!.trim()).at(-1);
    const results = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProviderProbe);
    return results.map((r) => {
      const message = r.message.split('\n')[0]!.trim();
      return { ...r, message: !r.ok && reason && /failed to load/i.test(message) ? `${message}: ${reason}` : message };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
