import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { applyDemoEvent, initialDemoState, type DemoEvent } from '../src/demo/demoModel.js';
import { ttyFrame } from '../src/demo/ttyFrame.js';
import { TtyScreen } from '../src/demo/ttyScreen.js';
import type { BatchSummary } from '../src/runtime/batchSummary.js';

// The demo's terminal view (the binary's tests run it without a terminal, so they see the plain lines):
// the frame drawn from the demo's events, and the in-place redraw.

const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
const EPOCH = 1_700_000_000_000;

function summary(over: Partial<BatchSummary>): BatchSummary {
  const byReason = { timeout: 0, error: 0, crash: 0, 'circuit-open': 0, 'chunk-timeout': 0, 'batch-timeout': 0, 'job-timeout': 0, aborted: 0, interrupted: 0 };
  return { status: 'completed', total: 40, succeeded: 40, deadLettered: 0, pending: 0, byReason, chunks: { completed: 8, failed: 0 }, workerRestarts: 0, stuckThreads: 0, sourceExhausted: true, startedAt: new Date(EPOCH), endedAt: new Date(EPOCH), durationMs: 0, ...over };
}

describe('the demo on a terminal', () => {
  it('one line per run: tasks settled, a cell per chunk, counts and status; then the next fire and the circuit', () => {
    const s = initialDemoState();
    const events: DemoEvent[] = [
      { type: 'run.started', at: 4000, runId: 'r1', scheduledAt: EPOCH + 3990 },
      { type: 'chunk.ended', at: 4100, runId: 'r1', index: 0, size: 5, succeeded: 5, deadLettered: 0, failed: false, timedOut: false },
      { type: 'chunk.ended', at: 4200, runId: 'r1', index: 1, size: 5, succeeded: 4, deadLettered: 1, failed: false, timedOut: false },
      { type: 'worker.restarted', at: 4150, runId: 'r1', slot: 0 },
    ];
    for (const e of events) applyDemoEvent(s, e, EPOCH);
    const running = ttyFrame(s, EPOCH + 4300, { fireAt: EPOCH + 8000, n: 2 }, 8).map(plain);
    expect(running).toEqual([
      `run 1 █████░░░░░░░░░░░░░░░ 10/40 ■■······ ok  9 dead  1  running, 1 worker(s) replaced`,
      'next   run 2 fires in 3.7 s   circuit closed',
    ]);
    const byReason = { ...summary({}).byReason, 'circuit-open': 10 };
    applyDemoEvent(s, { type: 'run.finished', at: 4900, runId: 'r1', summary: summary({ status: 'aborted', reason: 'circuit-open', succeeded: 30, deadLettered: 10, byReason }) }, EPOCH);
    const done = ttyFrame(s, EPOCH + 5000, undefined, 8).map(plain);
    expect(done[0]).toMatch(/^run 1 █{20} 40\/40 ■■······ ok 30 dead 10 {2}aborted \(circuit-open\): circuit-open 10$/);
    expect(done[1]).toBe('next   no more fires   circuit open');
  });

  it('redraws in place: the second frame moves the cursor up over the first and clears below', () => {
    const out = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
    out.columns = 20;
    let written = '';
    out.on('data', (d: Buffer) => (written += d.toString()));
    const screen = new TtyScreen(out);
    screen.draw(['one', 'two']);
    screen.draw(['a line longer than the twenty columns']);
    screen.end();
    expect(written).toBe('\x1b[?25l' + '\x1b[0Jone\x1b[0m\ntwo\x1b[0m\n' + '\x1b[2A\r\x1b[0Ja line longer than \x1b[0m\n' + '\x1b[?25h');
  });
});
