// The bytes behind ONNX external-data initializers, inside the model's folder as ONNX Runtime requires (it
// refuses locations that leave the folder; symlinks are resolved): a weight stored in the wanted dtype,
// contiguous, in a file we may read in place is pointed at through a hard link to that file (the same file, not a
// copy); anything else is converted once and appended to one data file. One model can point into several files
// (a checkpoint, LoRA files, an earlier build's data).
import { link, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AtomicFile } from './formats/atomicFile';
import { DTYPE_SIZE, TensorReader, contiguousStrides, convert, type DType, type TensorRecord } from './formats/tensorRecord';

export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

export interface ExternalDataStats {
  /** Weights read in place (through a hard link) and weights converted into the data file. */
  pointed: number;
  converted: number;
  convertedBytes: number;
}

const ALIGN = 64;

const contiguous = (r: TensorRecord): boolean => {
  const c = contiguousStrides(r.shape);
  return r.shape.every((d, i) => d === 1 || c[i] === r.strides[i]);
};

/**
 * Hard-links `source` into `dir` as `name`; false when the filesystem or permissions refuse. A symlinked checkpoint
 * is linked by its real path: a hard link to the symlink itself is a symlink pointing out of the folder.
 */
export async function tryLink(source: string, dir: string, name: string): Promise<boolean> {
  const target = join(dir, name);
  await rm(target, { force: true });
  try {
    await link(await realpath(source), target);
    return true;
  } catch {
    return false;
  }
}

export class ExternalDataWriter {
  /** Source file → link name, or null once linking it failed (its weights are then converted). */
  private readonly links = new Map<string, string | null>();
  private readonly offered = new Map<string, string>();
  private readonly reader = new TensorReader();
  private data: AtomicFile | undefined;
  private offset = 0;
  private readonly stats: ExternalDataStats = { pointed: 0, converted: 0, convertedBytes: 0 };

  /** `dataName`: the data file for converted weights (written atomically, in place on `close`). */
  constructor(private readonly dir: string, private readonly dataName: string) {}

  /** Weights stored in `source` may be read in place, through a hard link named `linkName` (made on first use). */
  allowInPlace(source: string, linkName: string): void {
    this.offered.set(source, linkName);
  }

  /** Where `record`'s bytes, as `want`, will be read from. */
  async place(record: TensorRecord, want: DType): Promise<ExternalRef> {
    const length = record.shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[want];
    const linkName = await this.inPlace(record, want);
    if (linkName !== undefined) {
      this.stats.pointed++;
      return { location: linkName, offset: record.offset + record.storageOffset * DTYPE_SIZE[record.dtype], length };
    }
    const values = convert(await this.reader.read(record), record.dtype, want);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    this.data ??= await AtomicFile.create(join(this.dir, this.dataName), { durable: false });
    const at = Math.ceil(this.offset / ALIGN) * ALIGN;
    await this.data.writeAt(bytes, at);
    this.offset = at + bytes.byteLength;
    this.stats.converted++;
    this.stats.convertedBytes = this.offset;
    return { location: this.dataName, offset: at, length };
  }

  /** Finishes the data file (none when nothing was converted) and returns what was placed how. */
  async close(): Promise<ExternalDataStats> {
    await this.reader.close();
    if (this.data) await this.data.commit();
    else await rm(join(this.dir, this.dataName), { force: true });
    return { ...this.stats };
  }

  /** Drops the unfinished data file (after a failure). */
  async abort(): Promise<void> {
    await this.reader.close();
    await this.data?.abort();
  }

  private async inPlace(record: TensorRecord, want: DType): Promise<string | undefined> {
    // Inflated zip members live in memory, not at a file offset: those are converted like other dtypes.
    const linkName = this.offered.get(record.file);
    if (linkName === undefined || record.inline || record.dtype !== want || !contiguous(record)) return undefined;
    if (!this.links.has(record.file)) this.links.set(record.file, (await tryLink(record.file, this.dir, linkName)) ? linkName : null);
    return this.links.get(record.file) ?? undefined;
  }
}
