// The mask painter: the image under a mask layer; brush and eraser with size, undo/redo, clear, invert, zoom and pan,
// mask opacity, upload a mask. It paints only: the mask leaves as PNG bytes (white = repaint), full image
// resolution; blur, crop and outpainting canvases are the daemon's job.
import { button, h } from '../common/dom';
import type { ImageView } from '../common/messages';

export interface MaskPainter {
  el: HTMLElement;
  load(view: ImageView): Promise<void>;
  loadMask(view: ImageView): Promise<void>;
  /** PNG bytes of the mask, or undefined when nothing is painted. */
  exportMask(): Promise<ArrayBuffer | undefined>;
  hasImage(): boolean;
  /** The painted mask as a PNG data URL (strokes opaque on transparent), for the webview state; undefined when nothing is painted. */
  maskUrl(): string | undefined;
}

const UNDO_LIMIT = 40;

function loadImg(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.crossOrigin = 'anonymous';
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('The image could not be loaded.'));
    img.src = src;
  });
}

function toPng(canvas: HTMLCanvasElement): Promise<ArrayBuffer> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? b.arrayBuffer().then(resolve, reject) : reject(new Error('PNG export failed'))), 'image/png'));
}

export function maskPainter(onChange: () => void): MaskPainter {
  const base = h('canvas', { class: 'painter-base' });
  const mask = h('canvas', { class: 'painter-mask', id: 'mask-canvas' });
  const stage = h('div', { class: 'painter-stage' }, base, mask);
  const viewport = h('div', { class: 'painter-viewport', id: 'painter', attrs: { tabindex: '0', 'aria-label': 'Mask painter: drag to paint, Alt+drag or middle button to pan, wheel to zoom' } }, stage);
  const bctx = base.getContext('2d')!;
  const mctx = mask.getContext('2d', { willReadFrequently: true })!;
  let tool: 'brush' | 'eraser' = 'brush';
  let size = 40;
  let zoom = 1;
  let pan = { x: 0, y: 0 };
  let painted = false;
  const undo: ImageData[] = [];
  const redo: ImageData[] = [];

  const applyView = () => {
    stage.style.transform = `translate(${pan.x}px, ${pan.y}px) scale(${zoom})`;
    zoomLabel.textContent = `${Math.round(zoom * 100)}%`;
  };
  const fit = () => {
    // fill the width (small images are magnified, so a stroke is easy to place), at most 520 px high
    const w = viewport.clientWidth || 480;
    zoom = Math.min(w / Math.max(1, base.width), 520 / Math.max(1, base.height));
    pan = { x: 0, y: 0 };
    viewport.style.height = `${Math.max(200, Math.round(base.height * zoom))}px`;
    applyView();
  };
  const snapshot = () => {
    undo.push(mctx.getImageData(0, 0, mask.width, mask.height));
    if (undo.length > UNDO_LIMIT) undo.shift();
    redo.length = 0;
  };
  const restore = (from: ImageData[], to: ImageData[]) => {
    const d = from.pop();
    if (!d) return;
    to.push(mctx.getImageData(0, 0, mask.width, mask.height));
    mctx.putImageData(d, 0, 0);
    painted = true;
    onChange();
  };

  // painting
  let drawing = false;
  let panning: { x: number; y: number } | null = null;
  let last: { x: number; y: number } | null = null;
  const at = (e: PointerEvent) => {
    const r = mask.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * mask.width, y: ((e.clientY - r.top) / r.height) * mask.height };
  };
  const stroke = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    mctx.globalCompositeOperation = tool === 'brush' ? 'source-over' : 'destination-out';
    mctx.strokeStyle = '#ffffff';
    mctx.fillStyle = '#ffffff';
    mctx.lineWidth = size;
    mctx.lineCap = 'round';
    mctx.lineJoin = 'round';
    mctx.beginPath();
    mctx.moveTo(from.x, from.y);
    mctx.lineTo(to.x, to.y);
    mctx.stroke();
    mctx.globalCompositeOperation = 'source-over';
  };
  viewport.addEventListener('pointerdown', (e) => {
    if (!base.width) return;
    viewport.setPointerCapture(e.pointerId);
    if (e.button === 1 || e.altKey) { panning = { x: e.clientX - pan.x, y: e.clientY - pan.y }; return; }
    if (e.button !== 0) return;
    snapshot();
    drawing = true;
    last = at(e);
    stroke(last, last);
  });
  viewport.addEventListener('pointermove', (e) => {
    if (panning) { pan = { x: e.clientX - panning.x, y: e.clientY - panning.y }; applyView(); return; }
    if (!drawing || !last) return;
    const p = at(e);
    stroke(last, p);
    last = p;
  });
  const end = () => {
    if (drawing) { painted = true; onChange(); }
    drawing = false; panning = null; last = null;
  };
  viewport.addEventListener('pointerup', end);
  viewport.addEventListener('pointercancel', end);
  viewport.addEventListener('wheel', (e) => {
    e.preventDefault();
    zoom = Math.max(0.1, Math.min(8, zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1)));
    applyView();
  }, { passive: false });

  // toolbar
  const toolBtn = (name: 'brush' | 'eraser', label: string, icon: string) => {
    const b = button(label, () => { tool = name; syncTools(); }, { id: `tool-${name}`, icon });
    b.setAttribute('aria-pressed', 'false');
    return b;
  };
  const brushBtn = toolBtn('brush', 'Brush', 'edit');
  const eraserBtn = toolBtn('eraser', 'Eraser', 'eraser');
  const syncTools = () => {
    brushBtn.setAttribute('aria-pressed', String(tool === 'brush'));
    eraserBtn.setAttribute('aria-pressed', String(tool === 'eraser'));
  };
  syncTools();
  const sizeInput = h('input', { id: 'brush-size', attrs: { type: 'range', min: '1', max: '256', value: String(size), 'aria-label': 'Brush size' } });
  sizeInput.addEventListener('input', () => { size = Number(sizeInput.value); });
  const opacity = h('input', { id: 'mask-opacity', attrs: { type: 'range', min: '0.1', max: '1', step: '0.05', value: '0.6', 'aria-label': 'Mask opacity' } });
  const syncOpacity = () => { mask.style.opacity = opacity.value; };
  opacity.addEventListener('input', syncOpacity);
  syncOpacity();
  const zoomLabel = h('span', { class: 'muted', text: '100%' });
  const upload = h('input', { attrs: { type: 'file', accept: 'image/*' }, class: 'hidden-input' });
  upload.addEventListener('change', async () => {
    const f = upload.files?.[0];
    if (!f) return;
    const url = URL.createObjectURL(f);
    try { await drawMask(url); } finally { URL.revokeObjectURL(url); upload.value = ''; }
  });
  const drawMask = async (src: string) => {
    const img = await loadImg(src);
    snapshot();
    // luminance > 50% becomes mask, as A1111 reads an uploaded mask
    const tmp = document.createElement('canvas');
    tmp.width = mask.width; tmp.height = mask.height;
    const t = tmp.getContext('2d')!;
    t.drawImage(img, 0, 0, mask.width, mask.height);
    const d = t.getImageData(0, 0, mask.width, mask.height);
    // RGBA: the length is a multiple of 4, so i + 3 is in range.
    for (let i = 0; i < d.data.length; i += 4) {
      const on = d.data[i]! * 0.299 + d.data[i + 1]! * 0.587 + d.data[i + 2]! * 0.114 > 127 && d.data[i + 3]! > 0;
      d.data[i] = d.data[i + 1] = d.data[i + 2] = 255;
      d.data[i + 3] = on ? 255 : 0;
    }
    mctx.putImageData(d, 0, 0);
    painted = true;
    onChange();
  };

  const tools = h('div', { class: 'toolbar painter-tools' },
    brushBtn, eraserBtn,
    h('label', { class: 'inline', text: 'Size' }, sizeInput),
    button('', () => restore(undo, redo), { id: 'mask-undo', icon: 'discard', kind: 'icon', title: 'Undo' }),
    button('', () => restore(redo, undo), { id: 'mask-redo', icon: 'redo', kind: 'icon', title: 'Redo' }),
    button('Clear', () => { snapshot(); mctx.clearRect(0, 0, mask.width, mask.height); painted = false; onChange(); }, { id: 'mask-clear', icon: 'trash' }),
    button('Invert', () => {
      snapshot();
      const d = mctx.getImageData(0, 0, mask.width, mask.height);
      for (let i = 0; i < d.data.length; i += 4) { d.data[i] = d.data[i + 1] = d.data[i + 2] = 255; d.data[i + 3] = d.data[i + 3]! > 127 ? 0 : 255; }
      mctx.putImageData(d, 0, 0);
      painted = true;
      onChange();
    }, { id: 'mask-invert', icon: 'arrow-swap' }),
    h('label', { class: 'inline', text: 'Opacity' }, opacity),
    button('', () => { zoom = Math.min(8, zoom * 1.25); applyView(); }, { icon: 'zoom-in', kind: 'icon', title: 'Zoom in' }),
    button('', () => { zoom = Math.max(0.1, zoom / 1.25); applyView(); }, { icon: 'zoom-out', kind: 'icon', title: 'Zoom out' }),
    button('', fit, { icon: 'screen-full', kind: 'icon', title: 'Fit the image' }),
    zoomLabel,
    button('Upload mask…', () => upload.click(), { id: 'mask-upload', icon: 'cloud-upload', title: 'Use a black-and-white image as the mask (white = repaint)' }),
    upload,
  );

  const setSize = (w: number, hgt: number) => {
    base.width = mask.width = w;
    base.height = mask.height = hgt;
    stage.style.width = `${w}px`;
    stage.style.height = `${hgt}px`;
  };

  return {
    el: h('div', { class: 'painter' }, tools, viewport),
    async load(view) {
      const img = await loadImg(view.src);
      setSize(img.naturalWidth, img.naturalHeight);
      bctx.drawImage(img, 0, 0);
      undo.length = redo.length = 0;
      painted = false;
      requestAnimationFrame(fit);
    },
    async loadMask(view) { await drawMask(view.src); },
    async exportMask() {
      if (!painted || !mask.width) return undefined;
      const out = document.createElement('canvas');
      out.width = mask.width; out.height = mask.height;
      const o = out.getContext('2d')!;
      o.fillStyle = '#000';
      o.fillRect(0, 0, out.width, out.height);
      o.drawImage(mask, 0, 0);
      return toPng(out);
    },
    hasImage: () => base.width > 0,
    maskUrl: () => (painted && mask.width ? mask.toDataURL('image/png') : undefined),
  };
}
