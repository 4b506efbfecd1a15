// Infotext keys SD Studio cannot apply yet when an infotext is pasted or regenerated (A1111 would apply them).
// They are named in a warning (CLI, panels, `.sdprompt` diagnostics, `sd-studio run`) instead of being dropped
// silently. THE list: when a feature lands, delete its family here.
export interface NotHonouredFamily {
  /** What the user knows the feature as. */
  feature: string;
  keys: RegExp;
}

export const NOT_HONOURED: readonly NotHonouredFamily[] = [
  { feature: 'Refiner', keys: /^(Refiner|Hires refiner)/ },
  { feature: 'ControlNet', keys: /^ControlNet/ },
  { feature: 'ADetailer', keys: /^ADetailer/ },
  { feature: 'Hypernetworks', keys: /^Hypernet/ },
  { feature: 'Tiling', keys: /^Tiling$/ },
  { feature: 'instruct-pix2pix', keys: /^Image CFG scale$/ },
  { feature: 'Soft inpainting from an infotext', keys: /^Soft inpainting/ },
  { feature: 'Sampler parameters', keys: /^(Eta|Eta DDIM|Sigma churn|Sigma tmin|Sigma tmax|Sigma noise|Schedule max sigma|Schedule min sigma|Schedule rho|Beta schedule alpha|Beta schedule beta|Discard penultimate sigma|SGM noise multiplier|Extra noise)$/ },
  { feature: 'Skip Early CFG', keys: /^Skip Early CFG$/ },
  { feature: 'Emphasis mode', keys: /^Emphasis$/ },
  { feature: 'Compatibility options', keys: /^(Downcast alphas_cumprod|Noise Schedule|Old prompt editing timelines|Pad conds v0)$/ },
  { feature: 'Scripts (X/Y/Z plot, prompt matrix, SD upscale)', keys: /^(Script|[XYZ] Type|[XYZ] Values|Prompt matrix|SD upscale)/ },
  { feature: 'Dynamic thresholding / CFG rescale', keys: /^(Dynamic thresholding|CFG Rescale)/ },
];

/**
 * Values that mean "off": A1111's parse fills them in for keys the text never wrote (`Hires sampler: Use same
 * sampler`, `Schedule rho: 0`, `VAE Decoder: Full`, …), so they ask for nothing SD Studio lacks.
 */
const NEUTRAL = new Set(['', '0', 'False', 'Full', 'Original', 'Use same sampler', 'Use same scheduler', 'Use same checkpoint']);

/** The keys of `fields` (A1111 parse result) that ask for something SD Studio does not apply, in order. */
export function notHonouredKeys(fields: Readonly<Record<string, string>>): string[] {
  // "Hires resize-1"/"-2"-style splits of one key are reported once, by their key.
  const keys = new Set(Object.entries(fields).filter(([, v]) => !NEUTRAL.has(v.trim())).map(([k]) => k.replace(/-[12]$/, '')));
  return [...keys].filter((k) => NOT_HONOURED.some((f) => f.keys.test(k)));
}

/** One line naming the keys and their features, or undefined when there are none. */
export function notHonouredWarning(keys: readonly string[]): string | undefined {
  if (keys.length === 0) return undefined;
  const byFeature = new Map<string, string[]>();
  for (const k of keys) {
    const f = NOT_HONOURED.find((x) => x.keys.test(k))?.feature ?? 'other';
    byFeature.set(f, [...(byFeature.get(f) ?? []), k]);
  }
  const parts = [...byFeature].map(([f, ks]) => `${ks.join(', ')} (${f})`);
  return `SD Studio does not apply these infotext settings yet, so the result can differ from the original: ${parts.join('; ')}`;
}
