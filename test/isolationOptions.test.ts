import { describe, expect, it } from 'vitest';
import { liveProcessCount } from '../src/actors/processRegistry.js';
import { isOptionError, type OptionError } from '../src/errors/OptionError.js';
import { createWarden } from '../src/runtime/createWarden.js';
import { runBatch } from '../src/runtime/runBatch.js';
import type { RunBatchOptions } from '../src/runtime/runBatchOptions.js';
import { fixture, quiet } from './helpers.js';
import { allDead, pidRecorder } from './isolationHelpers.js';

async function optionError(over: Partial<RunBatchOptions<unknown>>): Promise<OptionError> {
  let read = 0;
  const source = { *[Symbol.iterator]() { read++; yield 1; } };
  const err = await runBatch({ task: fixture('ok.mjs'), source, logger: quiet, ...over }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOptionError(err)).toBe(true);
  expect(read).toBe(0);
  expect(liveProcessCount()).toBe(0);
  return err as OptionError;
}

describe('isolation options', () => {
  it.each([
    [{ isolation: 'fork' as never }, 'options.isolation', /must be 'thread' or 'process' \(got "fork"\)/],
    [{ maxMemoryMb: 10 }, 'options.maxMemoryMb', /whole number ≥ 96 \(got 10\)/],
    [{ maxMemoryMb: '512' as never }, 'options.maxMemoryMb', /got "512"/],
    [{ isolation: 'process' as const, resourceLimits: { maxOldGenerationSizeMb: 64 } }, 'options.resourceLimits', /threads only.*maxMemoryMb/],
  ])('%o is rejected before any work, naming %s', async (over, field, message) => {
    const err = await optionError(over);
    expect(err.field).toBe(field);
    expect(err.message).toMatch(message);
  });

  it('a job is checked when it is defined', () => {
    const warden = createWarden({ logger: quiet });
    let err: unknown;
    try {
      warden.defineJob({ id: 'j', trigger: { everyMs: 60_000 }, task: fixture('ok.mjs'), source: () => [1], isolation: 'processes' as never });
    } catch (e) {
      err = e;
    }
    expect(isOptionError(err)).toBe(true);
    expect((err as OptionError).field).toBe('options.isolation');
    return warden.close();
  });

  it("a job with isolation: 'process' runs its tasks in child processes, and leaves none behind", async () => {
    const recorder = pidRecorder();
    const warden = createWarden({ logger: quiet });
    try {
      warden.defineJob({
        id: 'in-processes',
        trigger: { everyMs: 3_600_000 },
        task: fixture('ok.mjs'),
        source: () => [1, 2, 3, 4],
        isolation: 'process',
        workers: 2,
      });
      const s = await warden.runNow('in-processes');
      expect(s).toMatchObject({ status: 'completed', succeeded: 4 });
    } finally {
      await warden.close({ graceMs: 0 });
      recorder.stop();
    }
    expect(recorder.pids.size).toBe(3); // 2 workers + 1 spare
    expect(liveProcessCount()).toBe(0);
    expect(await allDead(recorder.pids)).toBe(true);
  });
});
