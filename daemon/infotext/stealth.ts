// "Stealth" PNG info: generation data hidden in the least significant bits of the pixels, where it survives
// sites that strip text chunks. Writers: the sd-webui-stealth-pnginfo extension (scripts/stealth_pnginfo.py:
// add_data; also Forge and ComfyUI ports) and NovelAI (nai_meta_writer.py: LSBInjector). Layout, pixels in
// column-major order (x outer, y inner): a 15-byte signature, a 32-bit big-endian payload length in BITS, then
// the payload; bytes are MSB first.
//   stealth_pnginfo / stealth_pngcomp: one bit per pixel, the alpha LSB (RGBA images)
//   stealth_rgbinfo / stealth_rgbcomp: three bits per pixel, the R, G, B LSBs in turn
//   …comp: the payload is gzip; …info: UTF-8 text.
// The payload is an A1111 infotext, NovelAI's JSON (Description, Comment, Software, ...) or ComfyUI's
// {"prompt": "<graph JSON>", "workflow": ...}. Like the extension, it is looked for only when the file's text
// metadata gave no settings. Bounded: the pixels are decoded once (pngScanlines.ts), the scan stops after the
// first column when no signature is there, and the payload is capped.

import { gunzipSync } from 'node:zlib';
import type { ByteSource } from './byteSource';
import { scanPngRows } from './pngScanlines';

/** Payload bytes read at most (compressed or not), and inflated text at most. */
export const MAX_STEALTH_PAYLOAD = 4 << 20;
const SIGNATURES = ['stealth_pnginfo', 'stealth_pngcomp', 'stealth_rgbinfo', 'stealth_rgbcomp'] as const;
export type StealthSignature = (typeof SIGNATURES)[number];
const SIG_BITS = 15 * 8;
const HEADER_BITS = SIG_BITS + 32;

export interface StealthPayload {
  signature: StealthSignature;
  text: string;
}

/** A fixed-length bit string written at arbitrary indexes (column-major order while rows come row-major). */
class Bits {
  readonly bytes: Uint8Array;
  constructor(readonly length: number) {
    this.bytes = new Uint8Array(Math.ceil(length / 8));
  }
  set(i: number, bit: number): void {
    if (bit) this.bytes[i >> 3]! |= 0x80 >> (i & 7);
  }
  get(i: number): number {
    return (this.bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  }
  /** Bits [from, from + 8n) as n bytes (from need not be byte-aligned). */
  slice(from: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      let v = 0;
      for (let b = 0; b < 8; b++) v = (v << 1) | this.get(from + k * 8 + b);
      out[k] = v;
    }
    return out;
  }
  uint32(from: number): number {
    let v = 0;
    for (let b = 0; b < 32; b++) v = v * 2 + this.get(from + b);
    return v;
  }
}

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

function signatureAt(bits: Bits, alpha: boolean): StealthSignature | undefined {
  if (bits.length < HEADER_BITS) return undefined;
  const sig = latin1(bits.slice(0, 15));
  return SIGNATURES.find((s) => s === sig && s.includes('png') === alpha);
}

function decodePayload(bits: Bits, signature: StealthSignature): string | undefined {
  const lengthBits = bits.uint32(SIG_BITS);
  const bytes = Math.floor(lengthBits / 8);
  if (bytes === 0 || bytes > MAX_STEALTH_PAYLOAD || HEADER_BITS + bytes * 8 > bits.length) return undefined;
  let data = bits.slice(HEADER_BITS, bytes);
  if (signature.endsWith('comp')) {
    try {
      data = gunzipSync(data, { maxOutputLength: MAX_STEALTH_PAYLOAD });
    } catch {
      return undefined;
    }
  }
  // Python's decode('utf-8', errors='ignore'): invalid sequences are dropped.
  return new TextDecoder('utf-8').decode(data).replace(/\uFFFD/g, '');
}

/** The hidden payload of an RGB/RGBA PNG, or undefined when it has none (or cannot be scanned). */
export function readStealthPayload(src: ByteSource): StealthPayload | undefined {
  // Filled while rows stream in: column-major LSB strings for the columns a payload can reach.
  const st: { alpha?: Bits; rgb?: Bits } = {};
  const scan = scanPngRows(src, (y, row, { width, height, channels, sampleBytes }) => {
    const rgb = (st.rgb ??= new Bits(3 * Math.min(width * height, Math.ceil((HEADER_BITS + MAX_STEALTH_PAYLOAD * 8) / (channels === 4 ? 1 : 3)))));
    const alpha = channels === 4 ? (st.alpha ??= new Bits(rgb.length / 3)) : undefined;
    const step = channels * sampleBytes;
    const columns = Math.min(width, Math.ceil(rgb.length / 3 / height));
    for (let x = 0; x < columns; x++) {
      const i = x * height + y;
      if (i * 3 >= rgb.length) break;
      const p = x * step;
      rgb.set(i * 3, row[p]! & 1);
      rgb.set(i * 3 + 1, row[p + sampleBytes]! & 1);
      rgb.set(i * 3 + 2, row[p + 2 * sampleBytes]! & 1);
      alpha?.set(i, row[p + 3 * sampleBytes]! & 1);
    }
    // The header sits in the first column when the image is tall enough: no signature there, nothing to read.
    if (height >= HEADER_BITS && y === HEADER_BITS - 1) {
      return (alpha !== undefined && signatureAt(alpha, true) !== undefined) || signatureAt(rgb, false) !== undefined;
    }
    return true;
  });
  const { alpha, rgb } = st;
  if (!scan.ok || !rgb) return undefined;
  // The extension tests the RGB signature first (it is complete after 40 pixels, the alpha one after 120).
  const sigRgb = signatureAt(rgb, false);
  const sigAlpha = alpha ? signatureAt(alpha, true) : undefined;
  const found = sigRgb ? { bits: rgb, signature: sigRgb } : sigAlpha && alpha ? { bits: alpha, signature: sigAlpha } : undefined;
  if (!found) return undefined;
  const text = decodePayload(found.bits, found.signature);
  return text === undefined ? undefined : { signature: found.signature, text };
}
