// PyTorch's zip checkpoint (torch.save since 1.6): `<prefix>/data.pkl` holds the object tree, each storage is a
// stored (uncompressed) member `<prefix>/data/<key>`. We read the zip central directory ourselves (zip64
// included: checkpoints pass 4 GB), unpickle data.pkl with the restricted unpickler, and describe every tensor
// by where its bytes lie in the zip, so values are read lazily straight from the file.
import { open } from 'node:fs/promises';
import { PyDict, PyObject, PyTuple, TorchTensor, parseStoragePid, unpickle, type PyValue, type TorchStorage } from './pickle';
import { inflateRawSync } from 'node:zlib';
import { WeightsError, DTYPE_SIZE, checkRecord, readExactly, type TensorRecord } from './tensorRecord';
import { readZipDirectory, zipMemberData, type ZipEntry } from './zip';

/** A torch checkpoint (zip or legacy) as read: its object tree, every tensor by path, every other leaf. */
export interface TorchCheckpoint {
  path: string;
  format: 'torch-zip' | 'torch-legacy';
  root: PyValue;
  /** Named by their path in the tree, '/'-joined: `state_dict/model.diffusion_model...`, `w`. */
  tensors: TensorRecord[];
  /** Non-tensor leaves by path (`global_step` → 470000). */
  leaves: Map<string, PyValue>;
}

/** Where a storage's element 0 is in the file, and how many bytes it may use. */
export type LocateStorage = (s: TorchStorage) => { offset: number; storageOffset: number; bytes: number; inline?: Uint8Array };

/** Walks the unpickled tree and turns each tensor description into a checked record. */
export function collectTensors(path: string, format: TorchCheckpoint['format'], root: PyValue, locate: LocateStorage): TorchCheckpoint {
  const tensors: TensorRecord[] = [];
  const leaves = new Map<string, PyValue>();
  const seen = new Set<PyValue>();
  const walk = (v: PyValue, at: string): void => {
    if (v instanceof TorchTensor) {
      const loc = locate(v.storage);
      const r: TensorRecord = {
        name: at, file: path, offset: loc.offset, dtype: v.storage.dtype, shape: v.shape, strides: v.strides,
        storageOffset: v.storageOffset + loc.storageOffset, storageBytes: loc.bytes, ...(loc.inline ? { inline: loc.inline } : {}),
      };
      checkRecord(r);
      tensors.push(r);
      return;
    }
    if (typeof v === 'object' && v !== null && !(v instanceof Uint8Array)) {
      if (seen.has(v)) return; // shared sub-objects: walked once
      seen.add(v);
    }
    const join = (k: unknown) => (at ? `${at}/${String(k)}` : String(k));
    if (v instanceof PyDict) for (const [k, x] of v.map) walk(x, join(k));
    else if (v instanceof PyObject && v.state instanceof PyDict) walk(v.state, at);
    else if (Array.isArray(v) || v instanceof PyTuple) (Array.isArray(v) ? v : v.items).forEach((x, i) => walk(x, join(i)));
    else leaves.set(at, v);
  };
  walk(root, '');
  return { path, format, root, tensors, leaves };
}

/** Deflated members are inflated in memory: fine for upscalers and embeddings, refused for multi-GB models. */
const MAX_INFLATED = 1 << 30;

/** Member names torch writes; A1111 refuses anything else (safe.py `check_zip_filenames`), so do we. */
const MEMBER = /^([^/]+)\/(data\.pkl|data\/\d+|version|byteorder|\.data\/serialization_id|\.data\/version|\.format_version|\.storage_alignment)$/;
/**
 * A TorchScript archive (torch.jit.save; OpenAI's ViT-L-14.pt) adds its compiled code, constants and extra files.
 * Only data.pkl and data/ are read; the code is never looked at.
 */
const SCRIPT_MEMBER = /^([^/]+)\/(data\.pkl|data\/\d+|version|byteorder|constants\.pkl|constants\/\d+|code\/[^\0]+|extra\/[^\0]+|\.data\/[^\0]+)$/;

export async function readTorchZip(path: string): Promise<TorchCheckpoint> {
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
    /**
     * Where a member's bytes are. torch writes stored members (read lazily from the file); archives re-zipped by
     * other tools may deflate them: those are inflated once into memory (bounded by the member's declared size).
     */
    const member = async (e: ZipEntry): Promise<{ offset: number; size: number; inline?: Uint8Array }> => {
      if (e.method !== 0 && e.method !== 8) fail(`member '${e.name}' uses compression method ${e.method} (only stored and deflate are read)`);
      const offset = await zipMemberData(fh, path, e, size);
      if (e.method === 0) return { offset, size: e.size };
      if (e.size > MAX_INFLATED) fail(`member '${e.name}' is compressed and ${e.size} bytes large; re-save the checkpoint uncompressed`);
      let inline: Uint8Array;
      try {
        inline = inflateRawSync(await readExactly(fh, path, offset, e.compressedSize), { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        return fail(`member '${e.name}': corrupt deflate data (${(err as Error).message})`);
      }
      if (inline.length !== e.size) fail(`member '${e.name}': inflated to ${inline.length} bytes, the archive says ${e.size}`);
      return { offset: 0, size: e.size, inline };
    };
    const textMember = async (name: string): Promise<string | undefined> => {
      const e = byName.get(prefix + name);
      if (!e) return undefined;
      const m = await member(e);
      const head = m.inline ? m.inline.subarray(0, 64) : await readExactly(fh, path, m.offset, Math.min(m.size, 64));
      return new TextDecoder().decode(head).trim();
    };
    const byteorder = await textMember('byteorder');
    if (byteorder && byteorder !== 'little') fail(`byteorder '${byteorder}' is not supported (little-endian only)`);

    const pkl = await member(pkls[0]!);
    const pklBytes = pkl.inline ?? (await readExactly(fh, path, pkl.offset, pkl.size));
    const storages = new Map<string, { offset: number; size: number; inline?: Uint8Array }>();
    const refs: TorchStorage[] = [];
    const { value } = unpickle(pklBytes, {
      file: path,
      torchScript,
      persistentLoad: (pid: PyValue) => {
        const s = parseStoragePid(pid, path);
        refs.push(s);
        return s;
      },
    });
    for (const s of refs) {
      if (storages.has(s.key)) continue;
      const e = byName.get(`${prefix}data/${s.key}`);
      if (!e) fail(`storage '${s.key}' has no member '${prefix}data/${s.key}'`);
      const m = await member(e!);
      if (s.numel * DTYPE_SIZE[s.dtype] > m.size) fail(`storage '${s.key}' holds ${m.size} bytes, ${s.numel} × ${s.dtype} need ${s.numel * DTYPE_SIZE[s.dtype]}`);
      storages.set(s.key, m);
    }
    return collectTensors(path, 'torch-zip', value, (s) => {
      const m = storages.get(s.key)!;
      return { offset: m.offset, storageOffset: 0, bytes: Math.min(m.size, s.numel * DTYPE_SIZE[s.dtype]), ...(m.inline ? { inline: m.inline } : {}) };
    });
  } finally {
    await fh.close();
  }
}
