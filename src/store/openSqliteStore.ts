import type Database from 'better-sqlite3';
import { lazyRequire } from '../runtime/lazyRequire.js';
import { DeadLetterAdmin } from './deadLetterAdmin.js';
import { DeadLetterReader } from './deadLetterReader.js';
import { JobStateStore } from './jobStateStore.js';
import { ProgressStore } from './progressStore.js';
import { StoreWriter, type StoreWriterOptions } from './storeWriter.js';
import { checkReadable, migrate } from './migrate.js';
import { DEFAULT_MAX_INPUT_BYTES } from './payload.js';
import { RunStore } from './runStore.js';

/** better-sqlite3, loaded when a store is first opened. */
const sqlite = lazyRequire<typeof Database>('better-sqlite3');

export interface SqliteStoreOptions {
  /** Open without writing: no migration, no writer (for a CLI or a second process). Default false. */
  readonly?: boolean | undefined;
  /** How long a write waits for another connection's lock before SQLITE_BUSY (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** Cap on a stored input's size, checked before decoding (default 1 MiB). */
  maxInputBytes?: number | undefined;
  /** `'full'` (default): a commit survives a power loss. `'normal'`: it survives a process crash (fewer fsyncs). */
  synchronous?: 'full' | 'normal' | undefined;
}

/** An open store. `close()` it on shutdown (after closing any writer it made). */
export interface SqliteStore {
  readonly path: string;
  readonly schemaVersion: number;
  /** The connection itself, for tests and tools. Do not start transactions on it yourself. */
  readonly db: Database.Database;
  readonly runs: RunStore;
  readonly deadLetters: DeadLetterReader;
  /** Replay marks and purges. */
  readonly letters: DeadLetterAdmin;
  readonly progress: ProgressStore;
  readonly jobs: JobStateStore;
  /** A batching writer (dead letters and settled chunks) on this connection. */
  writer(options?: StoreWriterOptions): StoreWriter;
  close(): void;
}

/**
 * Opens (creating if needed) a Warden store: a SQLite file, or ':memory:' for tests. Sets WAL,
 * synchronous=FULL (or NORMAL when asked) and a busy timeout, then migrates the schema to this Warden's version.
 * Throws StoreSchemaError when the file has a newer schema or is not a Warden store.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const readonly = options.readonly ?? false;
  const Sqlite = sqlite();
  const db = new Sqlite(path, { readonly, fileMustExist: readonly });
  const writers = new Set<StoreWriter>();
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    if (!readonly) db.pragma('journal_mode = WAL'); // persistent in the file; a reader inherits it
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    db.pragma('cache_size = -32768'); // 32 MiB of pages: index pages of a large dead-letter table stay in memory
    const schemaVersion = readonly ? checkReadable(db, path) : migrate(db, path);
    const maxInputBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    return {
      path,
      schemaVersion,
      db,
      runs: new RunStore(db),
      deadLetters: new DeadLetterReader(db, maxInputBytes),
      letters: new DeadLetterAdmin(db),
      progress: new ProgressStore(db),
      jobs: new JobStateStore(db),
      writer(writerOptions) {
        const w = new StoreWriter(db, writerOptions);
        writers.add(w);
        return w;
      },
      close() {
        if (!db.open) return;
        try {
          for (const w of writers) w.close(); // a failing last flush still lets the file close
        } finally {
          db.close();
        }
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}
