import { Command, CommanderError } from 'commander';
import { CliError } from './CliError.js';
import { demoCommand } from './demoCommand.js';
import { dlqCommand } from './dlqCommand.js';
import { EXIT } from './exitCodes.js';
import { runsCommand } from './runsCommand.js';
import { statusCommand } from './statusCommand.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  the command did what it was asked
  1  it failed (a run or letter not found; a replay whose letters failed again)
  2  bad usage, or a store file that is missing or not a Warden store

Docs: docs/cli.md`;

/** The `warden` program: every command, with usage errors turned into exit code 2. */
export function wardenProgram(): Command {
  const program = new Command('warden')
    .description('Supervised scheduled batch jobs: run the demo, read a store file, replay dead letters.')
    .addCommand(demoCommand())
    .addCommand(statusCommand())
    .addCommand(runsCommand())
    .addCommand(dlqCommand())
    .addHelpText('after', EXIT_CODES_HELP);
  const configure = (c: Command) => {
    c.exitOverride().showHelpAfterError('(run with --help for usage)');
    c.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs the command line (`argv` without node and the script); returns the exit code. Prints errors as `warden: <message>`. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await wardenProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help asked for (--help, help <command>), or the version: 0; `warden` alone prints help: 2; any other usage error (already printed): 2
      const asked = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || (err.code === 'commander.help' && err.exitCode === 0);
      return asked ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`warden: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`warden: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.failed;
  }
}
