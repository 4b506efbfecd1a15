// Steps on SD Studio's panels in the e2e workbench: filling forms, starting long jobs, finding restored panels.
import { EXT_PKG, palette, panelFrame } from './harness.mjs';

/** The palette title of a command id, from package.json (category: title). */
export function title(id) {
  const c = (EXT_PKG.contributes?.commands ?? []).find((x) => x.command === id);
  if (!c) throw new Error(`package.json contributes no command ${id}`);
  return c.category ? `${c.category}: ${c.title}` : c.title;
}

/** Fill number fields of a panel form (the range beside each follows). */
export async function setFields(f, pairs) {
  for (const [k, v] of pairs) await f.locator(`input[data-key="${k}"]`).fill(String(v));
}
/** The SD Studio status bar item: "… · idle" or "… · N job(s)". */
export const statusItem = (page, re) => page.locator('.statusbar-item', { hasText: re }).first();
/**
 * Start a generation long enough to act on mid-run (150 steps × n batches on the tiny model, ~1 s per batch at
 * 256×256, ~4 s at 512×512); resolves once sampling reports progress.
 */
export async function startLongJob(page, f, nIter = 20, size = 256) {
  await setFields(f, [['steps', 150], ['n_iter', nIter], ['batch_size', 1], ['width', size], ['height', size], ['seed', 7]]);
  await f.locator('#generate').click();
  await f.waitForFunction(() => document.getElementById('progress')?.className === 'progress', null, { timeout: 120000 });
  await statusItem(page, /\d+ jobs?/).waitFor({ timeout: 30000 });
}
/**
 * A panel VS Code restored after a reload. KNOWN code-server quirk: a webview restored while the page's webview
 * service worker is still taking control may stay blank (its resources fail to load); showing another editor and
 * coming back reloads it, as a user would. The panel's content then comes from the serializer + getState.
 */
export async function revealRestored(page, tab, kind) {
  const t = page.locator('.tabs-container .tab', { hasText: tab }).first();
  await t.waitFor({ timeout: 90000 });
  for (let attempt = 0; ; attempt++) {
    await t.click();
    try { return await panelFrame(page, kind, 30000); } catch (e) {
      if (attempt >= 2) throw e;
      if (attempt === 0) {
        await page.locator('.tabs-container .tab', { hasText: 'scene.sdprompt' }).first().click();
        await page.waitForTimeout(1000);
      } else {
        // a webview in another editor group stays blank when its neighbour's tab is shown: reload the webviews
        await palette(page, 'Developer: Reload Webviews', { timeout: 20000 });
      }
    }
  }
}
/** Focus a panel's editor tab and return its webview frame. */
export async function showPanel(page, tab, kind) {
  await page.locator('.tabs-container .tab', { hasText: tab }).first().click();
  return panelFrame(page, kind);
}
