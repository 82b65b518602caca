import { letterSummary } from '../cli/letterSummary.js';
import type { DemoEvent, DemoState } from './demoModel.js';
import { elapsed } from './elapsed.js';

/** The line printed for an event when stdout is not a terminal (one per chunk, letter, restart and run event). `state` is after the event. */
export function plainLine(e: DemoEvent, s: DemoState): string {
  const run = 'runId' in e ? s.runs.find((r) => r.runId === e.runId) : undefined;
  const who = run ? `run ${run.n}` : 'job';
  const at = `[${elapsed(e.at)}]`;
  switch (e.type) {
    case 'run.started':
      return `${at} ${who}  started ${run?.lateMs ?? 0} ms after its fire (${run?.runId ?? e.runId})`;
    case 'chunk.ended':
      return `${at} ${who}  chunk ${e.index}: ${e.succeeded}/${e.size} ok${e.deadLettered ? `, ${e.deadLettered} dead-lettered` : ''}${e.timedOut ? ' (timed out)' : ''}`;
    case 'task.deadLettered':
      return `${at} ${who}  dead letter ${e.letter.key} ${e.letter.reason} after ${e.letter.attempts} attempt(s): ${e.letter.error.message}`;
    case 'worker.restarted':
      return `${at} ${who}  worker ${e.slot} killed and replaced`;
    case 'circuit.opened':
      return `${at} ${who}  circuit opened after ${e.failures} consecutive connection failures: the run stops`;
    case 'run.finished': {
      const m = e.summary;
      return `${at} ${who}  finished ${m.status}${m.reason ? ` (${m.reason})` : ''}: ${m.total} tasks = ${m.succeeded} ok + ${m.deadLettered} dead-lettered (${letterSummary(m.byReason)}); slot released`;
    }
    case 'circuit.closed':
      return `${at} job    circuit closed: the probe run went through`;
    case 'run.skipped':
      return `${at} job    fire skipped (${e.reason})`;
    case 'run.missed':
      return `${at} job    fire missed`;
  }
}
