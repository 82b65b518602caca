import { resolve } from 'node:path';
import { Option } from 'commander';
import { CliError } from './CliError.js';

/** The `--db <file>` option every store command takes. */
export function storePathOption(): Option {
  return new Option('--db <file>', "the warden's SQLite store (default: the file of WARDEN_STORE=sqlite:<file>, else ./warden.db)");
}

/** The store file a command reads: `--db`, else `WARDEN_STORE` (when it names a file), else ./warden.db. Absolute. */
export function resolveDbPath(db: string | undefined): string {
  if (db !== undefined) {
    if (db.trim() === '') throw new CliError('--db is empty: pass the store file, e.g. --db ./warden.db');
    return resolve(db);
  }
  const env = process.env['WARDEN_STORE'];
  if (env === undefined || env === '') return resolve('warden.db');
  if (env.startsWith('sqlite:') && env.length > 'sqlite:'.length && env !== 'sqlite::memory:') return resolve(env.slice('sqlite:'.length));
  throw new CliError(`WARDEN_STORE is ${JSON.stringify(env)}, which is no file another process can read: pass --db <file> (the file the warden writes)`);
}
