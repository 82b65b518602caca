import { Command, Option } from 'commander';
import { isOptionError } from '../errors/OptionError.js';
import type { ReplayResult } from '../runtime/createWarden.js';
import type { ReplaySelection } from '../store/deadLetterAdmin.js';
import { CliError } from './CliError.js';
import { EXIT } from './exitCodes.js';
import { formatTable } from './formatTable.js';
import { letterSummary } from './letterSummary.js';
import { loadJobs } from './loadJobs.js';
import { openStoreFile } from './openStoreFile.js';
import { idList } from './parseArgs.js';
import { printJson, printLines } from './print.js';
import { resolveDbPath, storePathOption } from './storePathOption.js';

interface ReplayOptions {
  db?: string;
  jobs: string;
  job?: string;
  ids?: number[];
  json?: boolean;
}

/**
 * `warden dlq replay --jobs <module> (--job <id> | --ids <ids>)`: runs letters again through
 * their job's task and supervision. The job definitions live in the host's code, so the CLI
 * imports them from `--jobs`. Exit 0 when every letter taken succeeded; 1 when some failed
 * again (new letters), a replay run was skipped or did not finish, or a letter was unreadable or missing.
 */
export function dlqReplayCommand(): Command {
  return new Command('replay')
    .description("run dead letters again through their job (the job definitions come from --jobs)")
    .addOption(storePathOption())
    .requiredOption('--jobs <module>', 'an ES module that exports the job specs (default export: an array of specs, or a function (warden) => { warden.defineJob(...) })')
    .addOption(new Option('--job <id>', "this job's letters not replayed yet").conflicts('ids'))
    .option('--ids <ids>', 'exactly these letters, replayed or not (comma-separated ids)', idList)
    .option('--json', 'print JSON (one result per job)')
    .action(async (o: ReplayOptions) => {
      if (o.job === undefined && o.ids === undefined) throw new CliError('dlq replay needs --job <id> (its letters not replayed yet) or --ids <ids> (exactly these)');
      const path = resolveDbPath(o.db);
      openStoreFile(path).close(); // a missing or foreign file: exit 2 before any job code loads
      const [{ default: pino }, { createWarden }] = await Promise.all([import('pino'), import('../runtime/createWarden.js')]); // loaded when used
      const logger = pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'error' }, pino.destination(2));
      const warden = createWarden({ store: `sqlite:${path}`, logger });
      try {
        const defined = await loadJobs(warden, o.jobs);
        const missing = (o.ids ?? []).filter((id) => warden.deadLetters.get(id) === undefined);
        if (missing.length > 0) throw new CliError(`--ids: no dead letter ${missing.join(', ')} in ${path}: see \`warden dlq list\``, EXIT.failed);
        const selection: ReplaySelection = o.ids ? { ids: o.ids } : { jobId: o.job as string };
        const results = await replay(warden.deadLetters.replay.bind(warden.deadLetters), selection, defined, o.jobs);
        process.exitCode = results.every(succeeded) ? EXIT.ok : EXIT.failed;
        if (o.json) printJson(results);
        else printLines(resultLines(results));
      } finally {
        await warden.close({ graceMs: 0 });
      }
    });
}

async function replay(run: (s: ReplaySelection) => Promise<ReplayResult[]>, selection: ReplaySelection, defined: string[], module: string): Promise<ReplayResult[]> {
  try {
    return await run(selection);
  } catch (err) {
    if (!isOptionError(err)) throw err;
    const what = 'jobId' in selection ? `--job ${selection.jobId}` : `--ids ${selection.ids.join(',')}`;
    throw new CliError(`${what}: ${err.message} (${module} defines: ${defined.join(', ')}); pass --jobs the module that defines the job of these letters`);
  }
}

function succeeded(r: ReplayResult): boolean {
  return r.unreadable.length === 0 && r.result.status === 'completed';
}

function resultLines(results: ReplayResult[]): string[] {
  if (results.length === 0) return ['no dead letters to replay'];
  const rows = results.map((r) => {
    const s = r.result;
    if (s.status === 'skipped') return [r.jobId, '-', `skipped (${s.reason})`, r.replayed, '-', '-', r.unreadable.length];
    return [r.jobId, r.runId ?? '-', `${s.status}${s.reason ? ` (${s.reason})` : ''}`, r.replayed, s.succeeded, s.deadLettered, r.unreadable.length];
  });
  const lines = formatTable(['job', 'replay run', 'status', 'taken', 'succeeded', 'failed again', 'unreadable'], rows);
  for (const r of results) {
    if (r.result.status !== 'skipped' && r.result.deadLettered > 0) lines.push(`  ${r.jobId}: new letters: ${letterSummary(r.result.byReason)} (warden dlq list --run ${r.runId ?? ''})`);
    for (const u of r.unreadable) lines.push(`  letter ${u.id} left as it is: ${u.error.message}`);
  }
  return lines;
}
