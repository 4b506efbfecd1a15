// The command table, grouped by area. Each entry is a factory taking the context; bodies are a line or two and
// call the panels module, the daemon or small helpers below. Ids are fixed (package.json, e2e tests).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Img2ImgParams, XyzParams } from '../daemon/protocol';
import { generationDefaults } from './config';
import type { Ctx } from './ctx';
import { installGpuSupport } from './gpuSupport';
import { openExtras, openImg2Img, openInpaint, openMerger, showPreviewBeside } from './panels';
import { interrogateFolder } from './interrogateFolder';

type Command = (ctx: Ctx) => (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

const IMAGE_FILTERS = { Images: ['png', 'jpg', 'jpeg', 'webp'] };
const MODEL_FILTERS = { 'Model files': ['safetensors', 'ckpt', 'pt', 'pth', 'bin', 'onnx'] };

// --- Panels -----------------------------------------------------------------------------------------------
const panels: Record<string, Command> = {
  'sdStudio.openImg2Img': (ctx) => (uri?: vscode.Uri) => openImg2Img(ctx, imageSeed(uri)),
  'sdStudio.openInpaint': (ctx) => (uri?: vscode.Uri) => openInpaint(ctx, imageSeed(uri)),
  'sdStudio.openExtras': (ctx) => (uri?: vscode.Uri) => openExtras(ctx, imageSeed(uri)),
  'sdStudio.openMerger': (ctx) => () => openMerger(ctx),
  'sdStudio.openPngInfo': () => async (uri?: vscode.Uri) => {
    const image = uri ?? activeImage() ?? (await pickFile('Open PNG Info', IMAGE_FILTERS));
    if (image) await vscode.commands.executeCommand('vscode.openWith', image, 'sdStudio.pngInfo');
  },
};

// --- Daemon -----------------------------------------------------------------------------------------------
const daemon: Record<string, Command> = {
  'sdStudio.restartDaemon': (ctx) => () => ctx.restartDaemon(),
  'sdStudio.showLogs': (ctx) => () => ctx.log.show(),
  'sdStudio.installGpuSupport': (ctx) => () => installGpuSupport(ctx),
  'sdStudio.cancelJob': (ctx) => async () => {
    const job = await pickJob(ctx);
    if (job) ctx.log.info(`cancel ${job}: ${(await ctx.daemon.request('sd/job.cancel', { jobId: job })).state}`);
  },
};

// --- .sdprompt --------------------------------------------------------------------------------------------
const sdprompt: Record<string, Command> = {
  'sdStudio.generateSpec': (ctx) => (uri?: string, index?: number, params?: Img2ImgParams, _span?: unknown, xyz?: SpecXyz) => generateSpec(ctx, 1, uri, index, params, xyz),
  'sdStudio.generateSpecSeeds': (ctx) => (uri?: string, index?: number, params?: Img2ImgParams) => generateSpec(ctx, 4, uri, index, params),
  'sdStudio.regenerateFromImage': (ctx) => (uri?: vscode.Uri) => regenerateFromImage(ctx, uri),
};

// --- Models -----------------------------------------------------------------------------------------------
const models: Record<string, Command> = {
  'sdStudio.hashModel': (ctx) => async (uri?: vscode.Uri, selected?: vscode.Uri[]) => {
    const files = selected?.length ? selected : uri ? [uri] : await vscode.window.showOpenDialog({ canSelectMany: true, filters: MODEL_FILTERS, title: 'Hash model files' });
    if (files?.length) await hashModels(ctx, files);
  },
};

// --- Batch and conversions ------------------------------------------------------------------------------
const batch: Record<string, Command> = {
  'sdStudio.batchImg2Img': (ctx) => (uri?: vscode.Uri) => batchImg2Img(ctx, uri),
  'sdStudio.interrogateFolder': (ctx) => (uri?: vscode.Uri) => interrogateFolder(ctx, uri),
  'sdStudio.convertToSafetensors': (ctx) => async (uri?: vscode.Uri) => {
    const input = uri ?? (await pickFile('Convert to .safetensors', { 'PyTorch checkpoints': ['ckpt', 'pt', 'pth', 'bin'] }));
    if (!input) return;
    const out = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(input.fsPath.replace(/\.[^.]+$/, '.safetensors')), filters: { safetensors: ['safetensors'] }, title: 'Save as' });
    if (!out) return;
    // The save dialog has already asked before replacing a file, so a replacement here is what the user chose.
    const r = await ctx.runJob('models/convert', { input: input.fsPath, out: out.fsPath, overwrite: true }, `SD Studio: converting ${path.basename(input.fsPath)}`);
    if (r) void vscode.window.showInformationMessage(`Wrote ${path.basename(r.out)} (${r.tensors} tensors); the pickle was read, never run.`);
  },
  'sdStudio.convertToOnnx': (ctx) => async (uri?: vscode.Uri) => {
    const checkpoint = uri ?? (await pickFile('Convert a checkpoint or a face/upscaler network to an ONNX folder', { 'Checkpoints and networks': ['safetensors', 'ckpt', 'pth', 'pt'] }));
    if (!checkpoint) return;
    const out = (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Into which (empty) folder?' }))?.[0];
    if (!out) return;
    const r = await ctx.runJob('models/convertOnnx', { checkpoint: checkpoint.fsPath, out: out.fsPath }, `SD Studio: building ONNX graphs for ${path.basename(checkpoint.fsPath)}`);
    if (r) void vscode.window.showInformationMessage(`ONNX model written to ${out.fsPath}`);
  },
};

export const COMMANDS: Record<string, Command> = { ...panels, ...daemon, ...sdprompt, ...models, ...batch };

export function registerCommands(ctx: Ctx): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, factory]) => {
    const run = factory(ctx);
    return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        ctx.log.error(`${id}: ${message}`);
        void vscode.window.showErrorMessage(message);
      }
    });
  });
}

// --- helpers ----------------------------------------------------------------------------------------------

/** The image shown in the active editor tab (image preview or our PNG info editor), if any. */
function activeImage(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  const uri = input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
  return uri && /\.(png|jpe?g|webp)$/i.test(uri.path) ? uri : undefined;
}

const imageSeed = (uri?: vscode.Uri) => {
  const image = uri instanceof vscode.Uri ? uri : activeImage();
  return image ? { image: image.fsPath } : undefined;
};

async function pickFile(title: string, filters: Record<string, string[]>): Promise<vscode.Uri | undefined> {
  return (await vscode.window.showOpenDialog({ canSelectMany: false, filters, title }))?.[0];
}

async function pickJob(ctx: Ctx): Promise<string | undefined> {
  const jobs = ctx.jobs();
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage('SD Studio: no job is queued or running.');
    return undefined;
  }
  if (jobs.length === 1) return jobs[0]!.jobId;
  const pick = await vscode.window.showQuickPick(jobs.map((j) => ({ label: `${j.kind} · ${j.state}`, description: j.jobId, jobId: j.jobId })), { title: 'Cancel which job?' });
  return pick?.jobId;
}

/** A spec's X/Y/Z axes (its `@xyz` lines), as the daemon's code lens passes them. */
type SpecXyz = Pick<XyzParams, 'x' | 'y' | 'z'>;

interface SpecLensArgs {
  uri: string;
  index: number;
  params: Img2ImgParams;
  span?: { startLine: number; endLine: number };
  xyz?: SpecXyz;
}

/** The daemon's code lenses carry each spec's resolved params; asking again gives the current text's. */
async function specLenses(uri: vscode.Uri): Promise<SpecLensArgs[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
  return lenses
    .filter((l) => l.command?.command === 'sdStudio.generateSpec' && Array.isArray(l.command.arguments))
    .map((l) => {
      const [u, index, params, span, xyz] = l.command!.arguments as [string, number, Img2ImgParams, SpecLensArgs['span'], SpecXyz | undefined];
      return { uri: u, index, params, span, ...(xyz ? { xyz } : {}) };
    });
}

async function generateSpec(ctx: Ctx, seeds: number, uri?: string, index?: number, params?: Img2ImgParams, xyz?: SpecXyz): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const doc = uri ? await vscode.workspace.openTextDocument(vscode.Uri.parse(uri)) : editor?.document;
  if (!doc || doc.languageId !== 'sdprompt') throw new Error('Open a .sdprompt file and put the cursor in a spec (or use the "▶ Generate" lens).');
  const lenses = await specLenses(doc.uri);
  const line = editor?.document === doc ? editor.selection.active.line : 0;
  const spec = index !== undefined
    ? lenses.find((l) => l.index === index) ?? (params ? { uri: doc.uri.toString(), index, params, ...(xyz ? { xyz } : {}) } : undefined)
    : lenses.find((l) => l.span && line >= l.span.startLine && line <= l.span.endLine) ?? lenses[0];
  if (!spec) throw new Error('This .sdprompt file has no spec to generate (a prompt or a parameters line).');
  await showPreviewBeside(ctx, doc, spec.index);
  const name = `${path.basename(doc.fileName)} spec ${spec.index + 1}`;
  const title = `SD Studio: ${name}${seeds > 1 ? ` ×${seeds} seeds` : ''}${spec.xyz ? ' · X/Y/Z plot' : ''}`;
  // The daemon runs the spec exactly as `sd-studio run FILE --only N` does (one implementation).
  const run = await ctx.runJob('sd/sdprompt.run', {
    ...(doc.isUntitled ? {} : { file: doc.fileName }), text: doc.getText(), only: [spec.index], seeds, defaults: generationDefaults(),
  }, title);
  const report = run?.specs[0];
  if (!run || !report) return;
  if (report.warning) void vscode.window.showWarningMessage(`${name}: ${report.warning}`);
  if (report.status === 'failed') throw new Error(`${name}: ${report.error}`);
  if (report.status === 'done') await showPreviewBeside(ctx, doc, spec.index, { jobId: run.jobId, images: report.images, parameters: report.parameters ?? {} });
}

async function regenerateFromImage(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const image = (uri instanceof vscode.Uri ? uri : undefined) ?? activeImage() ?? (await pickFile('Regenerate from image', IMAGE_FILTERS));
  if (!image) return;
  const editor = vscode.window.activeTextEditor;
  const target = editor?.document.languageId === 'sdprompt' ? editor : undefined;
  const sdpromptFile = target && !target.document.isUntitled ? target.document.fileName : undefined;
  const r = await ctx.daemon.request('sd/sdprompt.fromImage', { file: image.fsPath, ...(sdpromptFile ? { sdpromptFile } : {}) });
  if (r.text === null) throw new Error(`${path.basename(image.fsPath)} carries no generation settings${r.problems.length ? `: ${r.problems.join('; ')}` : '.'}`);
  if (r.warning) void vscode.window.showWarningMessage(`${path.basename(image.fsPath)}: ${r.warning}`);
  if (!target) {
    const doc = await vscode.workspace.openTextDocument({ language: 'sdprompt', content: r.text });
    await vscode.window.showTextDocument(doc);
    return;
  }
  const doc = target.document;
  const text = doc.getText();
  const sep = text.trim() === '' ? '' : `${text.endsWith('\n') ? '' : '\n'}---\n`;
  const end = doc.positionAt(text.length);
  await target.edit((b) => b.insert(end, sep + r.text));
  const start = doc.positionAt(text.length + sep.length);
  target.selection = new vscode.Selection(start, start);
  target.revealRange(new vscode.Range(start, start));
}

async function hashModels(ctx: Ctx, files: readonly vscode.Uri[]): Promise<void> {
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SD Studio: hashing ${files.length === 1 ? path.basename(files[0]!.fsPath) : `${files.length} files`}…`, cancellable: true },
    (_p, token) => ctx.daemon.request('models/hash', { files: files.map((f) => f.fsPath) }, token),
  );
  for (const h of r.files) {
    ctx.log.info(`${h.path}: sha256 ${h.sha256} · AutoV2 ${h.autoV2} · legacy ${h.legacy} · LoRA ${h.lora} · TI ${h.ti}${h.addnet ? ` · addnet ${h.addnet}` : ''}`);
  }
  const first = r.files[0]!;
  const summary = r.files.length === 1 ? `${path.basename(first.path)}: AutoV2 ${first.autoV2} · legacy ${first.legacy} · LoRA ${first.lora}` : `Hashed ${r.files.length} files (see the log).`;
  const b = await vscode.window.showInformationMessage(summary, 'Copy SHA-256', 'Show Logs');
  if (b === 'Copy SHA-256') await vscode.env.clipboard.writeText(r.files.map((f) => f.sha256).join('\n'));
  if (b === 'Show Logs') ctx.log.show();
}

/** A1111's batch tab: every image of a folder through img2img with the default settings and a prompt. */
async function batchImg2Img(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const folder = async (title: string): Promise<vscode.Uri | undefined> =>
    (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title }))?.[0];
  const input = uri ?? (await folder('Batch img2img: input folder'));
  if (!input) return;
  const output = await folder('Batch img2img: output folder (files are never overwritten)');
  if (!output) return;
  const prompt = await vscode.window.showInputBox({ title: 'Batch img2img: prompt', prompt: 'Leave empty to take each image\'s own prompt from its PNG info' });
  if (prompt === undefined) return;
  const params: Img2ImgParams = { ...generationDefaults(), prompt };
  const r = await ctx.runJob('sd/batch', {
    input_dir: input.fsPath, output_dir: output.fsPath, params,
    ...(prompt === '' ? { png_info: { fields: ['Prompt', 'Negative prompt'] } } : {}),
  }, `SD Studio: batch img2img of ${path.basename(input.fsPath)}`);
  if (!r) return;
  const failed = r.files.filter((f) => f.status !== 'done');
  const message = `Batch img2img: ${r.files.length - failed.length} of ${r.files.length} images done${failed.length ? `; ${failed.length} not: ${failed.slice(0, 3).map((f) => `${path.basename(f.input)} (${f.reason})`).join(', ')}` : ''}.`;
  if (failed.length) void vscode.window.showWarningMessage(message, 'Show log').then((c) => c && ctx.log.show());
  else void vscode.window.showInformationMessage(message);
  for (const f of failed) ctx.log.warn(`batch: ${f.input}: ${f.status}${f.reason ? ` — ${f.reason}` : ''}`);
}
