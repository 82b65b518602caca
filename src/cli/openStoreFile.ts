import { statSync } from 'node:fs';
import { isStoreSchemaError } from '../errors/StoreSchemaError.js';
import { openSqliteStore, type SqliteStore } from '../store/openSqliteStore.js';
import { CliError } from './CliError.js';

/**
 * Opens an existing Warden store file for a command: read-only by default, so the CLI can
 * read while a warden writes (WAL). `write: true` (purge) opens it read-write after the same
 * checks. A missing file, a directory, a file that is not SQLite or not a Warden store, or a
 * schema this Warden cannot read is a CliError (exit 2) naming the file and the fix.
 */
export function openStoreFile(path: string, options: { write?: boolean } = {}): SqliteStore {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) {
    throw new CliError(`no store file at ${path}: pass --db <file>, the file your warden writes (createWarden({ store: 'sqlite:<file>' }); default ./warden.db in the host's working directory)`);
  }
  if (!stat.isFile()) throw new CliError(`${path} is not a file: pass --db <file>, the SQLite file your warden writes`);
  try {
    const reader = openSqliteStore(path, { readonly: true });
    if (!options.write) return reader;
    reader.close();
    return openSqliteStore(path);
  } catch (err) {
    throw storeOpenError(path, err);
  }
}

function storeOpenError(path: string, err: unknown): unknown {
  if (isStoreSchemaError(err)) return new CliError(err.message);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_NOTADB') return new CliError(`${path} is not a SQLite database: pass --db <file>, the store file your warden writes`);
  if (code === 'SQLITE_CANTOPEN') return new CliError(`cannot open ${path} (${(err as Error).message}): check its permissions and the directory's`);
  return err;
}
