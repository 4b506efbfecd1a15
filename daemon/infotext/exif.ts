// A small EXIF (TIFF) reader and writer for the few tags generators use. Hand-written rather than a
// dependency: we need three tags (UserComment, ImageDescription, Software, plus XPComment), byte-exact
// control of UserComment's charset prefix (A1111 writes "UNICODE\0" + UTF-16BE in an "MM" TIFF), and
// tolerance of damaged blocks — about 150 lines, where the npm EXIF libraries are either read-only or
// re-encode the whole block.

const TAG_IMAGE_DESCRIPTION = 0x010e;
const TAG_MODEL = 0x0110;
const TAG_SOFTWARE = 0x0131;
const TAG_MAKER_NOTE = 0x927c;
const TAG_EXIF_IFD = 0x8769;
const TAG_USER_COMMENT = 0x9286;
const TAG_XP_COMMENT = 0x9c9c;

export interface ExifText { keyword: string; text: string }

/** Strips the "Exif\0\0" header that JPEG APP1 (and some WebP EXIF chunks) put before the TIFF block. */
function tiffStart(b: Uint8Array): number {
  return b.length >= 6 && b[0] === 0x45 && b[1] === 0x78 && b[2] === 0x69 && b[3] === 0x66 && b[4] === 0 && b[5] === 0 ? 6 : 0;
}

const utf8 = new TextDecoder('utf-8');

/** Trailing NULs dropped, in linear time (`/\0+$/` rescans the run from every NUL that is not at the end). */
export function stripNuls(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** ASCII-typed EXIF strings: UTF-8 in practice (NovelAI writes Japanese there); the NUL terminator is dropped. */
function asciiValue(b: Uint8Array): string {
  let end = b.length;
  while (end > 0 && b[end - 1] === 0) end--;
  return utf8.decode(b.subarray(0, end));
}

function utf16(b: Uint8Array, littleEndian: boolean): string {
  const n = b.length >> 1;
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(littleEndian ? b[2 * i]! | (b[2 * i + 1]! << 8) : (b[2 * i]! << 8) | b[2 * i + 1]!);
  return s;
}

/**
 * UserComment as piexif's `UserComment.load` decodes it, with A1111's fallback (whole bytes as UTF-8 when the
 * prefix is unknown or undefined — ComfyUI's SaveImagePlus writes bare JSON). "UNICODE\0" is UTF-16BE per the
 * EXIF spec and A1111; some writers use little-endian (in "II" files), so a body that reads as LE text is
 * taken as LE: A1111 would show mojibake there, we show the text. Trailing NULs are dropped.
 */
export function decodeUserComment(b: Uint8Array, tiffLittleEndian = false): string {
  const prefix = String.fromCharCode(...b.subarray(0, 8));
  const body = b.subarray(8);
  let text: string;
  if (prefix === 'UNICODE\0') {
    let le = tiffLittleEndian;
    if (body[0] === 0xfe && body[1] === 0xff) le = false;
    else if (body[0] === 0xff && body[1] === 0xfe) le = true;
    else {
      // ASCII-heavy text: zero high bytes sit at even offsets in BE, odd offsets in LE.
      let even = 0;
      let odd = 0;
      for (let i = 0; i + 1 < body.length && i < 512; i += 2) {
        if (body[i] === 0) even++;
        if (body[i + 1] === 0) odd++;
      }
      if (even !== odd) le = odd > even;
    }
    text = utf16(body, le);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  } else if (prefix === 'ASCII\0\0\0') text = utf8.decode(body);
  else if (prefix === 'JIS\0\0\0\0\0') text = new TextDecoder('shift_jis').decode(body);
  else text = utf8.decode(b);
  return stripNuls(text);
}

/**
 * A MakerNote that is short printable text (Fooocus names its metadata scheme there); camera maker notes are
 * binary and are skipped.
 */
function textMakerNote(b: Uint8Array): string | undefined {
  if (b.length === 0 || b.length > 256) return undefined;
  const text = asciiValue(b);
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

/**
 * The text tags of an EXIF block: "EXIF:ImageDescription", "EXIF:Model" (StableSwarmUI's metadata), "EXIF:Software",
 * "EXIF:UserComment", "EXIF:XPComment", "EXIF:MakerNote" (when it is text).
 */
export function readExifText(block: Uint8Array): { entries: ExifText[]; problems: string[] } {
  const entries: ExifText[] = [];
  const problems: string[] = [];
  const b = block.subarray(tiffStart(block));
  if (b.length < 8) return { entries, problems: ['EXIF block too short'] };
  const order = String.fromCharCode(b[0]!, b[1]!);
  if (order !== 'II' && order !== 'MM') return { entries, problems: ['EXIF block has no TIFF byte-order mark'] };
  const le = order === 'II';
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u16 = (at: number) => dv.getUint16(at, le);
  const u32 = (at: number) => dv.getUint32(at, le);
  const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8 };

  const readIfd = (offset: number, name: string, visit: (tag: number, type: number, value: Uint8Array) => void) => {
    if (offset + 2 > b.length) return problems.push(`EXIF ${name} offset ${offset} is past the end`);
    const n = u16(offset);
    for (let i = 0; i < n; i++) {
      const e = offset + 2 + i * 12;
      if (e + 12 > b.length) return problems.push(`EXIF ${name} is cut off after ${i} entries`);
      const tag = u16(e);
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = (TYPE_SIZE[type] ?? 1) * count;
      const at = size <= 4 ? e + 8 : u32(e + 8);
      if (at + size > b.length) {
        problems.push(`EXIF tag 0x${tag.toString(16)} points past the end of the block`);
        continue;
      }
      visit(tag, type, b.subarray(at, at + size));
    }
    return 0;
  };

  const addMakerNote = (v: Uint8Array): void => {
    const text = textMakerNote(v);
    if (text !== undefined) entries.push({ keyword: 'EXIF:MakerNote', text });
  };
  let exifIfd = -1;
  readIfd(u32(4), 'IFD0', (tag, _type, v) => {
    if (tag === TAG_IMAGE_DESCRIPTION) entries.push({ keyword: 'EXIF:ImageDescription', text: asciiValue(v) });
    else if (tag === TAG_SOFTWARE) entries.push({ keyword: 'EXIF:Software', text: asciiValue(v) });
    else if (tag === TAG_MODEL) entries.push({ keyword: 'EXIF:Model', text: asciiValue(v) });
    else if (tag === TAG_XP_COMMENT) entries.push({ keyword: 'EXIF:XPComment', text: stripNuls(utf16(v, true)) });
    // UserComment belongs in the Exif IFD, but ComfyUI's SaveImagePlus puts it (ASCII-typed) in IFD0.
    else if (tag === TAG_USER_COMMENT) entries.push({ keyword: 'EXIF:UserComment', text: decodeUserComment(v, le) });
    else if (tag === TAG_EXIF_IFD && v.length === 4) exifIfd = new DataView(v.buffer, v.byteOffset, 4).getUint32(0, le);
    else if (tag === TAG_MAKER_NOTE) addMakerNote(v);
  });
  if (exifIfd >= 0) {
    readIfd(exifIfd, 'Exif IFD', (tag, _type, v) => {
      if (tag === TAG_USER_COMMENT) entries.push({ keyword: 'EXIF:UserComment', text: decodeUserComment(v, le) });
      else if (tag === TAG_MAKER_NOTE) addMakerNote(v);
    });
  }
  return { entries, problems };
}

/**
 * The EXIF block A1111 writes (piexif.dump of {"Exif": {UserComment}}): big-endian TIFF, an empty-ish IFD0
 * holding only the Exif IFD pointer, and UserComment = "UNICODE\0" + UTF-16BE. No "Exif\0\0" header.
 */
export function buildUserCommentExif(text: string): Uint8Array {
  const comment = new Uint8Array(8 + text.length * 2);
  comment.set([0x55, 0x4e, 0x49, 0x43, 0x4f, 0x44, 0x45, 0x00]); // "UNICODE\0"
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    comment[8 + 2 * i] = c >> 8;
    comment[9 + 2 * i] = c & 0xff;
  }
  // layout: header(8) | IFD0: count(2) entry(12) next(4) | Exif IFD: count(2) entry(12) next(4) | comment
  const ifd0 = 8;
  const exifIfd = ifd0 + 18;
  const data = exifIfd + 18;
  const out = new Uint8Array(data + comment.length + (comment.length & 1));
  const dv = new DataView(out.buffer);
  out.set([0x4d, 0x4d, 0x00, 0x2a]);
  dv.setUint32(4, ifd0);
  dv.setUint16(ifd0, 1);
  dv.setUint16(ifd0 + 2, TAG_EXIF_IFD);
  dv.setUint16(ifd0 + 4, 4); // LONG
  dv.setUint32(ifd0 + 6, 1);
  dv.setUint32(ifd0 + 10, exifIfd);
  dv.setUint32(ifd0 + 14, 0);
  dv.setUint16(exifIfd, 1);
  dv.setUint16(exifIfd + 2, TAG_USER_COMMENT);
  dv.setUint16(exifIfd + 4, 7); // UNDEFINED
  dv.setUint32(exifIfd + 6, comment.length);
  dv.setUint32(exifIfd + 10, data);
  dv.setUint32(exifIfd + 14, 0);
  out.set(comment, data);
  return out;
}
