// Activation only wires: build the context, register the command table, the panels' editor and serializers,
// then start the daemon. A failure here is shown to the user instead of leaving a silent, dead extension.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { registerPanelSerializers, registerPngInfoEditor } from './panels';

let ctx: Ctx | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  try {
    ctx = new Ctx(extension);
    extension.subscriptions.push(...registerCommands(ctx), registerPngInfoEditor(ctx), registerPanelSerializers(ctx));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`SD Studio failed to activate: ${message}`);
    throw e;
  }
  // Not awaited: commands and panels work (and say "daemon not running") while the daemon starts.
  void ctx.startDaemon();
}

export async function deactivate(): Promise<void> {
  await ctx?.daemon.stop();
  ctx = undefined;
}
