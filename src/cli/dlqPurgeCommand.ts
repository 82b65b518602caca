import { Command, Option } from 'commander';
import type { DeadLetterReason } from '../machines/deadLetterReason.js';
import type { PurgeFilter } from '../store/deadLetterAdmin.js';
import { CliError } from './CliError.js';
import { idList, reasonValue, timeValue } from './parseArgs.js';
import { printJson, printLines } from './print.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';

interface PurgeOptions {
  db?: string;
  job?: string;
  run?: string;
  reason?: DeadLetterReason;
  ids?: number[];
  replayed?: boolean;
  before?: Date;
  all?: boolean;
  json?: boolean;
}

/** `warden dlq purge`: deletes the letters matching every given filter (at least one, or --all). */
export function dlqPurgeCommand(): Command {
  return new Command('purge')
    .description('delete the dead letters matching every given filter (at least one, or --all)')
    .addOption(storePathOption())
    .option('--job <id>', 'letters of this job')
    .option('--run <id>', 'letters of this run')
    .option('--reason <reason>', 'letters with this reason', reasonValue)
    .option('--ids <ids>', 'these letters (comma-separated ids)', idList)
    .addOption(new Option('--replayed', 'letters already replayed').conflicts('notReplayed'))
    .addOption(new Option('--not-replayed', 'letters not replayed yet'))
    .option('--before <time>', 'letters whose last failure is before this time (ISO date, or an age: 7d, 12h, 30m)', (v) => timeValue(v))
    .option('--all', 'every letter in the store')
    .option('--json', 'print JSON ({ purged })')
    .action((o: PurgeOptions & { notReplayed?: boolean }) => {
      const filter: PurgeFilter = {
        jobId: o.job,
        runId: o.run,
        reason: o.reason,
        ids: o.ids,
        replayed: o.replayed ? true : o.notReplayed ? false : undefined,
        before: o.before,
      };
      const empty = Object.values(filter).every((v) => v === undefined);
      if (empty && !o.all) {
        throw new CliError('dlq purge needs a filter: pass at least one of --job, --run, --reason, --ids, --replayed, --not-replayed, --before (or --all to delete every letter)');
      }
      if (!empty && o.all) throw new CliError('--all deletes every letter: pass it alone, or drop it and keep the filters');
      const purged = withStoreFile(o.db, (store) => store.letters.purge(filter), { write: true });
      if (o.json) printJson({ purged });
      else printLines([`purged ${purged} dead letter(s)`]);
    });
}
