#!/usr/bin/env node
import { runDemo } from '../demo/runDemo.js';

const USAGE = `usage: warden <command>

commands:
  demo     run a batch in which tasks hang, crash and fail, and print what Warden did
  help     show this text

exit codes: 0 success, 1 the command failed, 2 bad usage`;

/** The `warden` command line. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'demo': {
      const summary = await runDemo();
      return summary.total === summary.succeeded + summary.deadLettered + summary.pending ? 0 : 1;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`warden: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
