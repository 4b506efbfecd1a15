// State dicts of shapes only for the interrogation networks at any size (the real files': OpenAI ViT-L-14.pt,
// BLIP model_base_caption_capfilt_large.pth, model-resnet_custom_v3.pt), written from the architectures, so their
// graphs can be built and their MACs counted without the files. `bench interrogate` checks each generator key for
// key against a fixture at the fixture's config.
type Shapes = Map<string, number[]>;

const lin = (s: Shapes, key: string, i: number, o: number, bias = true): void => {
  s.set(`${key}.weight`, [o, i]);
  if (bias) s.set(`${key}.bias`, [o]);
};
const ln = (s: Shapes, key: string, n: number): void => {
  s.set(`${key}.weight`, [n]);
  s.set(`${key}.bias`, [n]);
};

function clipBlock(s: Shapes, k: string, w: number): void {
  ln(s, `${k}.ln_1`, w);
  s.set(`${k}.attn.in_proj_weight`, [3 * w, w]);
  s.set(`${k}.attn.in_proj_bias`, [3 * w]);
  lin(s, `${k}.attn.out_proj`, w, w);
  ln(s, `${k}.ln_2`, w);
  lin(s, `${k}.mlp.c_fc`, w, 4 * w);
  lin(s, `${k}.mlp.c_proj`, 4 * w, w);
}

export interface ClipShape {
  vision: { width: number; layers: number; patch: number; size: number };
  text?: { width: number; layers: number; vocab: number; context: number };
  embed: number;
}

/** OpenAI's CLIP state dict (`visual.*` and, with `text`, the text tower). ViT-L/14: 1024×24, patch 14, 224; text 768×12. */
export function clipShapes(c: ClipShape): Shapes {
  const s: Shapes = new Map();
  const { width: W, layers, patch, size } = c.vision;
  s.set('visual.conv1.weight', [W, 3, patch, patch]);
  s.set('visual.class_embedding', [W]);
  s.set('visual.positional_embedding', [(size / patch) ** 2 + 1, W]);
  ln(s, 'visual.ln_pre', W);
  for (let i = 0; i < layers; i++) clipBlock(s, `visual.transformer.resblocks.${i}`, W);
  ln(s, 'visual.ln_post', W);
  s.set('visual.proj', [W, c.embed]);
  if (c.text) {
    const t = c.text;
    s.set('token_embedding.weight', [t.vocab, t.width]);
    s.set('positional_embedding', [t.context, t.width]);
    for (let i = 0; i < t.layers; i++) clipBlock(s, `transformer.resblocks.${i}`, t.width);
    ln(s, 'ln_final', t.width);
    s.set('text_projection', [t.width, c.embed]);
  }
  return s;
}

export const VIT_L_14: ClipShape = { vision: { width: 1024, layers: 24, patch: 14, size: 224 }, text: { width: 768, layers: 12, vocab: 49408, context: 77 }, embed: 768 };

export interface BlipShape {
  vit: { width: number; layers: number; patch: number; size: number };
  bert: { hidden: number; layers: number; inter: number; vocab: number; positions: number };
}

/** BLIP_Decoder's checkpoint keys (base: ViT-B/16 at 384, BERT-base decoder with cross-attention, vocab 30524). */
export function blipShapes(b: BlipShape): Shapes {
  const s: Shapes = new Map();
  const V = 'visual_encoder';
  const W = b.vit.width;
  s.set(`${V}.cls_token`, [1, 1, W]);
  s.set(`${V}.pos_embed`, [1, (b.vit.size / b.vit.patch) ** 2 + 1, W]);
  s.set(`${V}.patch_embed.proj.weight`, [W, 3, b.vit.patch, b.vit.patch]);
  s.set(`${V}.patch_embed.proj.bias`, [W]);
  for (let i = 0; i < b.vit.layers; i++) {
    const k = `${V}.blocks.${i}`;
    ln(s, `${k}.norm1`, W);
    lin(s, `${k}.attn.qkv`, W, 3 * W);
    lin(s, `${k}.attn.proj`, W, W);
    ln(s, `${k}.norm2`, W);
    lin(s, `${k}.mlp.fc1`, W, 4 * W);
    lin(s, `${k}.mlp.fc2`, 4 * W, W);
  }
  ln(s, `${V}.norm`, W);
  const D = 'text_decoder';
  const H = b.bert.hidden;
  s.set(`${D}.bert.embeddings.word_embeddings.weight`, [b.bert.vocab, H]);
  s.set(`${D}.bert.embeddings.position_embeddings.weight`, [b.bert.positions, H]);
  s.set(`${D}.bert.embeddings.position_ids`, [1, b.bert.positions]);
  ln(s, `${D}.bert.embeddings.LayerNorm`, H);
  for (let i = 0; i < b.bert.layers; i++) {
    const k = `${D}.bert.encoder.layer.${i}`;
    for (const a of ['attention', 'crossattention']) {
      for (const n of ['query', 'key', 'value']) lin(s, `${k}.${a}.self.${n}`, a === 'attention' || n === 'query' ? H : W, H);
      lin(s, `${k}.${a}.output.dense`, H, H);
      ln(s, `${k}.${a}.output.LayerNorm`, H);
    }
    lin(s, `${k}.intermediate.dense`, H, b.bert.inter);
    lin(s, `${k}.output.dense`, b.bert.inter, H);
    ln(s, `${k}.output.LayerNorm`, H);
  }
  lin(s, `${D}.cls.predictions.transform.dense`, H, H);
  ln(s, `${D}.cls.predictions.transform.LayerNorm`, H);
  s.set(`${D}.cls.predictions.bias`, [b.bert.vocab]);
  s.set(`${D}.cls.predictions.decoder.weight`, [b.bert.vocab, H]);
  s.set(`${D}.cls.predictions.decoder.bias`, [b.bert.vocab]);
  return s;
}

export const BLIP_BASE: BlipShape = { vit: { width: 768, layers: 12, patch: 16, size: 384 }, bert: { hidden: 768, layers: 12, inter: 3072, vocab: 30524, positions: 512 } };

/** deepbooru_model.py's convs with every width divided by `div` (1 = the real file) and `tags` outputs. */
export function deepDanbooruShapes(div = 1, tags = 9176): Shapes {
  const s: Shapes = new Map();
  const conv = (k: number, i: number, o: number, size: number, bias = true): void => {
    s.set(`n_Conv_${k}.weight`, [o, i, size, size]);
    if (bias) s.set(`n_Conv_${k}.bias`, [o]);
  };
  const c = (n: number): number => n / div;
  conv(0, 3, c(64), 7);
  let k = 1;
  let inCh = c(64);
  const stages: Array<[number, number]> = [[64, 3], [128, 8], [256, 40], [512, 3], [1024, 3]];
  for (const [base, blocks] of stages) {
    const w = c(base);
    const out = 4 * w;
    for (let b = 0; b < blocks; b++) {
      const special = base === 256 && b === 20; // the mid-stage down block: body first, shortcut (n_Conv_100) last
      if (b === 0 || special) {
        if (!special) conv(k++, inCh, out, 1);
        conv(k++, inCh, w, 1);
        conv(k++, w, w, 3);
        conv(k++, w, out, 1);
        if (special) conv(k++, inCh, out, 1);
      } else {
        conv(k++, inCh, w, 1);
        conv(k++, w, w, 3);
        conv(k++, w, out, 1);
      }
      inCh = out;
    }
  }
  conv(k, inCh, tags, 1, false);
  return s;
}
