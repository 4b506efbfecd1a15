import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendLostError, CancelledError } from '../../../daemon/errors';
import { JobQueue } from '../../../daemon/jobs';
import type { JobInfo } from '../../../daemon/protocol';

function queue(): { q: JobQueue; states: JobInfo[] } {
  const states: JobInfo[] = [];
  const q = new JobQueue({ state: (s) => states.push(s), progress: () => undefined, preview: () => undefined, warning: () => undefined }, () => 1);
  return { q, states };
}

describe('job queue', () => {
  it('runs one job at a time in order, with explicit states', async () => {
    const { q, states } = queue();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = q.submit('t', 'a', async () => { order.push('a-start'); await gate; order.push('a-end'); return 1; });
    const b = q.submit('t', 'b', async () => { order.push('b'); return 2; });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(q.list().map((j) => [j.jobId, j.state]), [['a', 'running'], ['b', 'queued']]);
    release();
    assert.equal(await a.done, 1);
    assert.equal(await b.done, 2);
    assert.deepEqual(order, ['a-start', 'a-end', 'b']);
    assert.deepEqual(states.filter((s) => s.jobId === 'a').map((s) => s.state), ['queued', 'running', 'done']);
  });
  it('cancels queued jobs at once and running jobs through their signal', async () => {
    const { q } = queue();
    const a = q.submit('t', 'a', async (ctx) => {
      while (!ctx.signal.aborted) await new Promise((r) => setTimeout(r, 1));
      throw new CancelledError();
    });
    const b = q.submit('t', 'b', async () => 2);
    assert.equal(q.cancel('b')?.state, 'cancelled');
    await assert.rejects(b.done, CancelledError);
    await new Promise((r) => setTimeout(r, 5));
    q.cancel('a');
    await assert.rejects(a.done, CancelledError);
    assert.equal(q.list().find((j) => j.jobId === 'a')?.state, 'cancelled');
    const c = q.submit('t', 'c', async () => 3);
    assert.equal(await c.done, 3);
  });
  it('a failing job reports its message and the queue goes on', async () => {
    const { q } = queue();
    const a = q.submit('t', 'a', async () => { throw new Error('boom'); });
    await assert.rejects(a.done, /boom/);
    assert.equal(q.list().find((j) => j.jobId === 'a')?.error, 'boom');
    assert.equal(await q.submit('t', 'b', async () => 'ok').done, 'ok');
  });

  it('lanes: a job waiting for a busy lane lets a job for a free lane by; two lanes run at once', async () => {
    const { q } = queue();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    const a = q.submit('t', 'a', async (ctx) => { ran.push(`a@${ctx.lane}`); await gate; }, () => ['gpu-1']);
    const b = q.submit('t', 'b', async (ctx) => { ran.push(`b@${ctx.lane}`); }, () => ['gpu-1']);
    const c = q.submit('t', 'c', async (ctx) => { ran.push(`c@${ctx.lane}`); }, () => ['gpu-1', 'gpu-2']);
    await c.done;
    assert.deepEqual(ran, ['a@gpu-1', 'c@gpu-2']);
    assert.equal(q.list().find((j) => j.jobId === 'a')?.backend, 'gpu-1');
    release();
    await Promise.all([a.done, b.done]);
    assert.deepEqual(ran, ['a@gpu-1', 'c@gpu-2', 'b@gpu-1']);
  });
  it('a job whose backend goes away is retried once on another lane, then fails', async () => {
    const { q, states } = queue();
    const lanes: string[] = [];
    const once = q.submit('t', 'once', async (ctx) => {
      lanes.push(ctx.lane);
      if (ctx.lane === 'gpu-1') throw new BackendLostError('gpu-1', 'ECONNRESET');
      return ctx.lane;
    }, () => ['gpu-1', 'gpu-2']);
    assert.equal(await once.done, 'gpu-2');
    assert.deepEqual(lanes, ['gpu-1', 'gpu-2']);
    assert.deepEqual(states.filter((s) => s.jobId === 'once').map((s) => s.state), ['queued', 'running', 'queued', 'running', 'done']);
    const tried: string[] = [];
    const twice = q.submit('t', 'twice', async (ctx) => { tried.push(ctx.lane); throw new BackendLostError(ctx.lane, 'gone'); }, () => ['gpu-1', 'gpu-2', 'gpu-3']);
    await assert.rejects(twice.done, /backend "gpu-\d": gone/);
    assert.equal(tried.length, 2, `tried ${tried.join(', ')}: one retry, not more`);
    assert.equal(new Set(tried).size, 2);
  });
  it('interrupt ends a batched job done with what it has; a job without batches is cancelled', async () => {
    const { q } = queue();
    const batches = q.submit('t', 'b', async (ctx) => {
      let done = 0;
      for (let i = 0; i < 5 && !ctx.interrupted; i++) {
        const batch = ctx.beginBatch();
        if (i === 1) q.interrupt('b');
        if (!batch.aborted) done++;
      }
      return done;
    });
    assert.equal(await batches.done, 1);
    const plain = q.submit('t', 'p', async (ctx) => {
      while (!ctx.signal.aborted) await new Promise((r) => setTimeout(r, 1));
      throw new CancelledError();
    });
    await new Promise((r) => setTimeout(r, 5));
    q.interrupt('p');
    await assert.rejects(plain.done, CancelledError);
  });
});
