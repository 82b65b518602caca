import type { Database } from 'better-sqlite3';
import { StoreSchemaError } from '../errors/StoreSchemaError.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';

function readVersions(db: Database): { version: number; appId: number } {
  return {
    version: db.pragma('user_version', { simple: true }) as number,
    appId: db.pragma('application_id', { simple: true }) as number,
  };
}

function check(path: string, version: number, appId: number, tables: number): void {
  if (appId !== APPLICATION_ID && (version !== 0 || tables > 0)) {
    throw new StoreSchemaError(
      path,
      version,
      SCHEMA_VERSION,
      `${path} is not a Warden store (application_id ${appId}, ${tables} tables): give Warden a new file or one it created`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreSchemaError(
      path,
      version,
      SCHEMA_VERSION,
      `${path} has store schema version ${version}, but this Warden knows versions up to ${SCHEMA_VERSION}: ` +
        `upgrade Warden to the version that wrote this file (or newer), or restore a backup taken before that upgrade`,
    );
  }
}

function tableCount(db: Database): number {
  return (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n;
}

/**
 * Brings the file up to SCHEMA_VERSION in one IMMEDIATE transaction (all migrations or none).
 * Throws StoreSchemaError for a newer schema or a file that is not a Warden store.
 */
export function migrate(db: Database, path: string): number {
  const run = db.transaction(() => {
    const { version, appId } = readVersions(db);
    check(path, version, appId, tableCount(db));
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue;
      db.exec(m.sql);
    }
    if (version < SCHEMA_VERSION) {
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
    return SCHEMA_VERSION;
  });
  return run.immediate();
}

/** For a read-only connection: never migrates, only checks the file is usable as is. */
export function checkReadable(db: Database, path: string): number {
  const { version, appId } = readVersions(db);
  check(path, version, appId, tableCount(db));
  if (version < SCHEMA_VERSION) {
    throw new StoreSchemaError(
      path,
      version,
      SCHEMA_VERSION,
      `${path} has store schema version ${version}, older than this Warden's ${SCHEMA_VERSION}: ` +
        `open it once read-write (openSqliteStore without readonly) to migrate it, then open the reader`,
    );
  }
  return version;
}
