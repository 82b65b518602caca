import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreSchemaError, isStoreSchemaError } from '../../src/errors/StoreSchemaError.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openSqliteStore } from '../../src/store/openSqliteStore.js';
import { tempDb } from './storeHelpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('openSqliteStore: schema and settings', () => {
  it('migrates an empty file to the current version with WAL, synchronous=FULL and a busy timeout', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    const store = openSqliteStore(t.path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    const tables = store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual(['dead_letters', 'job_state', 'run_chunks', 'runs']);
    store.close();

    const again = openSqliteStore(t.path, { busyTimeoutMs: 250 }); // idempotent
    expect(again.schemaVersion).toBe(SCHEMA_VERSION);
    expect(again.db.pragma('busy_timeout', { simple: true })).toBe(250);
    expect(again.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    again.close();
  });

  it('migrates a version 2 file with letters in it: the rows stay, the reason index is gone, a reason filter still reads them', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    const raw = new Database(t.path);
    raw.pragma('journal_mode = WAL');
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) raw.exec(m.sql);
    raw.pragma(`application_id = ${APPLICATION_ID}`);
    raw.pragma('user_version = 2');
    const insert = raw.prepare(
      `INSERT INTO dead_letters (job_id, run_id, task_key, task_index, input, reason, error_name, error_message, attempts, first_failed_at, last_failed_at)
       VALUES ('grid', 'grid#1', ?, ?, x'c0', ?, 'Error', 'boom', 1, 0, 0)`,
    );
    for (let i = 0; i < 10; i++) insert.run(`k${i}`, i, i % 2 ? 'timeout' : 'error');
    raw.close();

    const store = openSqliteStore(t.path);
    expect(store.schemaVersion).toBe(3);
    const indexes = store.db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'dead_letters' ORDER BY name").pluck().all();
    expect(indexes).toEqual(['dead_letters_by_job', 'dead_letters_by_run']);
    expect(store.deadLetters.list({ reason: 'timeout', limit: 100 }).items.map((l) => l.key)).toEqual(['k1', 'k3', 'k5', 'k7', 'k9']);
    expect(store.deadLetters.list({ reason: 'error', jobId: 'grid', limit: 100 }).items).toHaveLength(5);
    expect(store.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    store.close();
  });

  it('works in memory', () => {
    const store = openSqliteStore(':memory:');
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    store.close(); // twice is fine
  });

  it('refuses a file with a newer schema, naming the fix, and leaves it untouched', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    openSqliteStore(t.path).close();
    const raw = new Database(t.path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    const err = caught(() => openSqliteStore(t.path));
    expect(err).toBeInstanceOf(StoreSchemaError);
    expect(isStoreSchemaError(err)).toBe(true);
    const e = err as StoreSchemaError;
    expect(e.code).toBe('ERR_WARDEN_STORE_SCHEMA');
    expect(e.found).toBe(SCHEMA_VERSION + 1);
    expect(e.supported).toBe(SCHEMA_VERSION);
    expect(e.message).toMatch(/newer|knows versions up to/);
    expect(e.message).toMatch(/upgrade Warden/);

    const check = new Database(t.path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    check.close();
  });

  it('refuses a SQLite file that is not a Warden store', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    const raw = new Database(t.path);
    raw.exec('CREATE TABLE other (x)');
    raw.close();
    const err = caught(() => openSqliteStore(t.path));
    expect(isStoreSchemaError(err)).toBe(true);
    expect((err as Error).message).toMatch(/not a Warden store/);
  });

  it('a read-only open never migrates: an unmigrated file is refused with the fix', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    new Database(t.path).close(); // empty file, version 0
    const err = caught(() => openSqliteStore(t.path, { readonly: true }));
    expect(isStoreSchemaError(err)).toBe(true);
    expect((err as Error).message).toMatch(/open it once read-write/);
  });
});
