import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CancelledError } from '../../../daemon/errors';
import { JobQueue } from '../../../daemon/jobs';
import type { JobInfo } from '../../../daemon/protocol';

function queue(): { q: JobQueue; states: JobInfo[] } {
  const states: JobInfo[] = [];
  const q = new JobQueue({ state: (s) => states.push(s), progress: () => undefined, preview: () => undefined }, () => 1);
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
});
