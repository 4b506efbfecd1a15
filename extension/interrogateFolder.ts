// "Interrogate Images in a Folder…": A1111's interrogate over a folder, each caption written to <stem>.txt beside
// its image (as caption tools do for training sets); existing .txt files are kept unless the user says replace.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { InterrogateMethod } from '../daemon/protocol';
import type { Ctx } from './ctx';

export async function interrogateFolder(ctx: Ctx, uri?: vscode.Uri): Promise<void> {
  const folder = uri ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: 'Interrogate: folder of images' }))?.[0];
  if (!folder) return;
  const method = await vscode.window.showQuickPick(
    [
      { label: 'CLIP', description: 'BLIP caption + CLIP ranking of the term lists (A1111 📎)', method: 'clip' as InterrogateMethod },
      { label: 'DeepBooru', description: 'Danbooru tags (A1111 📦)', method: 'deepbooru' as InterrogateMethod },
      { label: 'WD14 tagger', description: 'an ONNX WD14 tagger with selected_tags.csv', method: 'wd14' as InterrogateMethod },
    ],
    { title: `Interrogate ${path.basename(folder.fsPath)}: method` },
  );
  if (!method) return;
  const existing = await vscode.window.showQuickPick(['Keep existing .txt files', 'Replace existing .txt files'], { title: 'Captions already written' });
  if (!existing) return;
  const r = await ctx.runJob('sd/interrogate', { input_dir: folder.fsPath, model: method.method, write_captions: true, overwrite: existing.startsWith('Replace') }, `SD Studio: interrogating ${path.basename(folder.fsPath)}`);
  if (!r) return;
  const written = r.images.filter((i) => i.txt).length;
  const skipped = r.images.filter((i) => i.skipped).length;
  for (const i of r.images) if (i.error) ctx.log.warn(`${i.source}: ${i.error}`);
  const msg = `Interrogate: ${written} caption${written === 1 ? '' : 's'} written${skipped ? `, ${skipped} kept` : ''}${r.failed ? `, ${r.failed} failed (see the log)` : ''}.`;
  if (r.failed) void vscode.window.showWarningMessage(msg, 'Show Log').then((a) => a && ctx.log.show());
  else void vscode.window.showInformationMessage(msg);
}
