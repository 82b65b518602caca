import { describe, expect, it } from 'vitest';
import { isOptionError } from '../src/errors/OptionError.js';
import { createWarden } from '../src/runtime/createWarden.js';
import type { JobSpec } from '../src/runtime/jobSpec.js';
import { fixture, quiet } from './helpers.js';

const good = (): JobSpec<number> => ({ id: 'j', trigger: { everyMs: 1000 }, task: fixture('ok.mjs'), source: () => [1] });

function fieldOf(f: () => void): string | undefined {
  try {
    f();
  } catch (err) {
    if (isOptionError(err)) return err.field;
    throw err;
  }
  return undefined;
}

describe('defineJob rejects bad input, naming the field', () => {
  const cases: Array<[string, (s: JobSpec<number>) => unknown, string]> = [
    ['an invalid cron', (s) => (s.trigger = { cron: '61 * * * *' }), 'job.trigger.cron'],
    ['a cron with too few fields', (s) => (s.trigger = { cron: 'every day' }), 'job.trigger.cron'],
    ['an unknown time zone', (s) => (s.trigger = { cron: '0 2 1 1 *', tz: 'Mars/Olympus' }), 'job.trigger.tz'],
    ['a trigger with two kinds', (s) => (s.trigger = { cron: '0 2 1 1 *', everyMs: 1000 } as never), 'job.trigger'],
    ['a trigger with no kind', (s) => (s.trigger = {} as never), 'job.trigger'],
    ['a bad everyMs', (s) => (s.trigger = { everyMs: 0 }), 'job.trigger.everyMs'],
    ['an invalid at', (s) => (s.trigger = { at: new Date('nope') }), 'job.trigger.at'],
    ['maxInstances < 1', (s) => (s.maxInstances = 0), 'job.maxInstances'],
    ['task > chunk', (s) => (s.timeouts = { taskMs: 2000, chunkMs: 1000, batchMs: 3000, jobMs: 4000 }), 'job.timeouts.taskMs'],
    ['chunk > batch', (s) => (s.timeouts = { taskMs: 1000, chunkMs: 5000, batchMs: 3000, jobMs: 6000 }), 'job.timeouts.chunkMs'],
    ['batch > job', (s) => (s.timeouts = { taskMs: 1000, chunkMs: 2000, batchMs: 5000, jobMs: 4000 }), 'job.timeouts.batchMs'],
    ['a source that is not a function', (s) => (s.source = [1] as never), 'job.source'],
    ['an empty id', (s) => (s.id = ''), 'job.id'],
    ['a missing task module', (s) => (s.task = fixture('nope.mjs')), 'options.task'],
  ];
  for (const [name, change, field] of cases) {
    it(name, () => {
      const spec = good();
      change(spec);
      expect(fieldOf(() => createWarden({ logger: quiet, store: 'memory' }).defineJob(spec))).toBe(field);
    });
  }

  it('a duplicate id', () => {
    const warden = createWarden({ logger: quiet, store: 'memory' });
    warden.defineJob(good());
    expect(fieldOf(() => warden.defineJob(good()))).toBe('job.id');
  });

  it('the message says which budget is wrong and how they must nest', () => {
    const spec = { ...good(), timeouts: { batchMs: 5000, jobMs: 4000, taskMs: 1000, chunkMs: 2000 } };
    expect(() => createWarden({ logger: quiet, store: 'memory' }).defineJob(spec)).toThrow(/job\.timeouts\.batchMs \(5000\) exceeds job\.timeouts\.jobMs \(4000\).*taskMs ≤ chunkMs ≤ batchMs ≤ jobMs/);
  });

  it('runNow on an unknown job names it', async () => {
    await expect(createWarden({ logger: quiet, store: 'memory' }).runNow('nope')).rejects.toMatchObject({ field: 'id' });
  });
});
