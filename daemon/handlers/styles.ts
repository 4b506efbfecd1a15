import { invalidParam } from '../errors';
import { applyNamedStyles, readStyles, stylesFilePath, writeStyles } from '../modelFiles/styles';
import type { PromptStyle } from '../prompt/styles';
import type { DaemonSettings, PromptStyleInfo, StylesListResult } from '../protocol';
import type { DaemonServer } from '../server';

const toInfo = (s: PromptStyle): PromptStyleInfo => ({ name: s.name, prompt: s.prompt, negative_prompt: s.negativePrompt });

function located(settings: DaemonSettings): string {
  const file = stylesFilePath(settings.stylesFile, settings.modelsRoot);
  if (!file) throw invalidParam('stylesFile', 'no styles.csv: set sdStudio.stylesFile or sdStudio.modelsRoot (an A1111 install or its models folder)');
  return file;
}

/** `sd/styles.*`: A1111's styles.csv, read per request (the user may edit it between requests). */
export function registerStylesHandlers(server: DaemonServer): void {
  const list = (settings: DaemonSettings): StylesListResult => {
    const file = stylesFilePath(settings.stylesFile, settings.modelsRoot);
    return { file, styles: file ? readStyles(file).map(toInfo) : [] };
  };
  server.onRequest('sd/styles.list', (_params, ctx) => list(ctx.settings));
  server.onRequest('sd/styles.save', (params, ctx) => {
    const st = params?.style;
    if (!st || typeof st.name !== 'string' || !st.name.trim()) throw invalidParam('style.name', 'a style needs a name');
    if (typeof st.prompt !== 'string' || typeof st.negative_prompt !== 'string') throw invalidParam('style', 'expected prompt and negative_prompt strings');
    const file = located(ctx.settings);
    const styles = readStyles(file);
    const at = styles.findIndex((s) => s.name === st.name);
    if (at >= 0 && params.overwrite !== true) throw invalidParam('style.name', `a style named "${st.name}" already exists in ${file} (set overwrite to replace it)`);
    const style = { name: st.name, prompt: st.prompt, negativePrompt: st.negative_prompt };
    if (at >= 0) styles[at] = style;
    else styles.push(style);
    writeStyles(file, styles);
    return list(ctx.settings);
  });
  server.onRequest('sd/styles.apply', (params, ctx) => {
    if (typeof params?.prompt !== 'string' || typeof params.negative_prompt !== 'string') throw invalidParam('prompt', 'expected prompt and negative_prompt strings');
    if (!Array.isArray(params.styles)) throw invalidParam('styles', 'expected a list of style names');
    const file = stylesFilePath(ctx.settings.stylesFile, ctx.settings.modelsRoot);
    const r = applyNamedStyles(params.styles, file ? readStyles(file) : [], file, params.prompt, params.negative_prompt);
    return { prompt: r.prompt, negative_prompt: r.negativePrompt };
  });
  server.onRequest('sd/styles.delete', (params, ctx) => {
    const file = located(ctx.settings);
    const styles = readStyles(file);
    const at = styles.findIndex((s) => s.name === params?.name);
    if (at < 0) throw invalidParam('name', `no style named ${JSON.stringify(params?.name)} in ${file}`);
    styles.splice(at, 1);
    writeStyles(file, styles);
    return list(ctx.settings);
  });
}
