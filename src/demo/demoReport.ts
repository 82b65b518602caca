import { formatTable } from '../cli/formatTable.js';
import { formatDuration } from '../cli/formatTime.js';
import { letterSummary } from '../cli/letterSummary.js';
import type { StoredDeadLetterSummary, StoredRun } from '../store/types.js';
import type { DemoState } from './demoModel.js';

/** What the demo read back from its store file once the warden closed. */
export interface DemoStored {
  runs: StoredRun[];
  letters: StoredDeadLetterSummary[];
}

/** The summary table (from the store), the dead letters, and what each run shows. */
export function demoReport(s: DemoState, stored: DemoStored, db: string, finished: boolean): string[] {
  const runNo = new Map(stored.runs.map((r, i) => [r.id, i + 1]));
  const live = new Map(s.runs.map((r) => [r.runId, r]));
  const runRows = stored.runs.map((r) => {
    const m = (r.metrics ?? {}) as Record<string, number>;
    const late = live.get(r.id)?.lateMs;
    return [
      runNo.get(r.id) ?? 0,
      r.id,
      late === undefined ? '-' : `${late} ms late`,
      r.endedAt ? formatDuration(r.endedAt.getTime() - r.startedAt.getTime()) : '-',
      `${r.status}${r.reason ? ` (${r.reason})` : ''}`,
      m['total'] ?? 0,
      m['succeeded'] ?? 0,
      m['deadLettered'] ?? 0,
      m['workerRestarts'] ?? 0,
    ];
  });
  const letterRows = stored.letters.map((l) => [l.id, runNo.get(l.runId) ?? '?', l.key, l.reason, l.attempts, l.error.message]);
  return [
    '',
    ...formatTable(['run', 'id', 'started', 'took', 'status', 'tasks', 'ok', 'dead', 'replaced'], runRows),
    '',
    `dead letters (${stored.letters.length}, kept in the store):`,
    ...(letterRows.length > 0 ? formatTable(['id', 'run', 'key', 'reason', 'tries', 'error'], letterRows).map((l) => `  ${l}`) : ['  none']),
    '',
    ...story(s, finished),
    '',
    `store: ${db}`,
    `  warden status --db ${db}`,
    `  warden runs --db ${db}`,
    `  warden dlq list --db ${db}`,
  ];
}

/** One line per run saying what it shows, from what happened (not from a script). */
function story(s: DemoState, finished: boolean): string[] {
  const lines = s.runs.map((r) => {
    const m = r.summary;
    if (!m) return `run ${r.n}: did not finish`;
    const parts = [`started ${r.lateMs} ms after its fire`];
    if (m.byReason.timeout > 0) parts.push(`${m.byReason.timeout} hung task(s) stopped at the heartbeat budget, ${m.workerRestarts} worker(s) killed and replaced`);
    if (m.byReason.error > 0) parts.push(`${m.byReason.error} bad input(s) dead-lettered without retry`);
    if (m.reason === 'circuit-open') parts.push(`the database refused connections: the circuit opened and the run stopped at once (${m.byReason['circuit-open']} task(s) dead-lettered circuit-open)`);
    if (s.probes.includes(r.n)) parts.push('the probe after the cool-down: it went through and closed the circuit');
    parts.push(`ended ${m.status}, slot released`);
    return `run ${r.n}: ${parts.join('; ')}`;
  });
  for (const k of s.skipped) lines.push(`a fire was ${k.reason === 'missed' ? 'missed' : `skipped (${k.reason})`}`);
  if (!finished) lines.push('the demo was stopped before its fires were handled (Ctrl-C, or its 50 s bound): the running run was aborted');
  else if (s.skipped.length === 0 && s.runs.length > 0) lines.push(`every fire ran: no run was ever skipped for "maximum number of running instances reached"`);
  return lines.concat(letterSummaryLine(s));
}

function letterSummaryLine(s: DemoState): string[] {
  const byReason: Record<string, number> = {};
  for (const r of s.runs) for (const [k, n] of Object.entries(r.summary?.byReason ?? {})) byReason[k] = (byReason[k] ?? 0) + n;
  return [`dead letters by reason: ${letterSummary(byReason)}`];
}
