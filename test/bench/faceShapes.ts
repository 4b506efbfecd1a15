// State dicts of shapes only (no values) for the face networks at any width, written from the architectures'
// constructors, so the real files' graphs can be built and their MACs counted without the files. Each generator
// is checked against the vision-tiny key set at the fixture's config (bench faces prints the check).
import type { TensorRecord } from '../../models/formats/tensorRecord';

type Shapes = Map<string, number[]>;

export function asRecords(shapes: Shapes): Map<string, TensorRecord> {
  const out = new Map<string, TensorRecord>();
  for (const [name, shape] of shapes) {
    const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    out.set(name, { name, file: '(shapes only)', offset: 0, dtype: 'F32', shape, strides, storageOffset: 0, storageBytes: 4 * shape.reduce((a, b) => a * b, 1) });
  }
  return out;
}

const bn = (s: Shapes, key: string, c: number): void => {
  for (const n of ['weight', 'bias', 'running_mean', 'running_var']) s.set(`${key}.${n}`, [c]);
  s.set(`${key}.num_batches_tracked`, []);
};
const conv = (s: Shapes, key: string, o: number, i: number, k: number, bias = true): void => {
  s.set(`${key}.weight`, [o, i, k, k]);
  if (bias) s.set(`${key}.bias`, [o]);
};

/** facexlib RetinaFace on torchvision resnet50 (base 64, in_channel 256, out_channel 256 in the real file). */
export function retinaFaceShapes(base = 64, out = 256): Shapes {
  const s: Shapes = new Map();
  conv(s, 'body.conv1', base, 3, 7, false);
  bn(s, 'body.bn1', base);
  let inCh = base;
  [3, 4, 6, 3].forEach((n, l) => {
    const w = base * 2 ** l;
    for (let b = 0; b < n; b++) {
      const k = `body.layer${l + 1}.${b}`;
      conv(s, `${k}.conv1`, w, inCh, 1, false);
      bn(s, `${k}.bn1`, w);
      conv(s, `${k}.conv2`, w, w, 3, false);
      bn(s, `${k}.bn2`, w);
      conv(s, `${k}.conv3`, 4 * w, w, 1, false);
      bn(s, `${k}.bn3`, 4 * w);
      if (b === 0) {
        conv(s, `${k}.downsample.0`, 4 * w, inCh, 1, false);
        bn(s, `${k}.downsample.1`, 4 * w);
      }
      inCh = 4 * w;
    }
  });
  [8, 16, 32].forEach((m, i) => {
    conv(s, `fpn.output${i + 1}.0`, out, base * m, 1, false);
    bn(s, `fpn.output${i + 1}.1`, out);
  });
  for (const m of ['merge1', 'merge2']) {
    conv(s, `fpn.${m}.0`, out, out, 3, false);
    bn(s, `fpn.${m}.1`, out);
  }
  for (let i = 1; i <= 3; i++) {
    const parts: Array<[string, number, number]> = [['conv3X3', out / 2, out], ['conv5X5_1', out / 4, out], ['conv5X5_2', out / 4, out / 4], ['conv7X7_2', out / 4, out / 4], ['conv7x7_3', out / 4, out / 4]];
    for (const [name, o, ic] of parts) {
      conv(s, `ssh${i}.${name}.0`, o, ic, 3, false);
      bn(s, `ssh${i}.${name}.1`, o);
    }
  }
  for (let i = 0; i < 3; i++) {
    conv(s, `ClassHead.${i}.conv1x1`, 4, out, 1);
    conv(s, `BboxHead.${i}.conv1x1`, 8, out, 1);
    conv(s, `LandmarkHead.${i}.conv1x1`, 20, out, 1);
  }
  return s;
}

/** CodeFormer on its VQGAN (real: nf 64, ch_mult [1,2,2,4,4,8], dim 512, 9 layers). */
export function codeFormerShapes(o: { nf?: number; chMult?: number[]; dim?: number; layers?: number } = {}): Shapes {
  const nf = o.nf ?? 64;
  const chMult = o.chMult ?? [1, 2, 2, 4, 4, 8];
  const dim = o.dim ?? 512;
  const emb = 256;
  const s: Shapes = new Map();
  const gn = (k: string, c: number): void => {
    s.set(`${k}.weight`, [c]);
    s.set(`${k}.bias`, [c]);
  };
  const res = (k: string, i: number, out: number): void => {
    gn(`${k}.norm1`, i);
    conv(s, `${k}.conv1`, out, i, 3);
    gn(`${k}.norm2`, out);
    conv(s, `${k}.conv2`, out, out, 3);
    if (i !== out) conv(s, `${k}.conv_out`, out, i, 1);
  };
  const attn = (k: string, c: number): void => {
    gn(`${k}.norm`, c);
    for (const n of ['q', 'k', 'v', 'proj_out']) conv(s, `${k}.${n}`, c, c, 1);
  };
  let b = 0;
  const enc = (): string => `encoder.blocks.${b++}`;
  conv(s, enc(), nf, 3, 3);
  let res0 = 512;
  let ch = nf;
  chMult.forEach((m, i) => {
    const out = nf * m;
    for (let r = 0; r < 2; r++) {
      res(enc(), ch, out);
      ch = out;
      if (res0 === 16) attn(enc(), ch);
    }
    if (i !== chMult.length - 1) {
      conv(s, `${enc()}.conv`, ch, ch, 3);
      res0 /= 2;
    }
  });
  res(enc(), ch, ch);
  attn(enc(), ch);
  res(enc(), ch, ch);
  gn(enc(), ch);
  conv(s, enc(), emb, ch, 3);
  s.set('quantize.embedding.weight', [1024, emb]);
  b = 0;
  const gen = (): string => `generator.blocks.${b++}`;
  ch = nf * chMult[chMult.length - 1]!;
  conv(s, gen(), ch, emb, 3);
  res(gen(), ch, ch);
  attn(gen(), ch);
  res(gen(), ch, ch);
  res0 = 16;
  for (let i = chMult.length - 1; i >= 0; i--) {
    const out = nf * chMult[i]!;
    for (let r = 0; r < 2; r++) {
      res(gen(), ch, out);
      ch = out;
      if (res0 === 16) attn(gen(), ch);
    }
    if (i !== 0) {
      conv(s, `${gen()}.conv`, ch, ch, 3);
      res0 *= 2;
    }
  }
  gn(gen(), ch);
  conv(s, gen(), 3, ch, 3);
  s.set('position_emb', [256, dim]);
  s.set('feat_emb.weight', [dim, emb]);
  s.set('feat_emb.bias', [dim]);
  for (let l = 0; l < (o.layers ?? 9); l++) {
    const k = `ft_layers.${l}`;
    s.set(`${k}.self_attn.in_proj_weight`, [3 * dim, dim]);
    s.set(`${k}.self_attn.in_proj_bias`, [3 * dim]);
    s.set(`${k}.self_attn.out_proj.weight`, [dim, dim]);
    s.set(`${k}.self_attn.out_proj.bias`, [dim]);
    s.set(`${k}.linear1.weight`, [2 * dim, dim]);
    s.set(`${k}.linear1.bias`, [2 * dim]);
    s.set(`${k}.linear2.weight`, [dim, 2 * dim]);
    s.set(`${k}.linear2.bias`, [dim]);
    for (const n of ['norm1', 'norm2']) gn(`${k}.${n}`, dim);
  }
  gn('idx_pred_layer.0', dim);
  s.set('idx_pred_layer.1.weight', [1024, dim]);
  // CodeFormer.channels per fuse size: the output width of the generator level at that size.
  const level = (size: number): number => nf * chMult[chMult.length - 1 - Math.log2(size / 16)]!;
  for (const size of [32, 64, 128, 256]) {
    const c = level(size);
    const k = `fuse_convs_dict.${size}`;
    res(`${k}.encode_enc`, 2 * c, c);
    for (const n of ['scale', 'shift']) {
      conv(s, `${k}.${n}.0`, c, c, 3);
      conv(s, `${k}.${n}.2`, c, c, 3);
    }
  }
  return s;
}

/** facexlib ParseNet (real: base 64, channels clipped to [32, 256], 10 body blocks, 512 px). */
export function parseNetShapes(base = 64, min = 32, max = 256, depth = 10): Shapes {
  const s: Shapes = new Map();
  const clip = (x: number): number => Math.max(min, Math.min(x, max));
  const layer = (k: string, i: number, o: number, norm: boolean): void => {
    conv(s, `${k}.conv2d`, o, i, 3, !norm);
    if (norm) bn(s, `${k}.norm.norm`, o);
  };
  const block = (k: string, i: number, o: number, scaled: boolean): void => {
    if (scaled || i !== o) layer(`${k}.shortcut_func`, i, o, false);
    layer(`${k}.conv1`, i, o, true);
    layer(`${k}.conv2`, o, o, true);
  };
  layer('encoder.0', 3, base, false);
  let head = base;
  for (let i = 0; i < 4; i++, head *= 2) block(`encoder.${i + 1}`, clip(head), clip(head * 2), true);
  for (let i = 0; i < depth; i++) block(`body.${i}`, clip(head), clip(head), false);
  for (let i = 0; i < 4; i++, head /= 2) block(`decoder.${i}`, clip(head), clip(head / 2), true);
  layer('out_img_conv', clip(head), 3, false);
  layer('out_mask_conv', clip(head), 19, false);
  return s;
}

/**
 * GFPGANv1Clean at `k` times the fixture's widths (the fixture is narrow 1/16, num_style_feat 32 of the real
 * GFPGANv1.4 with channel_multiplier 2, so k = 16 gives the real file): every channel dimension scales, RGB (3),
 * kernel, noise and constant-input spatial sizes and scalar noise strengths do not.
 */
export function scaledGfpganShapes(fixture: ReadonlyMap<string, TensorRecord>, k: number): Shapes {
  const s: Shapes = new Map();
  for (const [name, r] of fixture) {
    const spatialFrom = r.shape.length === 5 ? 3 : r.shape.length === 4 ? 2 : r.shape.length;
    s.set(name, r.shape.map((d, i) => (i >= spatialFrom || d === 1 || d === 3 ? d : d * k)));
  }
  return s;
}
