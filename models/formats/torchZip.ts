// PyTorch's zip checkpoint (torch.save since 1.6): `<prefix>/data.pkl` holds the object tree, each storage is a
// stored (uncompressed) member `<prefix>/data/<key>`. We read the zip central directory ourselves (zip.ts; zip64
// included: checkpoints pass 4 GB), unpickle data.pkl with the restricted unpickler, and describe every tensor
// by where its bytes lie in the zip, so values are read lazily straight from the file. Archives re-zipped with
// deflate are inflated into memory under one budget for the whole file, and only as many bytes as each storage
// needs, so a few MB of deflated zeros cannot become gigabytes.
import { open } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';
import { PICKLE_LIMITS, parseStoragePid, unpickleAsync, type PyValue, type TorchStorage } from './pickle';
import { collectTensors, type TorchCheckpoint } from './torchCheckpoint';
import { WeightsError, DTYPE_SIZE, readExactly } from './tensorRecord';
import { readZipDirectory, zipMemberData, type ZipEntry } from './zip';

export { collectTensors, type LocateStorage, type TorchCheckpoint } from './torchCheckpoint';

/** Bytes all deflated members of one file may inflate to, together: fine for upscalers, LoRAs and embeddings. */
export const MAX_INFLATED = 512 << 20;

export interface TorchReadOptions {
  /** Cancels a long parse (a job's Ctrl-C). */
  signal?: AbortSignal;
}

/** Where a member's bytes are: in the file at `offset`, or (deflated members) inflated into `inline`. */
interface MemberBytes {
  offset: number;
  size: number;
  inline?: Uint8Array;
}

/** Member names torch writes; A1111 refuses anything else (safe.py `check_zip_filenames`), so do we. */
const MEMBER = /^([^/]+)\/(data\.pkl|data\/\d+|version|byteorder|\.data\/serialization_id|\.data\/version|\.format_version|\.storage_alignment)$/;
/**
 * A TorchScript archive (torch.jit.save; OpenAI's ViT-L-14.pt) adds its compiled code, constants and extra files.
 * Only data.pkl and data/ are read; the code is never looked at.
 */
const SCRIPT_MEMBER = /^([^/]+)\/(data\.pkl|data\/\d+|version|byteorder|constants\.pkl|constants\/\d+|code\/[^\0]+|extra\/[^\0]+|\.data\/[^\0]+)$/;

export async function readTorchZip(path: string, opts: TorchReadOptions = {}): Promise<TorchCheckpoint> {
  const fh = await open(path, 'r');
  try {
    const fail = (problem: string): never => {
      throw new WeightsError(path, problem);
    };
    const size = (await fh.stat()).size;
    const entries = await readZipDirectory(fh, path, size);
    const byName = new Map(entries.map((e) => [e.name, e]));
    // Re-zipped checkpoints (some release files) carry empty folder entries: harmless, skipped.
    const files = entries.filter((e) => !(e.name.endsWith('/') && e.size === 0));
    const torchScript = files.some((e) => /^[^/]+\/code\//.test(e.name)) && files.some((e) => /^[^/]+\/constants\.pkl$/.test(e.name));
    for (const e of files) {
      if (!(torchScript ? SCRIPT_MEMBER : MEMBER).test(e.name)) fail(`not a PyTorch checkpoint archive: unexpected member '${e.name}'`);
    }
    const pkls = files.filter((e) => e.name.endsWith('/data.pkl'));
    if (pkls.length !== 1) fail(`not a PyTorch checkpoint archive: ${pkls.length} data.pkl members (need exactly one)`);
    const prefix = pkls[0]!.name.slice(0, -'data.pkl'.length);
    let inflated = 0;
    /**
     * A member's bytes, of which `need` are used. Stored members stay in the file; deflated ones are inflated (at
     * most `need` bytes of them) into memory, charged to the file's one budget before anything is inflated.
     */
    const member = async (e: ZipEntry, need: number): Promise<MemberBytes> => {
      if (e.method !== 0 && e.method !== 8) fail(`member '${e.name}' uses compression method ${e.method} (only stored and deflate are read)`);
      const offset = await zipMemberData(fh, path, e, size);
      if (e.method === 0) return { offset, size: e.size };
      const want = Math.min(need, e.size);
      if (inflated + want > MAX_INFLATED) {
        fail(`compressed members would inflate to more than ${MAX_INFLATED} bytes (member '${e.name}' alone ${want}); re-save the checkpoint uncompressed`);
      }
      inflated += want;
      let inline: Uint8Array;
      try {
        inline = await inflatePrefix(await readExactly(fh, path, offset, e.compressedSize), want);
      } catch (err) {
        return fail(`member '${e.name}': corrupt deflate data (${(err as Error).message})`);
      }
      if (inline.length < want) fail(`member '${e.name}': inflated to ${inline.length} bytes, the archive says ${e.size}`);
      return { offset: 0, size: want, inline };
    };
    const textMember = async (name: string): Promise<string | undefined> => {
      const e = byName.get(prefix + name);
      if (!e) return undefined;
      const m = await member(e, 64);
      const head = m.inline ? m.inline.subarray(0, 64) : await readExactly(fh, path, m.offset, Math.min(m.size, 64));
      return new TextDecoder().decode(head).trim();
    };
    const byteorder = await textMember('byteorder');
    if (byteorder && byteorder !== 'little') fail(`byteorder '${byteorder}' is not supported (little-endian only)`);

    const pklEntry = pkls[0]!;
    if (pklEntry.size > PICKLE_LIMITS.maxBytes) fail(`data.pkl is ${pklEntry.size} bytes, over the ${PICKLE_LIMITS.maxBytes}-byte limit of a weights pickle`);
    const pkl = await member(pklEntry, pklEntry.size);
    const pklBytes = pkl.inline ?? (await readExactly(fh, path, pkl.offset, pkl.size));
    const refs = new Map<string, TorchStorage>();
    const { value } = await unpickleAsync(pklBytes, {
      file: path,
      torchScript,
      ...(opts.signal ? { signal: opts.signal } : {}),
      persistentLoad: (pid: PyValue) => {
        const s = parseStoragePid(pid, path);
        const prev = refs.get(s.key);
        if (prev && prev.dtype !== s.dtype) fail(`storage '${s.key}' used as both ${prev.dtype} and ${s.dtype}`);
        if (!prev || s.numel > prev.numel) refs.set(s.key, s);
        return s;
      },
    });
    // Each storage once, however many tensors view it; what compressed ones would inflate to is known (and
    // refused) before any of them is inflated.
    const needs: Array<[TorchStorage, ZipEntry, number]> = [];
    let deflated = inflated;
    for (const s of refs.values()) {
      const e = byName.get(`${prefix}data/${s.key}`);
      if (!e) return fail(`storage '${s.key}' has no member '${prefix}data/${s.key}'`);
      const need = s.numel * DTYPE_SIZE[s.dtype];
      if (need > e.size) fail(`storage '${s.key}' holds ${e.size} bytes, ${s.numel} × ${s.dtype} need ${need}`);
      if (e.method !== 0) deflated += need;
      needs.push([s, e, need]);
    }
    if (deflated > MAX_INFLATED) fail(`compressed storages would inflate to ${deflated} bytes, over the ${MAX_INFLATED}-byte budget of one file; re-save the checkpoint uncompressed`);
    const storages = new Map<string, MemberBytes>();
    for (const [s, e, need] of needs) storages.set(s.key, await member(e, need));
    return collectTensors(path, 'torch-zip', value, (s) => {
      const m = storages.get(s.key)!;
      return { offset: m.offset, storageOffset: 0, bytes: Math.min(m.size, s.numel * DTYPE_SIZE[s.dtype]), ...(m.inline ? { inline: m.inline } : {}) };
    });
  } finally {
    await fh.close();
  }
}

/** The first `limit` bytes of a raw deflate stream (fewer if it ends sooner); inflation stops once it has them. */
function inflatePrefix(compressed: Uint8Array, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(limit);
    let n = 0;
    let settled = false;
    const z = createInflateRaw();
    const finish = (v: Uint8Array | Error): void => {
      if (settled) return;
      settled = true;
      z.destroy();
      if (v instanceof Error) reject(v);
      else resolve(v);
    };
    z.on('data', (c: Buffer) => {
      const k = Math.min(c.length, limit - n);
      out.set(c.subarray(0, k), n);
      n += k;
      if (n >= limit) finish(out);
    });
    z.on('end', () => finish(out.subarray(0, n)));
    z.on('error', (e) => finish(e));
    z.end(compressed);
  });
}
