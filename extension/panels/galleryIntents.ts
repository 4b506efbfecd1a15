// The gallery's buttons, for every panel that shows results: open, PNG info, reveal, save as .sdprompt, copy.
// Each maps onto a VS Code command or one file write; the webview only asks.
import * as vscode from 'vscode';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import type { ImageView } from '../../webviews/common/messages';
import type { SdContext } from '../sdContext';
import { type Handlers, isAllowedPath, viewPath } from './webviewHost';

/** Gallery buttons: open, PNG info, reveal, save as .sdprompt, copy. */
export function galleryOps(ctx: SdContext): Handlers {
  const requirePath = (image: ImageView): string => {
    const p = viewPath(ctx, image);
    if (!p) throw new Error('This image is not saved inside the workspace or output folder.');
    return p;
  };
  return {
    openImage: async ({ image }) => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(requirePath(image)), vscode.ViewColumn.Beside);
    },
    openPngInfo: async ({ image }) => {
      await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(requirePath(image)), 'sdStudio.pngInfo', vscode.ViewColumn.Beside);
    },
    reveal: async ({ image }) => {
      const uri = vscode.Uri.file(requirePath(image));
      // the explorer when the file is in the workspace, else the OS file manager (desktop only)
      if (vscode.workspace.getWorkspaceFolder(uri)) await vscode.commands.executeCommand('revealInExplorer', uri);
      else await vscode.commands.executeCommand('revealFileInOS', uri);
    },
    copy: async ({ text }) => {
      await vscode.env.clipboard.writeText(text);
      void vscode.window.setStatusBarMessage('$(copy) Copied', 2000);
    },
    saveSpec: async ({ infotext, image }) => {
      const src = image ? viewPath(ctx, image) : undefined;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const defaultUri = src ? vscode.Uri.file(src.replace(/\.\w+$/, '.sdprompt')) : folder ? vscode.Uri.joinPath(folder, 'spec.sdprompt') : undefined;
      const target = await vscode.window.showSaveDialog({ defaultUri, filters: { 'SD prompt': ['sdprompt'] } });
      if (!target) return null;
      const from = src && isAllowedPath(ctx, target.fsPath) ? relative(dirname(target.fsPath), src) : 'SD Studio';
      await writeReplacing(target.fsPath, `# from ${from}\n${infotext.trim()}\n`);
      await vscode.window.showTextDocument(target, { preview: false });
      return basename(target.fsPath);
    },
  };
}

/**
 * The save dialog already asked before replacing: write beside the target and rename into place, so a failed write
 * never leaves half a spec where the user's file was.
 */
async function writeReplacing(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
