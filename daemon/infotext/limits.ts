// What reading one image's metadata may cost. Images are untrusted input: a 1 MB file can declare a zTXt chunk
// that inflates to gigabytes, or a 4 GB EXIF chunk. Past these bounds an entry is skipped with a problem naming
// it; the rest of the file is still read.
export const META_LIMITS = {
  /** One compressed text (zTXt/iTXt) inflated: A1111 infotexts are KBs, ComfyUI workflows a few hundred KB. */
  maxInflatedText: 8 << 20,
  /** One stored entry (tEXt chunk, WebP EXIF/XMP chunk) read into memory. */
  maxStoredText: 16 << 20,
  /** All text of one file together, stored and inflated. */
  maxTotalText: 32 << 20,
  /** An infotext handed to the A1111 parser (whose prompt-emphasis check is quadratic in bracket depth). */
  maxInfotext: 256 << 10,
} as const;

/** A running total of text bytes read from one file, charged as entries are read. */
export class TextBudget {
  private left: number = META_LIMITS.maxTotalText;

  get remaining(): number {
    return this.left;
  }

  /** Charges `bytes`; false (nothing charged) when they do not fit. */
  take(bytes: number): boolean {
    if (bytes > this.left) return false;
    this.left -= bytes;
    return true;
  }
}

export const mib = (n: number): string => `${(n / (1 << 20)).toFixed(n % (1 << 20) ? 1 : 0)} MiB`;
