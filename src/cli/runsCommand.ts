import { Command } from 'commander';
import { EXIT } from './exitCodes.js';
import type { SqliteStore } from '../store/openSqliteStore.js';
import type { StoredRun } from '../store/types.js';
import { formatTable } from './formatTable.js';
import { formatDuration, formatTime } from './formatTime.js';
import { letterSummary } from './letterSummary.js';
import { integerIn } from './parseArgs.js';
import { printJson, printLines } from './print.js';
import { newestRuns, runLetters } from './storeOverview.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';

interface RunsOptions {
  db?: string;
  job?: string;
  status?: string;
  limit: number;
  json?: boolean;
}

/** `warden runs [runId]`: the newest runs (oldest of them first), or one run with its settled chunks. */
export function runsCommand(): Command {
  return new Command('runs')
    .description('the newest runs in the store, or one run with its chunks and dead letters')
    .argument('[runId]', 'show this run in detail')
    .addOption(storePathOption())
    .option('--job <id>', 'only runs of this job')
    .option('--status <status>', 'only runs with this status (running, completed, partial, failed, aborted, timedOut, interrupted)')
    .option('--limit <n>', 'how many of the newest runs (1-1000)', integerIn(1, 1000), 20)
    .option('--json', 'print JSON')
    .action((runId: string | undefined, o: RunsOptions) => {
      withStoreFile(o.db, (store) => (runId === undefined ? listRuns(store, o) : showRun(store, runId, o.json === true)));
    });
}

function listRuns(store: SqliteStore, o: RunsOptions): void {
  const runs = newestRuns(store, { jobId: o.job, status: o.status, limit: o.limit });
  if (o.json) return printJson(runs);
  if (runs.length === 0) return printLines([`no runs${o.job ? ` of job ${o.job}` : ''}${o.status ? ` with status ${o.status}` : ''} in ${store.path}`]);
  const rows = runs.map((r) => {
    const m = counts(r);
    return [r.id, r.kind, formatTime(r.startedAt), r.endedAt ? formatDuration(r.endedAt.getTime() - r.startedAt.getTime()) : '-', status(r), m.total, m.succeeded, m.deadLettered, m.pending];
  });
  printLines(formatTable(['run', 'kind', 'started', 'took', 'status', 'tasks', 'ok', 'dead', 'pending'], rows));
}

function showRun(store: SqliteStore, runId: string, json: boolean): void {
  const run = store.runs.get(runId);
  if (!run) {
    process.exitCode = EXIT.failed;
    const msg = `no run ${runId} in ${store.path}: see \`warden runs\` for the run ids`;
    return json ? printJson({ error: msg }) : void process.stderr.write(`warden: ${msg}\n`);
  }
  const chunks = store.progress.chunks(runId);
  const letters = runLetters(store, runId);
  if (json) return printJson({ ...run, chunks, deadLetters: letters });
  const m = counts(run);
  printLines([
    `run           ${run.id}`,
    `job           ${run.jobId} (${run.kind}${run.resumeOf ? `, resumes ${run.resumeOf}` : ''})`,
    `status        ${status(run)}`,
    `scheduled     ${formatTime(run.slot)}`,
    `started       ${formatTime(run.startedAt)} on ${run.host}`,
    `ended         ${formatTime(run.endedAt)}${run.endedAt ? ` (took ${formatDuration(run.endedAt.getTime() - run.startedAt.getTime())})` : ''}`,
    `tasks         ${m.total === '-' ? '-' : `${m.total} total = ${m.succeeded} succeeded + ${m.deadLettered} dead-lettered + ${m.pending} pending`}`,
    `dead letters  ${letterSummary(letters)}`,
    '',
    ...(chunks.length === 0
      ? ['no chunk settled']
      : formatTable(['chunk', 'size', 'ok', 'dead', 'ended'], chunks.map((c) => [c.index, c.size, c.succeeded, c.deadLettered, formatTime(c.endedAt)]))),
  ]);
}

function status(r: StoredRun): string {
  return `${r.status}${r.reason ? ` (${r.reason})` : ''}`;
}

/** The task counts a finished run stored in its metrics (`-` while running or when absent). */
function counts(r: StoredRun): Record<'total' | 'succeeded' | 'deadLettered' | 'pending', number | string> {
  const m = (r.metrics ?? {}) as Record<string, unknown>;
  const n = (k: string) => (typeof m[k] === 'number' ? (m[k] as number) : '-');
  return { total: n('total'), succeeded: n('succeeded'), deadLettered: n('deadLettered'), pending: n('pending') };
}
