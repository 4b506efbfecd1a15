// The state dict of a single network file (upscalers, face restorers, detectors, interrogators) as its own code
// loads it: basicsr-trained files wrap it as {"params_ema": sd} and/or {"params": sd} (GFPGANer and
// CodeFormer take params_ema, as spandrel does when both exist); a safetensors conversion of such a file keeps
// the wrapper flattened into the key (`params_ema.conv_first.weight`); a DataParallel save prefixes every key
// with `module.` (facexlib strips it before load_state_dict). Torch files name tensors by their pickle-tree path
// (`params_ema/conv_first.weight`), safetensors by the flat key.
import type { WeightsFile } from './open';
import type { TensorRecord } from './tensorRecord';

/** Wrapper keys, preferred first. */
const WRAPPERS = ['params_ema', 'params', 'state_dict', 'model_state_dict', 'model'] as const;

/**
 * State-dict key → file tensor name, for the tensor names of one file. `flatDot`: the file is flat (safetensors),
 * so a wrapper shows as `params_ema.` rather than `params_ema/` (default: no name has a '/').
 */
export function stateDictKeys(names: readonly string[], flatDot = !names.some((n) => n.includes('/'))): Map<string, string> {
  const sep = flatDot ? '.' : '/';
  // `model.` is only a wrapper in pickles (a flat key `model.0.weight` is old-ESRGAN's own layout).
  const wrappers = flatDot ? WRAPPERS.filter((w) => w !== 'model') : WRAPPERS;
  const wrapper = wrappers.find((w) => names.some((n) => n.startsWith(w + sep)));
  const out = new Map<string, string>();
  for (const n of names) {
    if (wrapper && !n.startsWith(wrapper + sep)) continue;
    let key = wrapper ? n.slice(wrapper.length + 1) : n;
    if (key.startsWith('module.')) key = key.slice('module.'.length);
    out.set(flatDot ? key : key.replace(/\//g, '.'), n);
  }
  return out;
}

/** The network's state dict (keys as its own module names them) → tensor records, in file order. */
export function netStateDict(w: WeightsFile): Map<string, TensorRecord> {
  const byName = new Map(w.tensors.map((t) => [t.name, t]));
  const out = new Map<string, TensorRecord>();
  for (const [key, name] of stateDictKeys(w.tensors.map((t) => t.name), w.format === 'safetensors')) out.set(key, byName.get(name)!);
  return out;
}
