// The aesthetic-gradients flags of `img2img` (txt2img without an init image), `outpaint` and `batch`: the
// extension's eight UI fields, named after its infotext keys.
import type { AestheticParams } from '../protocol';
import type { FlagSpec, FlagValues } from './args';

export const aestheticFlags: Record<string, FlagSpec> = {
  'aesthetic-embedding': { kind: 'string', help: 'aesthetic gradients: embedding NAME (aesthetic_embeddings/NAME.pt under the models root) or a .pt path' },
  'aesthetic-weight': { kind: 'number', help: 'aesthetic gradients: weight 0..1 (default 0.9)' },
  'aesthetic-steps': { kind: 'int', help: 'aesthetic gradients: optimisation steps (default 5)' },
  'aesthetic-lr': { kind: 'number', help: 'aesthetic gradients: learning rate (default 0.0001)' },
  'aesthetic-slerp': { kind: 'boolean', help: 'aesthetic gradients: spherical instead of linear mix' },
  'aesthetic-text': { kind: 'string', help: 'aesthetic gradients: text to rotate the embedding toward' },
  'aesthetic-text-negative': { kind: 'boolean', help: 'aesthetic gradients: rotate away from --aesthetic-text' },
  'aesthetic-slerp-angle': { kind: 'number', help: 'aesthetic gradients: how far the text rotates it, 0..1 (default 0.1)' },
};

/** The aesthetic fields given on the command line (only those; an infotext's fill the rest), or undefined. */
export function aestheticFromFlags(f: FlagValues): AestheticParams | undefined {
  const a: Partial<AestheticParams> = {};
  const set = <K extends keyof AestheticParams>(k: K, v: unknown): void => {
    if (v !== undefined) a[k] = v as AestheticParams[K];
  };
  set('embedding', f['aesthetic-embedding']);
  set('weight', f['aesthetic-weight']);
  set('steps', f['aesthetic-steps']);
  set('lr', f['aesthetic-lr']);
  set('slerp', f['aesthetic-slerp']);
  set('text', f['aesthetic-text']);
  set('text_negative', f['aesthetic-text-negative']);
  set('slerp_angle', f['aesthetic-slerp-angle']);
  // The daemon names a missing embedding when other fields came without one.
  return Object.keys(a).length ? (a as AestheticParams) : undefined;
}
