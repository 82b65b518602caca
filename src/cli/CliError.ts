import { EXIT, type ExitCode } from './exitCodes.js';

/** An error the CLI prints as `warden: <message>` (no stack) and exits with `exitCode`. The message names the fix. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
