// The checkpoint merger panel (A1111's Checkpoint Merger tab): pick models A/B/C, method, multiplier, options,
// output; runs `models/merge` as a job with progress and cancel. Picked files outside the allowed roots reach the
// webview as an opaque token, never as a path.
import * as vscode from 'vscode';
import { basename } from 'node:path';
import type { ModelsMergeParams } from '../../daemon/protocol';
import type { PanelDef } from './singletonPanel';
import { isAllowedPath } from './webviewHost';

export const MERGER_VIEW = 'sdStudio.merger';

export function mergerPanel(): PanelDef {
  return {
    viewType: MERGER_VIEW,
    kind: 'merger',
    title: 'Checkpoint Merger',
    handlers(ctx) {
      const tokens = new Map<string, string>();
      const shown = (path: string): string => {
        if (isAllowedPath(ctx, path)) return path;
        const token = `picked:${tokens.size + 1}:${basename(path)}`;
        tokens.set(token, path);
        return token;
      };
      const real = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : tokens.get(s) ?? (isAllowedPath(ctx, s) ? s : undefined));
      let running: string | undefined;
      let confirmedOut: string | undefined;
      return {
        onDispose: () => {
          if (running) void ctx.daemon.request('sd/job.cancel', { jobId: running }).catch(() => undefined);
        },
        handlers: {
          pickModel: async ({ slot }) => {
            if (slot === 'out') {
              const uri = await vscode.window.showSaveDialog({ filters: { Safetensors: ['safetensors'] }, saveLabel: 'Merge into' });
              // The save dialog asks before replacing a file: a path picked here may be replaced.
              if (uri) confirmedOut = uri.fsPath;
              return uri ? shown(uri.fsPath) : null;
            }
            const uris = await vscode.window.showOpenDialog({
              canSelectMany: false,
              filters: slot === 'bakeVae' ? { VAE: ['safetensors', 'pt', 'ckpt'] } : { Checkpoints: ['safetensors', 'ckpt', 'pt', 'bin'] },
            });
            return uris?.[0] ? shown(uris[0].fsPath) : null;
          },
          merge: async ({ params }) => {
            const primary = real(params.primary);
            const out = real(params.out);
            if (!primary) throw new Error('Choose the primary model (A).');
            if (!out) throw new Error('Choose where to write the merged model.');
            const full: ModelsMergeParams = {
              ...params, primary, out,
              secondary: real(params.secondary), tertiary: real(params.tertiary), bakeVae: real(params.bakeVae),
              // the webview picks the id so its Interrupt button can cancel before the result arrives
              jobId: params.jobId ?? `merge-${Date.now().toString(36)}`,
              overwrite: out === confirmedOut,
            };
            running = full.jobId;
            try {
              const res = await ctx.runJob('models/merge', full, 'Checkpoint merger');
              return res ? { ...res, out: shown(res.out) } : null;
            } finally {
              running = undefined;
            }
          },
          cancel: async ({ jobId }) => {
            await ctx.daemon.request('sd/job.cancel', { jobId });
          },
        },
      };
    },
  };
}
