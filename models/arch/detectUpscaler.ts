// Which upscaler architecture a weights file holds, read from tensor names and shapes only (no values):
// RRDBNet (ESRGAN) in its three key layouts and SRVGGNetCompact (Real-ESRGAN "compact"). Anything else is an
// error that names the keys nobody recognised, so a user with a SwinIR .pth learns why it is not listed.
import { stateDictKeys } from '../formats/netStateDict';

export interface WeightInfo {
  name: string;
  shape: readonly number[];
}

/** What every upscaler graph promises the tile runner (stored beside the cached ONNX). */
export interface UpscalerGraphInfo {
  arch: string;
  /** Output size / input size. */
  scale: number;
  /** Input sides must be multiples of this (pixel-unshuffle models); the tile runner pads. */
  multipleOf: number;
  /** Input pixels each output pixel depends on, each side (receptive radius); tiles read this much context. */
  context: number;
  /** Channel order the network is fed in, as A1111 feeds it (BGR for ESRGAN-family .pth, see upscale_with_model). */
  channelOrder: 'rgb' | 'bgr';
}

export interface RrdbSpec {
  kind: 'rrdbnet';
  layout: 'old' | 'new';
  blocks: number;
  features: number;
  growth: number;
  /** 1, 2 or 4: Real-ESRGAN x2plus / x1 models pixel-unshuffle their input. */
  unshuffle: number;
  upconvs: number;
  scale: number;
  /** Canonical name (`first.weight`, `body.0.rdb1.conv1.weight`, `trunk.weight`, `up1.weight`, `hr.weight`, `last.weight`) → file key. */
  keys: Map<string, string>;
}

export interface SrvggSpec {
  kind: 'srvgg';
  features: number;
  convs: number;
  scale: number;
  activation: 'prelu' | 'leakyrelu';
  keys: Map<string, string>;
}

export type UpscalerSpec = RrdbSpec | SrvggSpec;

export class UnsupportedArchitectureError extends Error {
  constructor(
    message: string,
    readonly unrecognised: string[],
  ) {
    super(message);
    this.name = 'UnsupportedArchitectureError';
  }
}

const NEW_RULES: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  [/^conv_first\.(weight|bias)$/, (m) => `first.${m[1]}`],
  [/^body\.(\d+)\.rdb(\d)\.conv(\d)\.(weight|bias)$/, (m) => `body.${m[1]}.rdb${m[2]}.conv${m[3]}.${m[4]}`],
  [/^RRDB_trunk\.(\d+)\.RDB(\d)\.conv(\d)\.(weight|bias)$/, (m) => `body.${m[1]}.rdb${m[2]}.conv${m[3]}.${m[4]}`],
  [/^(?:conv_body|trunk_conv)\.(weight|bias)$/, (m) => `trunk.${m[1]}`],
  [/^(?:conv_up|upconv)(\d)\.(weight|bias)$/, (m) => `up${m[1]}.${m[2]}`],
  [/^(?:conv_hr|HRconv)\.(weight|bias)$/, (m) => `hr.${m[1]}`],
  [/^conv_last\.(weight|bias)$/, (m) => `last.${m[1]}`],
];

/** Old ESRGAN (`model.0`, `model.1.sub.N.RDBk.convm.0`, `model.3`, ...): the indices after the trunk are up-convs, then HR, then last. */
function canonicalOld(keys: readonly string[]): { map: Map<string, string>; unknown: string[] } {
  const map = new Map<string, string>();
  const unknown: string[] = [];
  const tail = new Set<number>();
  for (const k of keys) {
    const body = /^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$/.exec(k);
    const trunk = /^model\.1\.sub\.(\d+)\.(weight|bias)$/.exec(k);
    const top = /^model\.(\d+)\.(weight|bias)$/.exec(k);
    if (body) map.set(`body.${body[1]}.rdb${body[2]}.conv${body[3]}.${body[4]}`, k);
    else if (trunk) map.set(`trunk.${trunk[2]}`, k);
    else if (top && top[1] === '0') map.set(`first.${top[2]}`, k);
    else if (top && Number(top[1]) >= 2) tail.add(Number(top[1]));
    else unknown.push(k);
  }
  const idx = [...tail].sort((a, b) => a - b);
  const names = idx.map((_, i) => (i === idx.length - 1 ? 'last' : i === idx.length - 2 ? 'hr' : `up${i + 1}`));
  idx.forEach((n, i) => {
    for (const p of ['weight', 'bias']) if (keys.includes(`model.${n}.${p}`)) map.set(`${names[i]}.${p}`, `model.${n}.${p}`);
  });
  return { map, unknown };
}

function canonicalNew(keys: readonly string[]): { map: Map<string, string>; unknown: string[] } {
  const map = new Map<string, string>();
  const unknown: string[] = [];
  for (const k of keys) {
    const rule = NEW_RULES.find(([re]) => re.test(k));
    if (rule) map.set(rule[1](k.match(rule[0])!), k);
    else unknown.push(k);
  }
  return { map, unknown };
}

/** Keys shown in an error: numbers folded so 23 blocks of the same thing read as one pattern. */
function summarise(keys: readonly string[], max = 12): string {
  const patterns = [...new Set(keys.map((k) => k.replace(/\.\d+(?=\.|$)/g, '.#')))];
  const shown = patterns.slice(0, max).join(', ');
  return patterns.length > max ? `${shown} (+${patterns.length - max} more)` : shown;
}

function fail(file: string, why: string, unrecognised: string[]): never {
  const list = unrecognised.length ? `; unrecognised keys: ${summarise(unrecognised)}` : '';
  throw new UnsupportedArchitectureError(`${file}: ${why}${list}`, unrecognised);
}

/**
 * The architecture, scale and size of an upscaler from its tensors. `file` only labels errors.
 * Supported: RRDBNet (any scale 1/2/4/8, any block count, old and new layouts) and SRVGGNetCompact.
 */
export function detectUpscaler(tensors: readonly WeightInfo[], file = 'weights'): UpscalerSpec {
  const byFileKey = new Map(tensors.map((t) => [t.name, t]));
  const sd = stateDictKeys(tensors.map((t) => t.name));
  const keys = [...sd.keys()];
  const shapeOf = (canonical: Map<string, string>, name: string): readonly number[] | undefined => {
    const k = canonical.get(name);
    return k === undefined ? undefined : byFileKey.get(sd.get(k)!)?.shape;
  };
  const toFileKeys = (m: Map<string, string>): Map<string, string> => new Map([...m].map(([c, k]) => [c, sd.get(k)!]));

  if (keys.some((k) => k.startsWith('model.1.sub.')) || (keys.includes('conv_first.weight') && keys.some((k) => /^(body|RRDB_trunk)\.0\./.test(k)))) {
    const old = keys.some((k) => k.startsWith('model.1.sub.'));
    const { map, unknown } = old ? canonicalOld(keys) : canonicalNew(keys);
    if (unknown.length) fail(file, 'looks like RRDBNet (ESRGAN) but has keys it does not have', unknown);
    return rrdbSpec(file, old ? 'old' : 'new', map, (n) => shapeOf(map, n), toFileKeys(map));
  }
  if (keys.includes('body.0.weight') && keys.every((k) => /^body\.\d+\.(weight|bias)$/.test(k))) {
    return srvggSpec(file, sd, byFileKey);
  }
  fail(file, 'unsupported upscaler architecture (supported from weights: RRDBNet/ESRGAN, SRVGGNetCompact; other models as .onnx)', keys);
}

function rrdbSpec(
  file: string,
  layout: 'old' | 'new',
  map: Map<string, string>,
  shape: (n: string) => readonly number[] | undefined,
  keys: Map<string, string>,
): RrdbSpec {
  const need = (n: string): readonly number[] => shape(n) ?? fail(file, `RRDBNet weights lack "${n}" (file key missing)`, []);
  const first = need('first.weight');
  let blocks = 0;
  while (map.has(`body.${blocks}.rdb1.conv1.weight`)) blocks++;
  if (blocks === 0) fail(file, 'RRDBNet without any RRDB block', []);
  let upconvs = 0;
  while (map.has(`up${upconvs + 1}.weight`)) upconvs++;
  need('trunk.weight');
  need('hr.weight');
  const last = need('last.weight');
  const features = first[0]!;
  const growth = need('body.0.rdb1.conv1.weight')[0]!;
  const inCh = first[1]!;
  const unshuffle = inCh === 3 ? 1 : inCh === 12 ? 2 : inCh === 48 ? 4 : 0;
  if (!unshuffle || last[0] !== 3) fail(file, `RRDBNet with ${inCh} input / ${last[0]} output channels is not an RGB upscaler`, []);
  for (let b = 0; b < blocks; b++) {
    for (let r = 1; r <= 3; r++) for (let c = 1; c <= 5; c++) need(`body.${b}.rdb${r}.conv${c}.weight`);
  }
  const scale = 2 ** upconvs / unshuffle;
  if (!Number.isInteger(scale) || scale < 1) fail(file, `RRDBNet with ${upconvs} up-convolutions and pixel-unshuffle ${unshuffle} has no integer scale`, []);
  return { kind: 'rrdbnet', layout, blocks, features, growth, unshuffle, upconvs, scale, keys };
}

function srvggSpec(file: string, sd: Map<string, string>, byFileKey: Map<string, WeightInfo>): SrvggSpec {
  const shape = (k: string): readonly number[] | undefined => {
    const f = sd.get(k);
    return f === undefined ? undefined : byFileKey.get(f)?.shape;
  };
  const indices = [...sd.keys()].map((k) => Number(/^body\.(\d+)\./.exec(k)![1])).filter((v, i, a) => a.indexOf(v) === i).sort((a, b) => a - b);
  const convIdx = indices.filter((i) => shape(`body.${i}.weight`)?.length === 4);
  const actIdx = indices.filter((i) => shape(`body.${i}.weight`)?.length === 1);
  const first = shape('body.0.weight')!;
  const last = shape(`body.${convIdx[convIdx.length - 1]}.weight`)!;
  if (first.length !== 4 || first[1] !== 3) fail(file, `SRVGGNetCompact first conv has shape [${first.join(', ')}], expected [F, 3, 3, 3]`, []);
  const s = Math.sqrt(last[0]! / 3);
  if (!Number.isInteger(s)) fail(file, `SRVGGNetCompact last conv has ${last[0]} outputs, not 3·scale²`, []);
  const keys = new Map([...sd].map(([k, f]) => [k, f]));
  return { kind: 'srvgg', features: first[0]!, convs: convIdx.length - 2, scale: s, activation: actIdx.length ? 'prelu' : 'leakyrelu', keys };
}
