import { WardenError, hasErrorCode } from './WardenError.js';

/** Bad input to a public API: names the option (`field`) and says how to fix it. Thrown before any work starts. */
export class OptionError extends WardenError {
  static readonly code = 'ERR_WARDEN_OPTION';
  readonly field: string;
  constructor(field: string, problem: string, fix: string) {
    super('ERR_WARDEN_OPTION', `${field} ${problem}: ${fix}`);
    this.field = field;
  }
}

/** True for an OptionError from any copy of Warden (matched by code). */
export function isOptionError(err: unknown): err is OptionError {
  return hasErrorCode(err, 'ERR_WARDEN_OPTION');
}
