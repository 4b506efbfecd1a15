// A1111's X/Y/Z plot (`scripts/xyz_grid.py`): one full generation per cell with the axes' values applied, each
// cell's images saved with their own infotexts, then the grid of the cells' first images with the axes' legend
// (one grid per Z value, and a grid of those when there are several), its infotext the first cell's plus "Script",
// "X Type", "X Values", … keys.
import { invalidParam } from '../errors';
import { drawGridAnnotations, type GridAnnotation } from '../image/gridAnnotations';
import { filledRgb, GRID_BACKGROUND, imageGrid } from '../image/grid';
import type { RgbImage } from '../image/rgbImage';
import type { JobContext } from '../jobs';
import { resolveCheckpointName } from '../modelFiles/checkpointName';
import { jobImages } from '../output/jobImages';
import type { GeneratedImage, GenerationResult, Img2ImgParams, XyzParams } from '../protocol';
import { resolveSampler } from '../sampling';
import { AXIS_OPTIONS, axisLabel, axisValues, findAxis, type AxisOption, type AxisValue } from '../scripts/xyzAxes';
import { resolveImg2Img, resolveSeed } from '../validate';
import { fixedSeed, parseSeed, seedJson } from '../seed';
import { runImg2ImgJob, type PipelineDeps } from './img2img';
import type { InfoEntries } from './modelFor';

interface Axis {
  name: 'X' | 'Y' | 'Z';
  opt: AxisOption;
  text: string;
  values: AxisValue[];
}

function axisOf(name: Axis['name'], a: XyzParams['x'], tab: 'txt2img' | 'img2img', root: string): Axis {
  const field = name.toLowerCase();
  const opt = findAxis(a?.type);
  if (!opt) throw invalidParam(`${field}.type`, `unknown axis type "${a?.type}"`, AXIS_OPTIONS.filter((o) => !o.tab || o.tab === tab).map((o) => o.label).join(', '));
  if (opt.tab && opt.tab !== tab) throw invalidParam(`${field}.type`, `"${opt.label}" is a ${opt.tab} axis (this job is ${tab})`);
  const text = a?.values ?? '';
  let values: AxisValue[];
  try {
    values = axisValues(opt, text);
  } catch (e) {
    throw invalidParam(`${field}.values`, (e as Error).message);
  }
  if (values.length === 0) throw invalidParam(`${field}.values`, `no values for ${opt.label}`);
  // A1111's confirm_* checks, before anything runs.
  for (const v of values) {
    try {
      if (opt.label === 'Sampler' || opt.label === 'Hires sampler') resolveSampler(String(v));
      if (opt.label === 'Checkpoint name') resolveCheckpointName(String(v), root, `${field}.values`);
    } catch (e) {
      throw invalidParam(`${field}.values`, (e as Error).message);
    }
  }
  return { name, opt, text, values };
}

/** "Keep -1 for seeds" off: -1 seeds of the Seed / Var. seed axes become random ones, fixed for the whole plot. */
const fixSeeds = (a: Axis): AxisValue[] => (a.opt.label === 'Seed' || a.opt.label === 'Var. seed' ? a.values.map((v) => (v === -1 ? seedJson(fixedSeed(-1n)) : v)) : a.values);

/** The order cells run in: the costliest axis outermost (a checkpoint change loads a model), as A1111 decides. */
function cellOrder(x: Axis, y: Axis, z: Axis): Array<[number, number, number]> {
  const c = [x.opt.cost ?? 0, y.opt.cost ?? 0, z.opt.cost ?? 0] as const;
  let order: [number, number, number] = [2, 1, 0]; // z, then y, then x
  if (c[0] > c[1] && c[0] > c[2]) order = c[1] > c[2] ? [0, 1, 2] : [0, 2, 1];
  else if (c[1] > c[0] && c[1] > c[2]) order = c[0] > c[2] ? [1, 0, 2] : [1, 2, 0];
  else if (c[2] > c[0] && c[2] > c[1]) order = c[0] > c[1] ? [2, 0, 1] : [2, 1, 0];
  const sizes = [x.values.length, y.values.length, z.values.length];
  const out: Array<[number, number, number]> = [];
  for (let a = 0; a < sizes[order[0]]!; a++) for (let b = 0; b < sizes[order[1]]!; b++) for (let k = 0; k < sizes[order[2]]!; k++) {
    const idx: [number, number, number] = [0, 0, 0];
    idx[order[0]] = a;
    idx[order[1]] = b;
    idx[order[2]] = k;
    out.push(idx);
  }
  return out;
}

/** The job seen by one cell: its progress and previews counted across the whole plot. */
function cellJob(job: JobContext, cell: number, cells: number): JobContext {
  return {
    ...job,
    progress: (step, steps, image, images) => job.progress(step, steps, cell * images + image, cells * images),
    preview: (p) => job.preview({ ...p, image: cell }),
  };
}

export async function runXyz(raw: XyzParams, job: JobContext, deps: PipelineDeps): Promise<GenerationResult> {
  const base: Img2ImgParams = { ...(raw?.params ?? {}) };
  const tab = (base.init_images?.length ?? 0) > 0 ? 'img2img' : 'txt2img';
  const root = deps.settings.modelsRoot;
  const [x, y, z] = [axisOf('X', raw?.x, tab, root), axisOf('Y', raw?.y, tab, root), axisOf('Z', raw?.z, tab, root)];
  const keepRandom = raw?.no_fixed_seeds === true;
  if (!keepRandom) {
    base.seed = seedJson(resolveSeed('seed', base.seed));
    for (const a of [x, y, z]) a.values = fixSeeds(a);
  }
  const margin = raw?.margin_size ?? 0;
  if (!Number.isInteger(margin) || margin < 0 || margin > 500) throw invalidParam('margin_size', `${JSON.stringify(margin)} is out of range`, 'integer 0..500');
  const resolved = resolveImg2Img(base, deps.settings); // checks the base params before any cell runs
  const out = jobImages(resolved);

  const n = x.values.length * y.values.length * z.values.length;
  const index = (ix: number, iy: number, iz: number): number => ix + iy * x.values.length + iz * x.values.length * y.values.length;
  const cellImages: Array<RgbImage | undefined> = new Array(n);
  const cellResults: GeneratedImage[][] = Array.from({ length: n }, () => []);
  const vary = raw?.vary_seeds ?? {};
  const gridInfotexts: string[] = [];
  let done = 0;
  for (const [ix, iy, iz] of cellOrder(x, y, z)) {
    const p: Img2ImgParams = { ...base, styles: [...(base.styles ?? [])], override_settings: { ...base.override_settings } };
    for (const [a, i] of [[x, ix], [y, iy], [z, iz]] as const) {
      let v = a.values[i]!;
      if (a.opt.label === 'Checkpoint name') v = resolveCheckpointName(String(v), root, `${a.name.toLowerCase()}.values`);
      try {
        a.opt.apply(p, v, a.values);
      } catch (e) {
        throw invalidParam(`${a.name.toLowerCase()}.values`, (e as Error).message);
      }
    }
    // "Vary seeds for X/Y/Z": xyz_grid.py's cell() adds the cell's place along those axes to the seed.
    const xdim = vary.x ? x.values.length : 1;
    const ydim = vary.y ? y.values.length : 1;
    const offset = (vary.x ? ix : 0) + (vary.y ? iy * xdim : 0) + (vary.z ? iz * xdim * ydim : 0);
    if (offset) p.seed = seedJson((parseSeed(p.seed) ?? -1n) + BigInt(offset));
    const run = await runImg2ImgJob(p, cellJob(job, done++, n), deps);
    cellResults[index(ix, iy, iz)] = run.result.images;
    const first = run.outputs.length > 1 ? imageGrid(run.outputs) : run.outputs[0];
    cellImages[index(ix, iy, iz)] = first;
    if (ix === 0 && iy === 0) gridInfotexts[iz] = run.infotextWith(scriptKeys([x, y], keepRandom));
    if (ix === 0 && iy === 0 && iz === 0) gridInfotexts[z.values.length] = run.infotextWith(scriptKeys([x, y, z], keepRandom));
  }

  const size = cellImages.find((c) => c) ?? filledRgb(resolved.width, resolved.height, GRID_BACKGROUND);
  const labels = (a: Axis): GridAnnotation[][] => a.values.map((v) => [{ text: axisLabel(a.opt, v) }]);
  const legend = raw?.draw_legend !== false;
  const subGrids: RgbImage[] = [];
  for (let iz = 0; iz < z.values.length; iz++) {
    const cells = Array.from({ length: x.values.length * y.values.length }, (_, k) => cellImages[iz * x.values.length * y.values.length + k] ?? filledRgb(size.width, size.height, [0, 0, 0]));
    let grid = imageGrid(cells, y.values.length);
    if (legend) grid = await drawGridAnnotations(grid, size.width, size.height, labels(x), labels(y), margin);
    subGrids.push(grid);
  }
  let main = subGrids[0]!;
  if (z.values.length > 1) {
    main = imageGrid(subGrids, 1);
    if (legend) main = await drawGridAnnotations(main, subGrids[0]!.width, subGrids[0]!.height, labels(z), [[{ text: '' }]]);
  }
  const names = { seed: resolved.seed, steps: resolved.steps, cfg: resolved.cfgScale, sampler: resolved.samplerName, scheduler: resolved.scheduler, prompt: resolved.prompt, negativePrompt: resolved.negativePrompt, batchSize: 1, date: new Date() };
  const grids: GeneratedImage[] = [];
  const mainGrid = await out.grid([], gridInfotexts[z.values.length] ?? gridInfotexts[0]!, names, { basename: 'xyz_grid', force: true, image: main });
  if (mainGrid) grids.push(mainGrid);
  if (z.values.length > 1) {
    for (let iz = 0; iz < subGrids.length; iz++) {
      const g = await out.grid([], gridInfotexts[iz]!, names, { basename: 'xyz_grid', force: raw?.include_sub_grids === true, image: subGrids[iz] });
      if (g) grids.push(g);
    }
  }
  return { jobId: job.id, images: cellResults.flat(), grids, parameters: { ...base, seed: seedJson(resolved.seed) } };
}

/** The grid infotext's script keys, in A1111's order. */
function scriptKeys(axes: Axis[], keepRandom: boolean): InfoEntries {
  const out: InfoEntries = [['Script', 'X/Y/Z plot']];
  for (const a of axes) {
    if (a.opt.label === 'Nothing') continue;
    out.push([`${a.name} Type`, a.opt.label], [`${a.name} Values`, a.text]);
    if ((a.opt.label === 'Seed' || a.opt.label === 'Var. seed') && !keepRandom) out.push([`Fixed ${a.name} Values`, a.values.map((v) => String(v)).join(', ')]);
  }
  return out;
}
