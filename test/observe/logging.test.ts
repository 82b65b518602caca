import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createWarden } from '../../src/runtime/createWarden.js';
import { fixture } from '../helpers.js';

/** A pino logger at `level` whose lines are kept, parsed. */
function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { logger, lines, msg: (m: string) => lines.filter((l) => l['msg'] === m) };
}

async function runOnce(level: string, logInputs?: boolean) {
  const log = capture(level);
  const w = createWarden({ logger: log.logger, store: 'memory' });
  w.defineJob({
    id: 'grid',
    trigger: { everyMs: 3_600_000 },
    task: fixture('behave.mjs'),
    chunkSize: 2,
    key: (p: { n: number }) => `p${p.n}`,
    ...(logInputs === undefined ? {} : { logInputs }),
    source: () => [{ n: 0, do: 'ok', secret: 's0' }, { n: 1, do: 'throw', secret: 's1' }, { n: 2, do: 'ok', secret: 's2' }],
  });
  await w.runNow('grid');
  await w.close();
  return log;
}

describe('logging', () => {
  it('lifecycle at info and failures at warn, bound to jobId, runId and chunk; no task lines and no inputs at info', async () => {
    const log = await runOnce('info');
    const [started] = log.msg('batch started');
    expect(started).toMatchObject({ level: 30, jobId: 'grid', runId: expect.stringMatching(/^grid#/) });
    const chunks = log.msg('chunk ended');
    expect(chunks.map((c) => [c['level'], c['jobId'], c['chunk']])).toEqual([
      [30, 'grid', 0],
      [30, 'grid', 1],
    ]);
    const [letter] = log.msg('task dead-lettered');
    expect(letter).toMatchObject({ level: 40, jobId: 'grid', runId: started!['runId'], key: 'p1', chunk: 0, reason: 'error', err: 'bad data' });
    expect(log.msg('run finished')[0]).toMatchObject({ level: 30, status: 'partial', metrics: { total: 3 } });
    expect(log.msg('task succeeded')).toEqual([]);
    expect(JSON.stringify(log.lines)).not.toMatch(/"secret"/);
  });

  it('each task at debug, with its key and chunk; the input only when logInputs is on', async () => {
    const debug = await runOnce('debug');
    expect(debug.msg('task succeeded').map((l) => [l['key'], l['chunk']])).toEqual([
      ['p0', 0],
      ['p2', 1],
    ]);
    expect(JSON.stringify(debug.lines)).not.toMatch(/"secret"/);
    const withInputs = await runOnce('info', true);
    expect(withInputs.msg('task dead-lettered')[0]).toMatchObject({ key: 'p1', input: { n: 1, do: 'throw', secret: 's1' } });
  });
});
