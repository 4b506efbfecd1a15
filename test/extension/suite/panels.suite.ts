// API-level checks of the panels inside a real extension host: the commands exist, each panel opens as the right
// webview, the PNG info custom editor is registered, closing a panel is clean.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

declare const suite: (name: string, fn: () => void) => void;
declare const test: (name: string, fn: () => Promise<void>) => void;
declare const suiteSetup: (fn: () => Promise<void>) => void;

const EXT = 'sd-studio.sd-studio';

function webviewTabs(viewType: string): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(viewType));
}

async function until<T>(fn: () => T | undefined, what: string, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function panelSuite(): void {
  suite('SD Studio panels', () => {
    suiteSetup(async () => {
      const ext = vscode.extensions.getExtension(EXT);
      assert.ok(ext, `extension ${EXT} is loaded`);
      await ext.activate();
    });

    test('every panel command is registered', async () => {
      const all = await vscode.commands.getCommands(true);
      for (const id of ['sdStudio.openImg2Img', 'sdStudio.openInpaint', 'sdStudio.openExtras', 'sdStudio.openPngInfo', 'sdStudio.openMerger', 'sdStudio.generateSpec', 'sdStudio.regenerateFromImage']) {
        assert.ok(all.includes(id), `${id} registered`);
      }
    });

    for (const [cmd, viewType] of [['sdStudio.openImg2Img', 'sdStudio.img2img'], ['sdStudio.openInpaint', 'sdStudio.inpaint'], ['sdStudio.openExtras', 'sdStudio.extras'], ['sdStudio.openMerger', 'sdStudio.merger']] as const) {
      test(`${cmd} opens one ${viewType} webview, twice = still one`, async () => {
        await vscode.commands.executeCommand(cmd);
        await until(() => webviewTabs(viewType).length === 1 || undefined, `${viewType} tab`);
        await vscode.commands.executeCommand(cmd);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(webviewTabs(viewType).length, 1);
      });
    }

    test('closing the panels leaves the extension working', async () => {
      const tabs = ['sdStudio.img2img', 'sdStudio.inpaint', 'sdStudio.extras', 'sdStudio.merger'].flatMap(webviewTabs);
      await vscode.window.tabGroups.close(tabs);
      await vscode.commands.executeCommand('sdStudio.openImg2Img');
      await until(() => webviewTabs('sdStudio.img2img').length === 1 || undefined, 'img2img reopened');
    });
  });
}
