import { inspect } from 'node:util';
import { Command } from 'commander';
import { EXIT } from './exitCodes.js';
import { formatTime } from './formatTime.js';
import { letterId } from './parseArgs.js';
import { printJson, printLines } from './print.js';
import { storePathOption } from './storePathOption.js';
import { withStoreFile } from './withStoreFile.js';

/** `warden dlq show <id>`: one dead letter with its input and error. */
export function dlqShowCommand(): Command {
  return new Command('show')
    .description('one dead letter with its decoded input and error')
    .argument('<id>', 'the letter id (see `warden dlq list`)', letterId)
    .addOption(storePathOption())
    .option('--stack', "print the error's stack too (JSON always has it)")
    .option('--json', 'print JSON')
    .action((id: number, o: { db?: string; stack?: boolean; json?: boolean }) => {
      withStoreFile(o.db, (store) => {
        const letter = store.deadLetters.get(id);
        if (!letter) {
          process.exitCode = EXIT.failed;
          const msg = `no dead letter ${id} in ${store.path}: see \`warden dlq list\` for the ids`;
          return o.json ? printJson({ error: msg }) : void process.stderr.write(`warden: ${msg}\n`);
        }
        if (o.json) return printJson(letter);
        const e = letter.error;
        printLines([
          `letter        ${letter.id}${letter.replayOf !== undefined ? ` (a new failure of letter ${letter.replayOf})` : ''}`,
          `job / run     ${letter.jobId} / ${letter.runId}`,
          `key           ${letter.key} (position ${letter.index} in the source)`,
          `reason        ${letter.reason} after ${letter.attempts} attempt(s)`,
          `failed        ${formatTime(letter.firstFailedAt)}${letter.attempts > 1 ? ` .. ${formatTime(letter.lastFailedAt)}` : ''}`,
          `replayed      ${letter.replayedAt ? `${formatTime(letter.replayedAt)} by ${letter.replayRunId ?? '?'}` : 'no'}`,
          `error         ${e.name}${e.code !== undefined ? ` [${String(e.code)}]` : ''}: ${e.message}`,
          `input         ${letter.payload.ok ? inspect(letter.payload.input, { depth: 4, breakLength: 100, colors: false }) : `unreadable: ${letter.payload.error.message}`}`,
          ...(o.stack && e.stack ? ['', e.stack] : []),
        ]);
      });
    });
}
