// One e2e option run in this (child) process through the img2img pipeline, with the RSS peak of each stage: the
// model parts are wrapped so the sampler sees when each stage starts. Prints one JSON line.
import { join } from 'node:path';
import type { CheckpointVariant, ModelManager } from '../../daemon/parts/sdModel';
import { TaesdDecoder } from '../../daemon/parts/taesd';
import { runImg2Img } from '../../daemon/pipelines/img2img';
import { defaultSettings } from '../../daemon/settings';
import { parseFlags } from '../../daemon/cli/args';
import { daemonSettingsFromFlags, img2imgFlags, paramsFromFlags } from '../../daemon/cli/commands/img2img';
import { fakeJob } from '../fixtures/fakeJob';
import { testModelManager, testPipelineDeps } from '../fixtures/testServices';
import { GiB, RssSampler } from './rss';
import { cliArgs } from './e2e';
import { flag } from './unet';

export async function runStagesChild(option: string, args: string[]): Promise<void> {
  const rss = new RssSampler(50);
  const started = performance.now();
  const argv = cliArgs(flag(args, 'checkpoint')!, flag(args, 'init')!, flag(args, 'out')!, option).slice(1);
  const { flags } = parseFlags(argv, img2imgFlags, { numbersCheckedByDaemon: true });
  const params = { ...paramsFromFlags(flags), save_images: false };
  const settings = { ...defaultSettings(), ...daemonSettingsFromFlags(flags), outputDir: join(flag(args, 'out')!, 'x') };
  const manager = testModelManager(2);
  const decode = TaesdDecoder.prototype.decode;
  TaesdDecoder.prototype.decode = function (...a) {
    rss.mark('VAE decode');
    return decode.apply(this, a);
  };
  const models = {
    async get(dir: string, v: CheckpointVariant) {
      rss.mark('load (sessions)');
      const m = await manager.get(dir, v);
      rss.mark('text encoder');
      const predict = m.unet.predict.bind(m.unet);
      let first = true;
      m.unet.predict = (...a) => {
        if (first) rss.mark('UNet');
        first = false;
        return predict(...a);
      };
      const enc = m.vaeEncoder;
      m.vaeEncoder = () => {
        rss.mark('VAE encode');
        return enc();
      };
      const dec = m.vaeDecoder.decode.bind(m.vaeDecoder);
      m.vaeDecoder.decode = (...a) => {
        rss.mark('VAE decode');
        return dec(...a);
      };
      return m;
    },
  } as unknown as ModelManager;
  await runImg2Img(params, fakeJob('stages'), testPipelineDeps(models, settings));
  const stages = rss.stop();
  await manager.dispose();
  const seconds = (performance.now() - started) / 1000;
  const peak = Math.max(...stages.map((s) => s.peak.rss));
  console.log(`${seconds.toFixed(1)} s in process, peak ${GiB(peak)}; per stage: ${stages.filter((s) => s.stage !== 'start').map((s) => `${s.stage} ${GiB(s.peak.rss)} ${s.seconds.toFixed(1)} s`).join(', ')}`);
}
