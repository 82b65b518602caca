import { Command } from 'commander';
import type { DeadLetterReason } from '../machines/deadLetterReason.js';
import { formatTable } from './formatTable.js';
import { formatTime } from './formatTime.js';
import { integerIn, reasonValue } from './parseArgs.js';
import { printJson, printLines } from './print.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';
import { CliError } from './CliError.js';
import { isOptionError } from '../errors/OptionError.js';

interface ListOptions {
  db?: string;
  job?: string;
  run?: string;
  reason?: DeadLetterReason;
  limit: number;
  cursor?: string;
  json?: boolean;
}

/** `warden dlq list`: dead letters oldest first, a page at a time (without inputs). */
export function dlqListCommand(): Command {
  return new Command('list')
    .description('dead letters, oldest first, a page at a time (inputs: `warden dlq show <id>`)')
    .addOption(storePathOption())
    .option('--job <id>', 'only letters of this job')
    .option('--run <id>', 'only letters of this run')
    .option('--reason <reason>', 'only letters with this reason', reasonValue)
    .option('--limit <n>', 'letters per page (1-1000)', integerIn(1, 1000), 50)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'print JSON ({ items, cursor? })')
    .action((o: ListOptions) => {
      withStoreFile(o.db, (store) => {
        let page;
        try {
          page = store.deadLetters.list({ jobId: o.job, runId: o.run, reason: o.reason, limit: o.limit, cursor: o.cursor });
        } catch (err) {
          if (isOptionError(err) && err.field === 'cursor') throw new CliError(`--cursor ${JSON.stringify(o.cursor)} is not a cursor from \`warden dlq list\`: pass the one the previous page printed, or none for the first page`);
          throw err;
        }
        if (o.json) return printJson(page);
        if (page.items.length === 0) return printLines([`no dead letters${o.cursor ? ' after this cursor' : ''} in ${store.path}`]);
        const rows = page.items.map((l) => [
          l.id,
          l.jobId,
          l.runId,
          l.key,
          l.reason,
          l.attempts,
          formatTime(l.lastFailedAt),
          l.replayedAt ? `yes (${l.replayRunId ?? ''})` : 'no',
          l.error.message.split('\n')[0] ?? '',
        ]);
        const lines = formatTable(['id', 'job', 'run', 'key', 'reason', 'tries', 'failed', 'replayed', 'error'], rows);
        if (page.cursor) lines.push('', `more: warden dlq list --cursor ${page.cursor}${o.db ? ` --db ${o.db}` : ''}`);
        printLines(lines);
      });
    });
}
