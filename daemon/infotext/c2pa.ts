// C2PA manifests (Content Credentials): DALL·E/ChatGPT, Adobe Firefly, Google and others sign where an image came
// from. The manifest store is a JUMBF box tree (PNG "caBX" chunk, JPEG APP11 segments, WebP "C2PA" chunk); the
// active manifest is the last one; its claim (CBOR) names the claim generator, its "c2pa.actions" assertion
// (CBOR) the software agent and the IPTC digital source type ("trainedAlgorithmicMedia" for generated images).
// Only those texts are read (C2PA 2.x: Manifest store, Claims, Actions); signatures are not verified, so this is a
// statement of origin, not proof. Bounded: box count, CBOR depth and item count are capped.

import { concatBytes } from './byteSource';

const MAX_BOXES = 10_000;
const MAX_CBOR_ITEMS = 100_000;
const MAX_CBOR_DEPTH = 32;

export interface C2paText { keyword: string; text: string }

interface Box { type: string; label?: string; payload: Uint8Array; children?: Box[] }

const utf8 = new TextDecoder('utf-8');
const fourcc = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** The boxes of a JUMBF byte range; superboxes ("jumb") with their description label and children. */
function parseBoxes(b: Uint8Array, budget: { boxes: number }, depth = 0): Box[] {
  const out: Box[] = [];
  let at = 0;
  while (at + 8 <= b.length && budget.boxes-- > 0 && depth < 16) {
    const dv = new DataView(b.buffer, b.byteOffset + at);
    let size = dv.getUint32(0);
    let header = 8;
    if (size === 1) {
      if (at + 16 > b.length) break;
      size = Number(dv.getBigUint64(8));
      header = 16;
    } else if (size === 0) size = b.length - at;
    if (size < header || at + size > b.length) break;
    const type = fourcc(b, at + 4);
    const payload = b.subarray(at + header, at + size);
    const box: Box = { type, payload };
    if (type === 'jumb') {
      box.children = parseBoxes(payload, budget, depth + 1);
      const d = box.children[0];
      // jumd: UUID(16), toggles(1), then a NUL-terminated label when toggles bit 1 is set.
      if (d?.type === 'jumd' && d.payload.length > 17 && (d.payload[16]! & 0x02)) {
        const end = d.payload.indexOf(0, 17);
        box.label = utf8.decode(d.payload.subarray(17, end < 0 ? d.payload.length : end));
      }
    }
    out.push(box);
    at += size;
  }
  return out;
}

type Cbor = string | number | boolean | null | undefined | Cbor[] | { [key: string]: Cbor };

/** A small CBOR (RFC 8949) decoder for claims and assertions: byte strings become null, tags are skipped. */
function decodeCbor(b: Uint8Array): Cbor {
  let at = 0;
  let items = 0;
  const uint = (ai: number): number => {
    if (ai < 24) return ai;
    const n = ai === 24 ? 1 : ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : -1;
    if (n < 0 || at + n > b.length) throw new Error('bad CBOR length');
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[at + i]!;
    at += n;
    return v;
  };
  const item = (depth: number): Cbor => {
    if (depth > MAX_CBOR_DEPTH || ++items > MAX_CBOR_ITEMS || at >= b.length) throw new Error('CBOR too deep, too large or cut');
    const ib = b[at++]!;
    const major = ib >> 5;
    const ai = ib & 31;
    if (major === 7) {
      if (ai === 20) return false;
      if (ai === 21) return true;
      if (ai === 22 || ai === 23) return null;
      const n = ai === 25 ? 2 : ai === 26 ? 4 : ai === 27 ? 8 : ai === 24 ? 1 : 0;
      at += n;
      return null; // floats and simple values: not needed here
    }
    if (ai === 31) {
      // Indefinite length: items until the 0xFF break.
      if (major === 2 || major === 3) {
        let s = '';
        while (at < b.length && b[at] !== 0xff) {
          const part = item(depth + 1);
          if (typeof part === 'string') s += part;
        }
        at++;
        return major === 3 ? s : null;
      }
      const list: Cbor[] = [];
      while (at < b.length && b[at] !== 0xff) list.push(item(depth + 1));
      at++;
      if (major === 4) return list;
      const map: { [key: string]: Cbor } = {};
      for (let i = 0; i + 1 < list.length; i += 2) map[String(list[i])] = list[i + 1];
      return map;
    }
    const n = uint(ai);
    if (major === 0) return n;
    if (major === 1) return -1 - n;
    if (major === 2 || major === 3) {
      if (at + n > b.length) throw new Error('CBOR string cut');
      const s = b.subarray(at, at + n);
      at += n;
      return major === 3 ? utf8.decode(s) : null;
    }
    if (major === 4) {
      const list: Cbor[] = [];
      for (let i = 0; i < n; i++) list.push(item(depth + 1));
      return list;
    }
    if (major === 5) {
      const map: { [key: string]: Cbor } = {};
      for (let i = 0; i < n; i++) {
        const k = item(depth + 1);
        map[String(k)] = item(depth + 1);
      }
      return map;
    }
    return item(depth + 1); // major 6: a tag, then its item
  };
  return item(0);
}

const isMap = (v: Cbor): v is { [key: string]: Cbor } => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The CBOR content of a labelled superbox. */
function cborOf(box: Box | undefined): Cbor {
  const content = box?.children?.find((c) => c.type === 'cbor');
  if (!content) return undefined;
  try {
    return decodeCbor(content.payload);
  } catch {
    return undefined;
  }
}

/** "name version" from a claim_generator_info entry (a map, or a list of maps in C2PA 1.x). */
function generatorInfo(v: Cbor): string | undefined {
  const first = Array.isArray(v) ? v.find(isMap) : v;
  if (!isMap(first) || typeof first.name !== 'string') return undefined;
  return typeof first.version === 'string' ? `${first.name} ${first.version}` : first.name;
}

/** The C2PA texts of a JUMBF manifest store: "C2PA:claim_generator", "C2PA:softwareAgent", ... */
export function readC2paText(store: Uint8Array): C2paText[] {
  const boxes = parseBoxes(store, { boxes: MAX_BOXES });
  const root = boxes.find((b) => b.label === 'c2pa') ?? boxes[0];
  const manifests = (root?.children ?? []).filter((b) => b.type === 'jumb');
  const active = manifests[manifests.length - 1];
  if (!active?.children) return [];
  const out: C2paText[] = [];
  const push = (keyword: string, text: unknown): void => {
    if (typeof text === 'string' && text.trim() !== '' && !out.some((e) => e.keyword === keyword)) out.push({ keyword, text });
  };
  const claim = cborOf(active.children.find((b) => b.label === 'c2pa.claim' || b.label === 'c2pa.claim.v2'));
  if (isMap(claim)) {
    push('C2PA:claim_generator', generatorInfo(claim.claim_generator_info) ?? claim.claim_generator);
    push('C2PA:title', claim['dc:title']);
  }
  const assertions = active.children.find((b) => b.label === 'c2pa.assertions')?.children ?? [];
  for (const a of assertions) {
    if (!a.label || !/^c2pa\.actions(\.v\d+)?$/.test(a.label)) continue;
    const body = cborOf(a);
    const actions = isMap(body) && Array.isArray(body.actions) ? body.actions.filter(isMap) : [];
    for (const act of actions) {
      push('C2PA:action', act.action);
      push('C2PA:softwareAgent', isMap(act.softwareAgent) ? generatorInfo(act.softwareAgent) : act.softwareAgent);
      push('C2PA:digitalSourceType', act.digitalSourceType);
      const params = act.parameters;
      if (isMap(params)) push('C2PA:prompt', params.prompt);
    }
  }
  return out;
}

/**
 * JPEG APP11 segments (JPEG XT: "JP", box instance, sequence number, then the box with its LBox/TBox repeated in
 * every segment) joined back into the JUMBF box of the first instance.
 */
export function joinApp11(segments: readonly Uint8Array[]): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let instance = -1;
  for (const s of segments) {
    if (s.length < 16 || s[0] !== 0x4a || s[1] !== 0x50) continue; // "JP"
    const en = (s[2]! << 8) | s[3]!;
    if (instance < 0) instance = en;
    if (en !== instance) continue;
    parts.push(parts.length === 0 ? s.subarray(8) : s.subarray(16));
  }
  return parts.length ? concatBytes(parts) : undefined;
}
