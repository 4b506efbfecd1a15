// Draw Things (iOS/macOS): an XMP packet (PNG iTXt "XML:com.adobe.xmp", JPEG APP1) with xmp:CreatorTool
// "Draw Things", the settings as JSON in exif:UserComment — c (prompt), uc (negative), model, sampler (its display
// names: "DPM++ 2M Karras", "Euler A Trailing", "UniPC AYS"), scale, seed, seed_mode, shift, size "WxH", steps,
// strength, v2 {...} — and a readable summary in dc:description ("prompt\n-negative\nSteps: …, Guidance Scale: …").

import { type FormatResult } from '../generationInfo';
import type { JsonValue } from '../json';
import { readKeyValues } from './keyValue';

type Obj = { [key: string]: JsonValue };

export function readDrawThings(config: Obj, source: string): FormatResult {
  const { c, uc, ...rest } = config;
  const r = readKeyValues({ prompt: c ?? null, negative_prompt: uc ?? null, ...rest }, 'drawthings', source, { generator: 'Draw Things' });
  r.parameters = { ...config };
  return r;
}
