/**
 * The `.sdprompt` language server inside the daemon: a `TextDocuments` manager on the daemon's connection,
 * diagnostics on open/change (debounced), completion, hover and code lens; plus `sd/sdprompt.fromImage`.
 * The providers are pure functions of the document model and a `LanguageEnv` built here from the settings.
 */
import { existsSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { hashFile } from '../../models/hash';
import { invalidParam } from '../errors';
import { resolveTokenizerDir } from '../modelFiles/tokenizerDir';
import { printSdPrompt } from '../infotext/sdprompt';
import { readStyles, stylesFilePath } from '../modelFiles/styles';
import { listUpscalers } from '../extras/upscalerRegistry';
import { infotextWarning, specFromImage } from '../infotext/toSpec';
import type { DaemonSettings } from '../protocol';
import { samplerCatalog, schedulerNames } from '../sampling';
import type { DaemonServer } from '../server';
import type { Services } from '../services';
import { sdPromptCodeLenses } from './codeLens';
import { sdPromptCompletions } from './completion';
import { sdPromptDiagnostics } from './diagnostics';
import { analyzeSdPrompt, type SdPromptModel } from './document';
import type { FileHashSummary, LanguageEnv } from './languageEnv';
import { sdPromptHover } from './hover';


const DIAGNOSTICS_DELAY_MS = 250;
const HASH_MAX_BYTES = 2 * 1024 ** 3;

export const SDPROMPT_TRIGGER_CHARACTERS = ['<', ':', '@', ' '];

/** The folder of a `file:` document; null for untitled and other schemes. */
export function docDirOf(uri: string): string | null {
  if (!uri.startsWith('file:')) return null;
  try {
    return dirname(fileURLToPath(uri));
  } catch {
    return null;
  }
}

/** Hashes computed in the background for hovers (owned by daemon/services.ts); a hover shows them once ready. */
export class HoverHashes {
  private readonly hashes = new Map<string, FileHashSummary | 'pending' | null>();

  summary(path: string, size: number): FileHashSummary | 'pending' | null {
    const known = this.hashes.get(path);
    if (known !== undefined) return known;
    if (size > HASH_MAX_BYTES) return null;
    this.hashes.set(path, 'pending');
    hashFile(path).then(
      (h) => this.hashes.set(path, { sha256: h.sha256, autoV2: h.autoV2, lora: h.lora, ti: h.ti }),
      () => this.hashes.set(path, null),
    );
    return 'pending';
  }

  clear(): void {
    this.hashes.clear();
  }
}

function stylesOrNull(settings: DaemonSettings): string[] | null {
  const file = stylesFilePath(settings.stylesFile, settings.modelsRoot);
  if (!file || !existsSync(file)) return null;
  try {
    return readStyles(file).map((s) => s.name);
  } catch {
    return null;
  }
}

function upscalerNames(modelsRoot: string): string[] {
  try {
    return listUpscalers(modelsRoot).map((u) => u.name);
  } catch {
    return [];
  }
}

export function languageEnv(settings: DaemonSettings, uri: string, services: Services): LanguageEnv {
  const nets = services.networks.get(settings.modelsRoot);
  const sizes = new Map([...nets.loras.values(), ...nets.embeddings.values()].map((f) => [f.path, f.size]));
  let tokenizerDir: string | null;
  try {
    tokenizerDir = resolveTokenizerDir({ text: '' }, settings);
  } catch {
    tokenizerDir = null;
  }
  return {
    samplers: samplerCatalog(),
    schedulers: schedulerNames,
    loras: nets.loras,
    embeddings: nets.embeddings,
    loraFolders: nets.loraFolders,
    embeddingFolders: nets.embeddingFolders,
    tokenizer: tokenizerDir ? services.tokenizers.tryGet(tokenizerDir) : null,
    styles: stylesOrNull(settings),
    upscalers: upscalerNames(settings.modelsRoot),
    docDir: docDirOf(uri),
    exists: existsSync,
    hashes: (path) => services.hoverHashes.summary(path, sizes.get(path) ?? 0),
  };
}

export function registerLanguageFeatures(server: DaemonServer, services: Services): void {
  const connection = server.connection;
  const documents = new TextDocuments(TextDocument);
  const models = new Map<string, { version: number; model: SdPromptModel }>();
  const timers = new Map<string, NodeJS.Timeout>();

  const modelOf = (doc: TextDocument): SdPromptModel => {
    const m = models.get(doc.uri);
    if (m && m.version === doc.version) return m.model;
    const model = analyzeSdPrompt(doc.getText());
    models.set(doc.uri, { version: doc.version, model });
    return model;
  };
  const publish = (doc: TextDocument): void => {
    const diagnostics = sdPromptDiagnostics(modelOf(doc), languageEnv(server.settings, doc.uri, services));
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  };
  const schedule = (doc: TextDocument, delay: number): void => {
    clearTimeout(timers.get(doc.uri));
    timers.set(doc.uri, setTimeout(() => {
      timers.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (current) publish(current);
    }, delay));
  };

  documents.onDidOpen((e) => schedule(e.document, 0));
  documents.onDidChangeContent((e) => schedule(e.document, DIAGNOSTICS_DELAY_MS));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    models.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? sdPromptCompletions(modelOf(doc), p.position, languageEnv(server.settings, doc.uri, services)) : [];
  });
  connection.onHover((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? sdPromptHover(modelOf(doc), p.position, languageEnv(server.settings, doc.uri, services)) : null;
  });
  connection.onCodeLens((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? sdPromptCodeLenses(modelOf(doc), doc.uri, docDirOf(doc.uri)) : [];
  });

  server.onRequest('sd/sdprompt.fromImage', async (params) => {
    if (typeof params.file !== 'string') throw invalidParam('file', 'expected an image path');
    if (params.sdpromptFile !== undefined && typeof params.sdpromptFile !== 'string') throw invalidParam('sdpromptFile', 'expected a .sdprompt file path');
    const file = resolve(params.file);
    const { info } = await services.infoReader.readOne(file); // off the event loop
    const init = params.sdpromptFile ? relative(dirname(resolve(params.sdpromptFile)), file).split('\\').join('/') : file;
    const spec = specFromImage(info, init);
    return { text: spec ? printSdPrompt([spec]) : null, format: info.format, problems: info.problems, warning: infotextWarning(info) };
  });

  documents.listen(connection);
}
