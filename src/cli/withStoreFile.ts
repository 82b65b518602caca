import type { SqliteStore } from '../store/openSqliteStore.js';
import { openStoreFile } from './openStoreFile.js';
import { resolveDbPath } from './storePathOption.js';

/** Opens the `--db` store (read-only unless `write`), runs `fn` on it, and closes it whatever happens. */
export function withStoreFile<T>(db: string | undefined, fn: (store: SqliteStore) => T, options: { write?: boolean } = {}): T {
  const store = openStoreFile(resolveDbPath(db), options);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}
