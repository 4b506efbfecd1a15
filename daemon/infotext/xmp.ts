// XMP packets (JPEG APP1, WebP "XMP " chunk, PNG iTXt "XML:com.adobe.xmp"): a few generators and tools put
// the infotext in exif:UserComment or dc:description; Draw Things its JSON settings; IPTC's DigitalSourceType
// marks generated images. Read as text with regexes: the properties we want are
// simple (a value, or an rdf:Alt/Seq of rdf:li), and a full XML parser would be a dependency for three fields.

const PROPS = ['exif:UserComment', 'dc:description', 'tiff:ImageDescription', 'xmp:CreatorTool', 'dc:title', 'Iptc4xmpExt:DigitalSourceType'];

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|lt|gt|amp|quot|apos);/gi, (m, e: string) => {
    const k = e.toLowerCase();
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'amp') return '&';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    const cp = k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10);
    return Number.isFinite(cp) && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
}

/** The text between `<tag ...>` and `</tag>` of the first such element, found with indexOf (linear in the packet). */
function elementText(xml: string, tag: string): string | undefined {
  for (let i = xml.indexOf(`<${tag}`); i >= 0; i = xml.indexOf(`<${tag}`, i + 1)) {
    const next = xml.charCodeAt(i + tag.length + 1);
    if (next !== 0x3e /* > */ && !/\s/.test(xml[i + tag.length + 1] ?? '')) continue; // a longer name
    const open = xml.indexOf('>', i);
    if (open < 0) return undefined;
    const close = xml.indexOf(`</${tag}>`, open);
    // No closer after this opener means none after any later one either.
    return close < 0 ? undefined : xml.slice(open + 1, close);
  }
  return undefined;
}

/** "XMP:<prop>" entries for the known text properties of an XMP packet. */
export function readXmpText(xml: string): Array<{ keyword: string; text: string }> {
  const out: Array<{ keyword: string; text: string }> = [];
  for (const prop of PROPS) {
    const esc = prop.replace(':', '\\:');
    // One quoted value after `prop=`: `[^"]*` stops at the next quote, so the scan stays linear.
    const attr = new RegExp(`\\s${esc}\\s*=\\s*"([^"]*)"`).exec(xml);
    let value: string | undefined;
    if (attr) value = attr[1];
    else {
      const elem = elementText(xml, prop);
      if (elem !== undefined) value = elementText(elem, 'rdf:li') ?? elem;
    }
    if (value !== undefined && value.trim() !== '') out.push({ keyword: `XMP:${prop}`, text: unescapeXml(value) });
  }
  return out;
}
