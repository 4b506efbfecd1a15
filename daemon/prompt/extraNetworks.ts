/**
 * Extra-network tags, `<lora:name:te[:unet[:dyn]]>`, `<hypernet:name:m>`, ... : A1111's
 * `modules/extra_networks.py: parse_prompt`. Tags are removed before AND-splitting and scheduling; the
 * whitespace around them is left as it is.
 */

export interface ExtraNetworkTag {
  /** The tag type before the first colon: "lora", "lyco", "hypernet", or anything `\w+`. */
  type: string;
  /** The ":"-separated arguments; `k=v` items are named, the rest positional (A1111's ExtraNetworkParams). */
  items: string[];
  positional: string[];
  named: Record<string, string>;
  /** Offsets of the whole tag in the source. */
  start: number;
  end: number;
}

/** A LoRA (or LyCORIS) activation as A1111's `ExtraNetworkLora.activate` reads it. */
export interface LoraUse {
  name: string;
  /** Text-encoder multiplier (`te`), default 1. */
  weight: number;
  /** UNet multiplier, defaults to `te`. */
  unetWeight: number;
  dynDim: number | null;
  tag: ExtraNetworkTag;
}

/** `<(\w+):([^>]+)>` with Python's Unicode `\w`. */
const RE_EXTRA_NET = /<([\p{L}\p{N}_]+):([^>]+)>/gu;

function makeTag(type: string, args: string, start: number, end: number): ExtraNetworkTag {
  const items = args.split(':');
  const positional: string[] = [];
  const named: Record<string, string> = {};
  for (const item of items) {
    const parts = splitMax(item, '=', 2);
    if (parts.length === 2) named[parts[0]!] = parts[1]!;
    else positional.push(item);
  }
  return { type, items, positional, named, start, end };
}

/** Python's `str.split(sep, maxsplit)`. */
function splitMax(s: string, sep: string, maxsplit: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < maxsplit) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** `parse_prompt(prompt)`: the text with every tag removed, and the tags in order of appearance. */
export function parseExtraNetworks(text: string): { text: string; networks: ExtraNetworkTag[] } {
  const networks: ExtraNetworkTag[] = [];
  const stripped = text.replace(RE_EXTRA_NET, (all: string, type: string, args: string, offset: number) => {
    networks.push(makeTag(type, args, offset, offset + all.length));
    return '';
  });
  return { text: stripped, networks };
}

/** Python float() of a user string (spaces allowed around it, "inf"/"nan" too); null where Python raises. */
export function pythonFloat(s: string): number | null {
  const t = s.trim();
  if (/^[+-]?(?:\d(?:_?\d)*\.?(?:\d(?:_?\d)*)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(t) && /\d/.test(t)) {
    return Number(t.replace(/_/g, ''));
  }
  if (/^[+-]?(?:inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return null;
}

function pythonInt(s: string): number | null {
  const t = s.trim();
  return /^[+-]?\d(?:_?\d)*$/.test(t) ? Number(t.replace(/_/g, '')) : null;
}

/**
 * A LoRA tag's multipliers, exactly as `ExtraNetworkLora.activate` reads them; `error` where A1111 would raise
 * (a non-numeric weight stops the generation there).
 */
export function readLora(tag: ExtraNetworkTag): { lora: LoraUse } | { error: string } {
  const p = tag.positional;
  const name = p[0] ?? '';
  const num = (s: string, what: string): number | string => {
    const v = pythonFloat(s);
    return v === null ? `${what} "${s}" is not a number` : v;
  };
  let te: number | string = p.length > 1 ? num(p[1]!, 'weight') : 1.0;
  if (tag.named.te !== undefined) te = num(tag.named.te, 'te');
  if (typeof te === 'string') return { error: te };
  let unet: number | string = p.length > 2 ? num(p[2]!, 'unet weight') : te;
  if (tag.named.unet !== undefined) unet = num(tag.named.unet, 'unet');
  if (typeof unet === 'string') return { error: unet };
  let dyn: number | null = null;
  const dynText = tag.named.dyn ?? (p.length > 3 ? p[3]! : undefined);
  if (dynText !== undefined) {
    dyn = pythonInt(dynText);
    if (dyn === null) return { error: `dyn "${dynText}" is not an integer` };
  }
  return { lora: { name, weight: te, unetWeight: unet, dynDim: dyn, tag } };
}

/** A hypernetwork tag's multiplier (`<hypernet:name:m>`, default 1), or an error where A1111 would raise. */
export function readHypernet(tag: ExtraNetworkTag): { name: string; weight: number } | { error: string } {
  const name = tag.positional[0] ?? '';
  if (tag.positional.length < 2) return { name, weight: 1.0 };
  const v = pythonFloat(tag.positional[1]!);
  return v === null ? { error: `multiplier "${tag.positional[1]}" is not a number` } : { name, weight: v };
}

/** Tag types A1111 knows out of the box; others are dropped from the prompt with only a log line. */
export const KNOWN_NETWORK_TYPES: readonly string[] = ['lora', 'lyco', 'hypernet'];
