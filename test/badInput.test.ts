import { describe, expect, it } from 'vitest';
import { isOptionError, OptionError } from '../src/errors/OptionError.js';
import { isTaskModuleError } from '../src/errors/TaskModuleError.js';
import { runBatch } from '../src/runtime/runBatch.js';
import type { RunBatchOptions } from '../src/runtime/runBatchOptions.js';
import { expectAccounted, fixture, letterBox, quiet } from './helpers.js';
import { liveThreadCount } from '../src/actors/liveThreads.js';

function base(over: Partial<RunBatchOptions<unknown>> = {}): RunBatchOptions<unknown> {
  return { task: fixture('ok.mjs'), source: [1, 2, 3], logger: quiet, ...over };
}

async function optionError(over: Partial<RunBatchOptions<unknown>>): Promise<OptionError> {
  let read = 0;
  const source = { *[Symbol.iterator]() { read++; yield 1; } };
  const err = await runBatch(base({ source, ...over })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOptionError(err)).toBe(true);
  expect(read).toBe(0); // nothing was read: nothing can be lost
  expect(liveThreadCount()).toBe(0);
  return err as OptionError;
}

describe('bad input fails before any work, naming the field and the fix', () => {
  it.each([
    [{ task: new URL('./fixtures/missing.mjs', import.meta.url) }, 'options.task', /names no file/],
    [{ task: '' }, 'options.task', /module path or a file URL/],
    [{ chunkSize: 0 }, 'options.chunkSize', /whole number ≥ 1 \(got 0\)/],
    [{ workers: 1.5 }, 'options.workers', /whole number/],
    [{ timeouts: { taskMs: 0 } }, 'options.timeouts.taskMs', /positive number of milliseconds \(got 0\)/],
    [{ timeouts: { batchMs: -5 } }, 'options.timeouts.batchMs', /got -5/],
    [{ timeouts: { killGraceMs: Number.NaN } }, 'options.timeouts.killGraceMs', /got NaN/],
    [{ timeouts: { taskMs: 2 ** 31 } }, 'options.timeouts.taskMs', /longer than/],
    [{ timeouts: { taskMs: 10_000, chunkMs: 5_000 } }, 'options.timeouts.taskMs', /exceeds options.timeouts.chunkMs/],
    [{ timeouts: { chunkMs: 10_000, batchMs: 5_000, taskMs: 1_000 } }, 'options.timeouts.chunkMs', /exceeds options.timeouts.batchMs/],
    [{ retry: { attempts: 0 } }, 'options.retry.attempts', /≥ 1/],
    [{ circuit: { threshold: 0 } }, 'options.circuit.threshold', /≥ 1/],
    [{ chunkFailureRatio: 2 }, 'options.chunkFailureRatio', /\(0, 1\]/],
    [{ source: 42 as unknown as Iterable<unknown> }, 'options.source', /Iterable or AsyncIterable/],
  ] as Array<[Partial<RunBatchOptions<unknown>>, string, RegExp]>)('%o → %s', async (over, field, message) => {
    const err = await optionError(over);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(field);
    expect(err.code).toBe('ERR_WARDEN_OPTION');
  });

  it('a module without a default export: TaskModuleError before any input is read', async () => {
    let read = 0;
    const source = { *[Symbol.iterator]() { read++; yield 1; } };
    const err = await runBatch(base({ task: fixture('noDefault.mjs'), source })).catch((e: unknown) => e);
    expect(isTaskModuleError(err)).toBe(true);
    expect((err as Error).message).toMatch(/options\.task: .*no default export function/);
    expect(read).toBe(0);
    expect(liveThreadCount()).toBe(0);
  });

  it('a module that throws while loading: TaskModuleError with its message', async () => {
    const err = await runBatch(base({ task: fixture('throwsAtLoad.mjs') })).catch((e: unknown) => e);
    expect(isTaskModuleError(err)).toBe(true);
    expect((err as Error).message).toMatch(/cannot initialise/);
    expect(liveThreadCount()).toBe(0);
  });

  it('an input that cannot be cloned to a worker dead-letters that task alone, as error', async () => {
    const box = letterBox();
    const s = await runBatch(base({
      task: fixture('behave.mjs'),
      source: [{ do: 'ok' }, { do: 'ok', callback: () => 1 }, { do: 'ok' }],
      retry: { attempts: 3, backoff: { initialMs: 1, factor: 1, maxMs: 1 } },
      onDeadLetter: box.onDeadLetter,
    }));
    expect(box.letters).toHaveLength(1);
    expect(box.letters[0]).toMatchObject({ key: '1', reason: 'error', attempts: 1 });
    expect(box.letters[0]?.error.code).toBe('ERR_WARDEN_UNCLONABLE_INPUT');
    expect(s.succeeded).toBe(2);
    expectAccounted(s, box.letters, 3);
  });

  it('a key function that throws dead-letters that input alone, as error', async () => {
    const box = letterBox();
    const s = await runBatch(base({
      source: [1, 2, 3],
      key: (n) => {
        if (n === 2) throw new Error('no id');
        return `k${String(n)}`;
      },
      onDeadLetter: box.onDeadLetter,
    }));
    expect(box.letters[0]).toMatchObject({ key: '#1', reason: 'error', attempts: 1 });
    expect(box.letters[0]?.error.message).toMatch(/options.key failed for this input: no id/);
    expectAccounted(s, box.letters, 3);
  });

  it('an onDeadLetter that throws does not stop the batch', async () => {
    const s = await runBatch(base({
      task: fixture('behave.mjs'),
      source: [{ do: 'throw' }, { do: 'ok' }],
      onDeadLetter: () => {
        throw new Error('subscriber bug');
      },
    }));
    expect(s.deadLettered).toBe(1);
    expect(s.succeeded).toBe(1);
  });
});
