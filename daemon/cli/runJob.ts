import { randomUUID } from 'node:crypto';
import { ErrorCodes, type RequestMethod, type ParamsOf, type ResultOf } from '../protocol';
import { DaemonClient, errorMessage, exitCodeFor } from './client';
import { ProgressBar } from './progressBar';
import { ResponseError } from 'vscode-languageserver/node';

export interface JobOutcome<M extends RequestMethod> {
  result?: ResultOf<M>;
  /** Set when the job failed or was cancelled: the message to print. */
  error?: string;
  /** Set with `error`: the exit status the command should end with (client.ts: exitCodeFor). */
  exitCode?: 1 | 2;
  cancelled?: boolean;
}

/**
 * Run one job request against a fresh daemon with a progress bar; Ctrl-C cancels the job (the daemon stops
 * within one sampler step and writes nothing more), a second Ctrl-C quits at once.
 */
export async function runJobWithProgress<M extends RequestMethod>(
  client: DaemonClient,
  method: M,
  params: ParamsOf<M> & { jobId?: string },
  label: string,
): Promise<JobOutcome<M>> {
  const jobId = params.jobId ?? randomUUID();
  const bar = new ProgressBar();
  let lastImage = -1;
  client.onNotification('sd/job.progress', (p) => {
    if (p.jobId !== jobId) return;
    const total = p.steps * p.images;
    bar.update(total ? (p.image * p.steps + p.step) / total : 0, `${label}: ${p.message}`);
    if (!process.stderr.isTTY && p.image !== lastImage) {
      lastImage = p.image;
      bar.note(`${label}: ${p.message}`);
    }
  });
  client.onLog((m) => bar.note(m));
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    bar.note('cancelling… (Ctrl-C again to quit at once)');
    void client.request('sd/job.cancel', { jobId }).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await client.request(method, { ...params, jobId });
    bar.clear();
    return { result };
  } catch (e) {
    bar.clear();
    if (e instanceof ResponseError && e.code === ErrorCodes.Cancelled) return { cancelled: true, error: 'cancelled', exitCode: 1 };
    return { error: errorMessage(e), exitCode: exitCodeFor(e) };
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Print a generation job's outcome: output paths (or JSON with --json); errors to stderr. Returns the exit code. */
export function printImagesOutcome(outcome: JobOutcome<'sd/img2img'> | JobOutcome<'sd/outpaint'> | JobOutcome<'sd/xyz'>, json: boolean): number {
  if (!outcome.result) {
    process.stderr.write(`sd-studio: ${outcome.error}\n`);
    return outcome.exitCode ?? 1;
  }
  if (json) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
  else {
    for (const img of outcome.result.images) process.stdout.write(`${img.path ?? '(not saved)'}\n`);
    for (const g of outcome.result.grids ?? []) process.stdout.write(`grid: ${g.path ?? '(not saved)'}\n`);
  }
  const backend = outcome.result.backend;
  if (!json && backend && backend !== 'local') process.stderr.write(`ran on backend "${backend}"\n`);
  return 0;
}
