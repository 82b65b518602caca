import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { DemoOutput } from '../demo/runDemo.js';
import { CliError } from './CliError.js';
import { EXIT } from './exitCodes.js';
import { printJson } from './print.js';

/** `warden demo`: the postmortem end to end on a fresh SQLite store (see src/demo). */
export function demoCommand(): Command {
  return new Command('demo')
    .description('the postmortem end to end: a grid batch every 4 s, hung tasks, a database outage, the circuit; about 15 s')
    .option('--db <file>', 'a new SQLite file for the demo store (default: a fresh file in the temp directory)')
    .option('--plain', 'one line per event, even on a terminal (the default when stdout is not a terminal)')
    .option('--json', 'no live output: one JSON document at the end (runs, summaries, dead letters)')
    .action(async (o: { db?: string; plain?: boolean; json?: boolean }) => {
      const db = o.db === undefined ? join(tmpdir(), `warden-demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${process.pid}.db`) : resolve(o.db);
      if (existsSync(db)) throw new CliError(`--db ${o.db ?? db}: ${db} already exists; the demo writes a fresh store: pass a new file name, or leave --db out for a temp file`);
      if (!existsSync(dirname(db))) throw new CliError(`--db ${o.db ?? db}: the directory ${dirname(db)} does not exist: create it, or pass a file in an existing directory`);
      const output: DemoOutput = o.json ? 'json' : o.plain || !process.stdout.isTTY ? 'plain' : 'tty';
      const { runDemo } = await import('../demo/runDemo.js'); // loaded when used: the read commands start faster
      const r = await runDemo(db, output);
      const countsAddUp = r.state.runs.every((run) => run.summary && run.summary.total === run.summary.succeeded + run.summary.deadLettered + run.summary.pending);
      process.exitCode = r.finished && countsAddUp ? EXIT.ok : EXIT.failed;
      if (output === 'json') {
        printJson({
          db: r.db,
          durationMs: r.durationMs,
          finished: r.finished,
          runs: r.state.runs.map((run) => ({ n: run.n, runId: run.runId, scheduledAt: new Date(run.scheduledAt), lateMs: run.lateMs, workerRestarts: run.workerRestarts, circuitOpened: run.circuitOpened, summary: run.summary })),
          skipped: r.state.skipped.map((k) => ({ scheduledAt: new Date(k.scheduledAt), reason: k.reason })),
          probes: r.state.probes,
          deadLetters: r.stored.letters,
        });
      }
    });
}
