import { Command } from 'commander';
import { CliError } from './CliError.js';
import { formatTable } from './formatTable.js';
import { fetchLiveStatus, liveStatusLines } from './liveStatus.js';
import { formatTime } from './formatTime.js';
import { letterSummary } from './letterSummary.js';
import { printJson, printLines } from './print.js';
import { storeOverview, type JobOverview } from './storeOverview.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';

/**
 * `warden status`: each job in the store file: its runs, the last one, runs still running, the
 * next fire, dead letters not replayed. With `--url`, the live status of a running warden
 * (its `warden.serve()` address): runs with their chunk progress, circuits, the store's health.
 */
export function statusCommand(): Command {
  return new Command('status')
    .description('each job in the store: last run, running runs, next fire, dead letters not replayed (--url: a running warden\'s live status)')
    .addOption(storePathOption())
    .option('--url <url>', "a running warden's warden.serve() address, e.g. http://127.0.0.1:9464: read its live status instead of a store file")
    .option('--json', 'print JSON')
    .action(async (o: { db?: string; url?: string; json?: boolean }) => {
      if (o.url !== undefined) {
        if (o.db !== undefined) throw new CliError('--url and --db: give one (a running warden, or a store file)');
        const live = await fetchLiveStatus(o.url);
        if (o.json) return printJson({ url: o.url, ...live });
        return printLines(liveStatusLines(o.url, live));
      }
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
