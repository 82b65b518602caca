import { Command } from 'commander';
import { formatTable } from './formatTable.js';
import { formatTime } from './formatTime.js';
import { letterSummary } from './letterSummary.js';
import { printJson, printLines } from './print.js';
import { storeOverview, type JobOverview } from './storeOverview.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';

/** `warden status`: each job in the store file: its runs, the last one, runs still running, the next fire, dead letters not replayed. */
export function statusCommand(): Command {
  return new Command('status')
    .description('each job in the store: last run, running runs, next fire, dead letters not replayed')
    .addOption(storePathOption())
    .option('--json', 'print JSON')
    .action((o: { db?: string; json?: boolean }) => {
      withStoreFile(o.db, (store) => {
        const jobs = storeOverview(store);
        if (o.json) return printJson({ db: store.path, schemaVersion: store.schemaVersion, jobs });
        printLines(statusLines(store.path, jobs));
      });
    });
}

function statusLines(path: string, jobs: JobOverview[]): string[] {
  if (jobs.length === 0) return [`store ${path}: no jobs have run yet`];
  const rows = jobs.map((j) => [
    j.jobId,
    j.runs,
    j.lastRun ? `${j.lastRun.status}${j.lastRun.reason ? ` (${j.lastRun.reason})` : ''}` : '-',
    formatTime(j.lastRun?.startedAt),
    j.running.length,
    formatTime(j.nextFire),
    j.deadLetters.pending === 0 ? '0' : `${j.deadLetters.pending}: ${letterSummary(j.deadLetters.byReason)}`,
  ]);
  const lines = [`store ${path}`, '', ...formatTable(['job', 'runs', 'last run', 'started', 'running', 'next fire', 'dead letters to replay'], rows)];
  for (const j of jobs) {
    for (const r of j.running) {
      const host = r.hostAlive === false ? `host ${r.host} is gone: the next warden started on this file recovers the run (its job's onInterrupted)` : `host ${r.host}`;
      lines.push(`  running  ${r.id}  since ${formatTime(r.startedAt)}  (${host})`);
    }
  }
  return lines;
}
