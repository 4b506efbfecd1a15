// safetensors: an 8-byte little-endian header length, a JSON header, then the tensor bytes. Reading checks the
// header as strictly as the reference Rust library (bounded length, a JSON object, known dtypes, shape × size =
// span, spans tiling the data block with no overlap, gap or tail, metadata str → str) and returns records only;
// values are read lazily. Writing streams tensors into a temp file and renames it into place, so a reader never
// sees a partial file.
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { DTYPE_SIZE, WeightsError, byteLength, contiguousStrides, isDType, numel, readExactly, type DType, type TensorRecord } from './tensorRecord';
import { AtomicFile, type AtomicFileOptions } from './atomicFile';

/** The Rust library's bound; a header past it is corrupt or hostile. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsFile {
  path: string;
  /** Bytes before the first tensor: 8 + header length. */
  dataStart: number;
  metadata: Record<string, string>;
  tensors: TensorRecord[];
}

/** Parses and checks the header of a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const fail = (problem: string): never => {
      throw new WeightsError(path, problem);
    };
    if (size < 8) fail(`truncated: ${size} bytes, a safetensors file starts with an 8-byte header length`);
    const lenBytes = await readExactly(fh, path, 0, 8);
    const n = new DataView(lenBytes.buffer).getBigUint64(0, true);
    if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} is over the ${MAX_HEADER_BYTES}-byte limit (not a safetensors file?)`);
    const headerLen = Number(n);
    if (8 + headerLen > size) fail(`header length ${headerLen} runs past the end of the file (${size} bytes): truncated or not safetensors`);
    const text = decodeHeader(await readExactly(fh, path, 8, headerLen), fail);
    const dataStart = 8 + headerLen;
    return { path, dataStart, ...parseHeader(text, path, dataStart, size - dataStart) };
  } finally {
    await fh.close();
  }
}

function decodeHeader(bytes: Uint8Array, fail: (p: string) => never): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('header is not valid UTF-8');
  }
}

/** Checks a header's JSON; `dataBytes` is what the file holds after the header. */
export function parseHeader(text: string, path: string, dataStart: number, dataBytes: number): Pick<SafetensorsFile, 'metadata' | 'tensors'> {
  const fail = (problem: string): never => {
    throw new WeightsError(path, problem);
  };
  if (!text.startsWith('{')) fail('header is not a JSON object');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('header is not a JSON object');
  const metadata: Record<string, string> = {};
  const tensors: (TensorRecord & { begin: number; end: number })[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__ value '${k}' is not a string`);
        // defineProperty, not `=`: a key named `__proto__` is data like any other (assignment would swallow it).
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const bad = (why: string): never => fail(`tensor '${name}': ${why}`);
    if (typeof entry !== 'object' || entry === null) return bad('entry is not an object');
    const { dtype, shape, data_offsets: offs } = entry as Record<string, unknown>;
    if (typeof dtype !== 'string') return bad('dtype missing');
    if (!isDType(dtype)) return bad(`unknown dtype '${dtype}'`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return bad('shape is not a list of non-negative integers');
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) return bad('data_offsets is not [begin, end]');
    const [begin, end] = offs as [number, number];
    if (end < begin) bad(`data_offsets [${begin}, ${end}] end before begin`);
    const need = numel(shape) * DTYPE_SIZE[dtype];
    if (end - begin !== need) bad(`shape [${shape.join(', ')}] × ${dtype} is ${need} bytes but data_offsets span ${end - begin}`);
    if (end > dataBytes) bad(`data_offsets [${begin}, ${end}] run past the end of the file (${dataBytes} data bytes): truncated`);
    tensors.push({
      name, file: path, offset: dataStart + begin, dtype, shape: shape as number[],
      strides: contiguousStrides(shape as number[]), storageOffset: 0, storageBytes: need, begin, end,
    });
  }
  // Spans must tile the data block exactly: an overlap would alias two tensors, a gap or tail hides bytes.
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const t of sorted) {
    if (t.begin < pos) fail(`tensor '${t.name}' [${t.begin}, ${t.end}] overlaps the previous tensor (which ends at ${pos})`);
    if (t.begin > pos) fail(`gap of ${t.begin - pos} bytes before tensor '${t.name}' at ${pos}`);
    pos = t.end;
  }
  if (pos !== dataBytes) fail(`${dataBytes - pos} bytes after the last tensor (data ends at ${pos}, file has ${dataBytes})`);
  return { metadata, tensors: tensors.map(({ begin: _b, end: _e, ...r }) => r) };
}

// ---------------------------------------------------------------------------------------------------------

export interface TensorSpec {
  name: string;
  dtype: DType;
  shape: number[];
}

/** Hashes of the bytes written, computed on the way out (A1111's full sha256 and the addnet hash). */
export interface WrittenHashes {
  sha256: string;
  addnet: string;
}

/**
 * Writes a safetensors file tensor by tensor: the header is fixed up front from the specs, then `write` takes
 * each tensor's bytes in spec order. `commit` renames the temp file into place; `abort` (or any failed write)
 * removes it. Hashes of the output are computed as it is written.
 */
export class SafetensorsWriter {
  private next = 0;
  private pos: number;
  private readonly full: Hash = createHash('sha256');
  private readonly addnet: Hash = createHash('sha256');

  private constructor(
    private readonly file: AtomicFile,
    private readonly specs: TensorSpec[],
    headerBytes: Uint8Array,
  ) {
    this.pos = headerBytes.length;
    this.full.update(headerBytes);
  }

  get path(): string {
    return this.file.path;
  }

  static async create(path: string, specs: TensorSpec[], metadata: Record<string, string> = {}, opts: AtomicFileOptions = {}): Promise<SafetensorsWriter> {
    const header = encodeHeader(specs, metadata);
    const file = await AtomicFile.create(path, opts);
    const w = new SafetensorsWriter(file, specs, header);
    try {
      await file.writeAt(header, 0);
    } catch (e) {
      await w.abort();
      throw e;
    }
    return w;
  }

  /** The bytes of the next tensor, in the order of the specs (row-major, little-endian). */
  async write(bytes: Uint8Array): Promise<void> {
    const spec = this.specs[this.next];
    try {
      if (this.file.closed) throw new Error(`${this.path}: write after commit/abort`);
      if (!spec) throw new Error(`${this.path}: more tensors written than declared`);
      if (bytes.byteLength !== byteLength(spec)) throw new Error(`${this.path}: tensor '${spec.name}' is ${bytes.byteLength} bytes, header says ${byteLength(spec)}`);
      this.full.update(bytes);
      this.addnet.update(bytes);
      await this.file.writeAt(bytes, this.pos);
    } catch (e) {
      await this.abort();
      throw e;
    }
    this.pos += bytes.byteLength;
    this.next++;
  }

  /** Closes and renames the file into place; returns the output's hashes. */
  async commit(): Promise<WrittenHashes> {
    if (this.next !== this.specs.length) {
      await this.abort();
      throw new Error(`${this.path}: only ${this.next} of ${this.specs.length} tensors were written`);
    }
    await this.file.commit();
    return { sha256: this.full.digest('hex'), addnet: this.addnet.digest('hex') };
  }

  /** Drops the temp file (idempotent). */
  abort(): Promise<void> {
    return this.file.abort();
  }
}

/** Header JSON padded with spaces to a multiple of 8 (as the reference writer does, so data stays aligned). */
export function encodeHeader(specs: TensorSpec[], metadata: Record<string, string>): Uint8Array {
  // Null-prototype objects, so tensor or metadata names like `__proto__` are written as keys, not swallowed.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (Object.keys(metadata).length) header.__metadata__ = Object.assign(Object.create(null) as Record<string, string>, metadata);
  let off = 0;
  const seen = new Set<string>();
  for (const s of specs) {
    if (s.name === '__metadata__' || seen.has(s.name)) throw new Error(`safetensors: duplicate or reserved tensor name '${s.name}'`);
    seen.add(s.name);
    const n = byteLength(s);
    header[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/** Writes a whole in-memory state dict (small files, tests). */
export async function writeSafetensors(
  path: string,
  tensors: { name: string; dtype: DType; shape: number[]; data: Uint8Array }[],
  metadata: Record<string, string> = {},
): Promise<WrittenHashes> {
  const w = await SafetensorsWriter.create(path, tensors, metadata);
  for (const t of tensors) await w.write(t.data);
  return w.commit();
}

