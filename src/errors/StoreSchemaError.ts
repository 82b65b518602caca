import { WardenError, hasErrorCode } from './WardenError.js';

/**
 * A store file whose schema this Warden cannot use: written by a newer Warden, not a Warden
 * store at all, or (read-only open) not yet migrated. The message names the fix.
 */
export class StoreSchemaError extends WardenError {
  static readonly code = 'ERR_WARDEN_STORE_SCHEMA';
  /** The file (or ':memory:'). */
  readonly path: string;
  /** The schema version found in the file (`PRAGMA user_version`). */
  readonly found: number;
  /** The newest schema version this Warden knows. */
  readonly supported: number;
  constructor(path: string, found: number, supported: number, message: string) {
    super('ERR_WARDEN_STORE_SCHEMA', message);
    this.path = path;
    this.found = found;
    this.supported = supported;
  }
}

/** True for a StoreSchemaError from any copy of Warden (matched by code). */
export function isStoreSchemaError(err: unknown): err is StoreSchemaError {
  return hasErrorCode(err, 'ERR_WARDEN_STORE_SCHEMA');
}
