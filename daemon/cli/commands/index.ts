import type { CliCommand } from '../command';
import { demoCommand } from './demo';
import { img2imgCommand, txt2imgCommand } from './img2img';
import { serveCommand } from './serve';
import { hashCommand } from './hash';
import { mergeCommand } from './merge';
import { convertCommand } from './convert';
import { convertOnnxCommand } from './convertOnnx';
import { pnginfoCommand } from './pnginfo';
import { promptCommand } from './prompt';
import { extrasCommand } from './extras';
import { outpaintCommand } from './outpaint';
import { batchCommand } from './batch';
import { promptMatrixCommand, promptsFromFileCommand, xyzCommand } from './scripts';
import { cacheCommand } from './cache';
import { runCommand } from './run';
import { interrogateCommand } from './interrogate';
import { aestheticCommand } from './aesthetic';
import { gpuCommand } from './gpu';

/** The command table: one line per subcommand; each lives in its own file. */
export const commands: CliCommand[] = [
  img2imgCommand,
  txt2imgCommand,
  demoCommand,
  serveCommand,
  hashCommand,
  mergeCommand,
  convertCommand,
  pnginfoCommand,
  promptCommand,
  extrasCommand,
  convertOnnxCommand,
  outpaintCommand,
  batchCommand,
  xyzCommand,
  promptMatrixCommand,
  promptsFromFileCommand,
  cacheCommand,
  runCommand,
  interrogateCommand,
  aestheticCommand,
  gpuCommand,
  // <commands>
];
