// The e2e harness: an isolated code-server (VS Code 1.99 web) with the extension loaded from this checkout through
// the `payload` URL, driven by playwright-core in Debian's Chromium. Recipe and pitfalls: ../shared/e2e.md.
// Nothing here kills by name: code-server runs in its own process group and is stopped with kill(-pgid).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { format } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../..');
export const E2E = join(ROOT, '.e2e');
export const TOOLS = join(E2E, 'tools');
export const SHOTS = join(E2E, 'screenshots');
const toolsRequire = createRequire(join(TOOLS, 'package.json'));
/** The extension folder under test: this checkout, or E2E_EXTENSION_PATH (a developer's staged copy). */
export const EXT_PATH = process.env.E2E_EXTENSION_PATH ? resolve(process.env.E2E_EXTENSION_PATH) : ROOT;
export const EXT_PKG = JSON.parse(readFileSync(join(EXT_PATH, 'package.json'), 'utf8'));
export const EXTENSION_ID = `${EXT_PKG.publisher}.${EXT_PKG.name}`;

export function toolsInstalled() {
  return existsSync(join(TOOLS, 'node_modules/.bin/code-server')) && existsSync('/usr/bin/chromium');
}

async function freePort() {
  return new Promise((res, rej) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); s.on('error', rej); });
}

const SETTINGS = {
  'workbench.startupEditor': 'none', 'workbench.tips.enabled': false, 'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false, 'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true, 'security.workspace.trust.enabled': false, 'npm.fetchOnlinePackageInfo': false,
  'json.schemaDownload.enable': false, 'typescript.disableAutomaticTypeAcquisition': true, 'git.enabled': false,
  'chat.commandCenter.enabled': false, 'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'editor.wordBasedSuggestions': 'off', 'editor.autoClosingBrackets': 'never', 'editor.autoClosingQuotes': 'never', 'editor.suggest.showWords': false, 'window.commandCenter': false,
  'workbench.colorTheme': 'Default Dark Modern', 'editor.minimap.enabled': false, 'workbench.layoutControl.enabled': false,
};

/** A fresh run folder: user data, extensions, XDG dirs, and a workspace. Returns paths. */
export function prepareRun(name, extraSettings = {}) {
  const run = join(E2E, 'runs', name);
  rmSync(run, { recursive: true, force: true });
  for (const d of ['ud/User', 'ext', 'xdg/config', 'xdg/data', 'xdg/cache', 'workspace/.vscode']) mkdirSync(join(run, d), { recursive: true });
  const settingsFile = join(run, 'ud/User/settings.json');
  const settings = { ...SETTINGS, ...extraSettings };
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  return { run, workspace: join(run, 'workspace'), settingsFile, settings };
}

/** Start code-server for a prepared run; resolves when /healthz answers. */
export async function startCodeServer(prep) {
  const port = await freePort();
  const bin = join(TOOLS, 'node_modules/.bin/code-server');
  writeFileSync(join(prep.run, 'config.yaml'), `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env = { ...process.env, XDG_CONFIG_HOME: join(prep.run, 'xdg/config'), XDG_DATA_HOME: join(prep.run, 'xdg/data'), XDG_CACHE_HOME: join(prep.run, 'xdg/cache'), EXTENSIONS_GALLERY: '{}' };
  const { openSync } = await import('node:fs');
  const log = openSync(join(prep.run, 'cs.log'), 'w');
  const child = spawn(bin, ['--config', join(prep.run, 'config.yaml'), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--user-data-dir', join(prep.run, 'ud'), '--extensions-dir', join(prep.run, 'ext'), '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--disable-getting-started-override', '--disable-proxy', '--ignore-last-opened', prep.workspace],
  { env, detached: true, stdio: ['ignore', log, log] });
  const stop = () => { try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ } };
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { port, stop, pid: child.pid }; } catch { /* not yet */ }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  stop();
  throw new Error(`code-server did not start; see ${join(prep.run, 'cs.log')}`);
}

export function workbenchUrl(port, workspace, { tests } = {}) {
  const payload = [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${port}${EXT_PATH}`]];
  if (tests) payload.push(['extensionTestsPath', `vscode-remote://127.0.0.1:${port}${tests}`]);
  return `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** User settings that make the workbench follow the browser's prefers-color-scheme (see setColorScheme). */
export const FOLLOW_COLOR_SCHEME = {
  'window.autoDetectColorScheme': true,
  'workbench.preferredDarkColorTheme': 'Default Dark Modern',
  'workbench.preferredLightColorTheme': 'Default Light Modern',
};

export async function launchBrowser({ colorScheme = 'dark' } = {}) {
  const { chromium } = toolsRequire('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme });
  const logs = [];
  page.on('console', (m) => {
    const args = m.args().length ? null : m.text();
    logs.push(args ?? m.text());
  });
  return { browser, page, logs };
}

/** Extension-host log lines arrive as ('%c INFO', 'color: …', fmt, ...args): drop the style args. */
export function hostLine(text) {
  return text.replace(/^%c\s*\w+\s+color:[^ ]+\s*/, '');
}

export async function waitForWorkbench(page) {
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ timeout: 90000 });
  await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 90000 });
}

/** Run a palette command by its title; retried until the extension host has registered it. */
export async function palette(page, title, { timeout = 90000 } = {}) {
  const deadline = Date.now() + timeout;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: title }).first();
  while (Date.now() < deadline) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ timeout: 10000 });
      await input.fill(`>${title}`, { timeout: 5000 });
      await row.waitFor({ timeout: 3000 });
      await input.press('Enter', { timeout: 5000 });
      return;
    } catch { /* the palette closed again (focus went to a closing webview) or the command is not registered yet */ }
  }
  throw new Error(`palette: "${title}" never appeared`);
}

/** Quick-open a workspace file by name. */
export async function quickOpen(page, name) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20000 });
  await input.press('Enter');
}

/** The frame of our webview whose body says data-panel=<kind> (outer host iframe → inner #active-frame). */
export async function panelFrame(page, kind, timeout = 60000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      try {
        if (await f.evaluate((k) => document.body?.dataset.panel === k && !document.getElementById('app')?.hasAttribute('aria-busy'), kind)) return f;
      } catch { /* frame navigating */ }
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`webview "${kind}" did not render`);
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const file = join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * Switch between the light and dark theme through the browser: with FOLLOW_COLOR_SCHEME in the user settings the
 * workbench follows prefers-color-scheme, which Playwright emulates (editing workbench.colorTheme in settings.json
 * does not take in code-server). Resolves when the workbench and the webviews carry the new theme.
 */
export async function setColorScheme(page, scheme) {
  await page.emulateMedia({ colorScheme: scheme });
  await page.waitForFunction((dark) => {
    const c = document.querySelector('.monaco-workbench')?.classList;
    return !!c && (dark ? c.contains('vs-dark') : c.contains('vs') && !c.contains('vs-dark'));
  }, scheme === 'dark', { timeout: 30000 });
  // KNOWN code-server 1.99 quirk: at startup the dark scheme lands on Abyss (the first dark theme) whatever
  // workbench.preferredDarkColorTheme says; picking the theme in "Preferences: Color Theme" fixes it for the session
  const want = scheme === 'dark' ? { cls: 'dark_modern-json', label: 'Dark Modern' } : { cls: 'light_modern-json', label: 'Light Modern' };
  const applied = () => page.evaluate((cls) => [...(document.querySelector('.monaco-workbench')?.classList ?? [])].some((c) => c.endsWith(cls)), want.cls);
  if (!(await applied())) {
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    await input.fill('>Preferences: Color Theme');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: /^Preferences: Color Theme/ }).first().click();
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: want.label }).first().waitFor({ timeout: 15000 });
    await input.fill(want.label);
    // click the row (Enter can land before the list is filtered; the picker previews the focused theme either way)
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: want.label }).first().click();
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 15000 });
    await page.waitForFunction((cls) => [...(document.querySelector('.monaco-workbench')?.classList ?? [])].some((c) => c.endsWith(cls)), want.cls, { timeout: 15000 });
  }
  await page.waitForTimeout(600);
}

/** Switch the colour theme by editing user settings (the workbench watches the file). */
export async function setTheme(page, prep, theme) {
  prep.settings['workbench.colorTheme'] = theme;
  writeFileSync(prep.settingsFile, JSON.stringify(prep.settings, null, 2));
  const light = /light/i.test(theme);
  // the workbench carries the theme type as a class: vs (light), vs-dark, hc-black, hc-light
  const isApplied = () => page.waitForFunction((l) => {
    const c = document.querySelector('.monaco-workbench')?.classList;
    return !!c && (l ? c.contains('vs') : c.contains('vs-dark'));
  }, light, { timeout: 20000 });
  try {
    await isApplied();
  } catch {
    // settings file not picked up (yet): pick the theme in the palette
    await palette(page, 'Preferences: Color Theme');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Modern' }).first().waitFor({ timeout: 15000 });
    await page.keyboard.type(theme, { delay: 20 });
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: theme }).first().waitFor();
    await page.keyboard.press('Enter');
    await isApplied();
  }
  await page.waitForTimeout(600);
}

/** Bundle a TS entry with esbuild from the project's devDependencies (fixtures, the mocha suite). */
export function bundle(entry, outfile, { external = [] } = {}) {
  execFileSync(process.execPath, ['-e', `require('esbuild').buildSync({entryPoints:[${JSON.stringify(entry)}],outfile:${JSON.stringify(outfile)},bundle:true,platform:'node',target:'node20',format:'cjs',external:${JSON.stringify(external)},nodePaths:[${JSON.stringify(join(TOOLS, 'node_modules'))}],logLevel:'warning'})`], { cwd: ROOT, stdio: 'inherit' });
}

export { format };
