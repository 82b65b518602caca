import { describe, expect, it } from 'vitest';
import { TaskCtx } from '../src/actors/taskCtx.mjs';

const task = { seq: 7, key: 'k-7', input: null, attempt: 2 };
const make = () => {
  const posted: unknown[] = [];
  return { ctx: new TaskCtx(task, (m) => posted.push(m)), posted };
};

describe('the task context inside a worker (built on first use)', () => {
  it('has the key and the attempt', () => {
    const { ctx } = make();
    expect({ key: ctx.key, attempt: ctx.attempt }).toEqual({ key: 'k-7', attempt: 2 });
  });

  it('a signal taken before the abort is aborted with its reason', () => {
    const { ctx } = make();
    const { signal } = ctx;
    expect(signal.aborted).toBe(false);
    const reason = new Error('stop');
    ctx.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(ctx.signal).toBe(signal);
  });

  it('a signal first taken after the abort is already aborted, with the reason', () => {
    const { ctx } = make();
    const reason = new Error('stop');
    ctx.abort(reason);
    ctx.abort(new Error('again')); // the first abort wins
    expect(ctx.signal.aborted).toBe(true);
    expect(ctx.signal.reason).toBe(reason);
  });

  it('heartbeat and log work destructured, for their own task', () => {
    const { ctx, posted } = make();
    const { heartbeat, log } = ctx;
    heartbeat(0.5);
    log.warn('slow', { n: 1 });
    log.debug('detail');
    expect(posted).toEqual([
      { t: 'hb', seq: 7, progress: 0.5 },
      { t: 'log', seq: 7, level: 'warn', msg: 'slow', data: { n: 1 } },
      { t: 'log', seq: 7, level: 'debug', msg: 'detail', data: undefined },
    ]);
    expect(ctx.heartbeat).toBe(heartbeat);
    expect(ctx.log).toBe(log);
  });

  it('knows which attempt it belongs to', () => {
    const { ctx } = make();
    expect([ctx.isFor(7), ctx.isFor(8)]).toEqual([true, false]);
  });
});
